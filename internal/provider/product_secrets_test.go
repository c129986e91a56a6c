package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "sshkey", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineAfter returns the first non-blank line of text after the line starting with prefix.
func lineAfter(t *testing.T, text, prefix string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		// The first line with text: PEM headers end in a blank line.
		for _, next := range lines[i+1:] {
			if next = strings.TrimSpace(next); next != "" {
				return next
			}
		}
	}
	t.Fatalf("no line after %q", prefix)
	return ""
}

// TestAccSecrets_neverInLogsStateOrPlan applies a configuration that handles
// every kind of secret the provider sees — the API token, the provider's SSH
// private key, a private key file and the passphrase of an encrypted PEM read
// by packet_ssh_public_key, an encrypted .ppk, and a device's root password
// used by an attachment — with TF_LOG=trace, then scans the whole log (the
// CLI's and the provider's), the state and the plan JSON: none may appear.
func TestAccSecrets_neverInLogsStateOrPlan(t *testing.T) {
	tokenBytes := make([]byte, 16)
	if _, err := rand.Read(tokenBytes); err != nil {
		t.Fatal(err)
	}
	token := "tok-SECRET-" + hex.EncodeToString(tokenBytes)
	seed := mockapi.DefaultSeed()
	seed.Users[0].Token = token // the default user, owner of the default project
	clock := &fakeClock{}
	mock := testMock(t, mockapi.Options{Seed: seed, Provisioner: mockapi.SSHProvisioner, Clock: clock.now})

	operator := newTestKey(t, "operator@ci")
	opKey, err := mock.PutSSHKey(mockapi.SSHKey{Label: "operator", Key: operator.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	device, err := mock.CreateDevice(mockapi.SeedDevice{
		Hostname: "secrets", ProjectID: mockapi.DefaultProjectID, ProjectSSHKeys: []string{opKey.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	if device.RootPassword == "" {
		t.Fatal("the mock device has no root password")
	}

	dir := t.TempDir()
	operatorFile := filepath.Join(dir, "operator.pem")
	if err := os.WriteFile(operatorFile, []byte(operator.PrivatePEM), 0o600); err != nil {
		t.Fatal(err)
	}
	encPEM, _ := filepath.Abs(filepath.Join("..", "sshkey", "testdata", "keys", "rsa2048-enc.pkcs1.pem"))
	encPPK, _ := filepath.Abs(filepath.Join("..", "sshkey", "testdata", "keys", "ed25519-enc.v3.ppk"))
	const passphrase = "correct horse"
	passphraseFile := filepath.Join(dir, "passphrase")
	if err := os.WriteFile(passphraseFile, []byte(passphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secrets := []acctest.Secret{
		{Name: "the API token", Value: token},
		{Name: "the provider's SSH private key", Value: pemBody(operator.PrivatePEM)},
		{Name: "the encrypted PEM's private key", Value: lineAfter(t, readTestdata(t, "rsa2048-enc.pkcs1.pem"), "DEK-Info:")},
		{Name: "the passphrase", Value: passphrase},
		{Name: "the .ppk's private key", Value: lineAfter(t, readTestdata(t, "ed25519-enc.v3.ppk"), "Private-Lines:")},
		{Name: "the root password", Value: device.RootPassword},
	}

	logFile := filepath.Join(dir, "terraform.log")
	t.Setenv("TF_LOG", "trace")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	// Secrets come from the environment and from files, as the docs advise:
	// Terraform itself copies any literal constant of the configuration into
	// the plan's "configuration" section (sensitive or not), which no
	// provider can prevent. Everything the provider handles is scanned.
	t.Setenv("PACKET_AUTH_TOKEN", token)

	provider := acctest.ProviderBlock{APIURL: mock.URL(), MaxRetries: 5, SSH: fmt.Sprintf("private_key = file(%q)\nagent = false", operatorFile)}
	config := provider.String() + fmt.Sprintf(`
data "packet_ssh_public_key" "pem" {
  path       = %q
  passphrase = trimspace(file(%q))
}

data "packet_ssh_public_key" "ppk" {
  path = %q
}

data "packet_ssh_public_key" "inline_private" {
  content = file(%q)
}

resource "packet_project_ssh_key" "new" {
  project_id = %q
  name       = "from an encrypted PEM"
  public_key = data.packet_ssh_public_key.pem.public_key
}

resource "packet_user_ssh_key" "ppk" {
  name       = "from a ppk"
  public_key = data.packet_ssh_public_key.ppk.public_key
}

resource "packet_device_key_attachment" "by_password" {
  device_id  = %q
  ssh_key_id = packet_project_ssh_key.new.id
  ssh = { use_root_password = true }
}

resource "packet_device_key_attachment" "by_provider_key" {
  device_id  = %q
  ssh_key_id = packet_user_ssh_key.ppk.id
}
`, encPEM, passphraseFile, encPPK, operatorFile, mockapi.DefaultProjectID, device.ID, device.ID)

	noSecretInPlan := acctest.NoSecretInPlan("packet_device_key_attachment", secrets...)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{noSecretInPlan},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					acctest.NoSecretInState(secrets...),
					resource.TestCheckNoResourceAttr("data.packet_ssh_public_key.pem", "passphrase"),
					resource.TestCheckNoResourceAttr("data.packet_ssh_public_key.inline_private", "content"),
					checkOnDevice(mock, device.ID, 3), // the operator's key and the two attached
				),
			},
			{
				// A refresh-and-plan run goes through Read everywhere.
				Config:   config,
				PlanOnly: true,
			},
		},
	})

	logData, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatalf("reading the TF_LOG output: %v", err)
	}
	log := string(logData)
	// The scan means something only if the log holds the provider's own
	// trace of the API calls and SSH logins.
	for _, want := range []string{"packet.metal: API request", "method=POST", "ApplyResourceChange"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the TF_LOG output (%d bytes) lacks %q: the provider's log did not reach it", len(log), want)
		}
	}
	if found := acctest.FindSecrets(log, secrets); len(found) > 0 {
		t.Errorf("the TF_LOG=trace output holds: %s", strings.Join(found, ", "))
	}
	t.Logf("scanned %d bytes of trace log, the state and the plan JSON for %d secrets", len(log), len(secrets))
}

// TestSecretAttributesAreSensitive checks the schema marks every attribute
// that can hold a secret as sensitive.
func TestSecretAttributesAreSensitive(t *testing.T) {
	ctx := context.Background()
	p := New("test")()
	var ps fwprovider.SchemaResponse
	p.Schema(ctx, fwprovider.SchemaRequest{}, &ps)
	for _, at := range []path.Path{path.Root("auth_token"), path.Root("ssh").AtName("private_key")} {
		attr, diags := ps.Schema.AttributeAtPath(ctx, at)
		if diags.HasError() {
			t.Fatalf("provider %s: %v", at, diags)
		}
		if !attr.IsSensitive() {
			t.Errorf("provider attribute %s is not sensitive", at)
		}
	}
	for _, newDS := range p.DataSources(ctx) {
		ds := newDS()
		var meta datasource.MetadataResponse
		ds.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "packet"}, &meta)
		if meta.TypeName != "packet_ssh_public_key" {
			continue
		}
		var s datasource.SchemaResponse
		ds.Schema(ctx, datasource.SchemaRequest{}, &s)
		for _, name := range []string{"content", "passphrase"} {
			if !s.Schema.Attributes[name].IsSensitive() {
				t.Errorf("packet_ssh_public_key.%s is not sensitive", name)
			}
		}
		return
	}
	t.Fatal("packet_ssh_public_key not found among the data sources")
}

// checkOnDevice proves the attachments really logged in and wrote the keys.
func checkOnDevice(mock *mockapi.Server, deviceID string, wantKeys int) func(*terraform.State) error {
	return func(*terraform.State) error {
		m, ok := mock.Machine(deviceID)
		if !ok {
			return fmt.Errorf("device %s has no machine", deviceID)
		}
		got, err := m.AuthorizedKeys()
		if err != nil {
			return err
		}
		if n := bytes.Count(got, []byte("ssh-")); n != wantKeys {
			return fmt.Errorf("%d keys in authorized_keys, want %d:\n%s", n, wantKeys, got)
		}
		return nil
	}
}
