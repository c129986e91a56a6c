package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
	"github.com/packethost/terraform-provider-packet/internal/tcpproxy"
)

const attachment = "packet_device_key_attachment.test"

// Defect 6: a device or key that does not exist was a nil-pointer panic.
func TestAccDeviceKeyAttachment_missingDeviceOrKeyIsAnErrorNotACrash(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "exists")
	key, err := f.mock.PutSSHKey(mockapi.SSHKey{Label: "exists", Key: added.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	ghost := uuid.NewString()
	byIDs := func(deviceID, keyID string) string {
		return f.providerWithKey() + fmt.Sprintf(`
resource "packet_device_key_attachment" "test" {
  device_id  = %q
  ssh_key_id = %q
}
`, deviceID, keyID)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			// Both ids known: refused at plan, naming which and the id.
			{Config: byIDs(ghost, key.ID), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)Device not found.*device_id.*There is no device ` + ghost)},
			{Config: byIDs(f.device.ID, ghost), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)SSH key not found.*ssh_key_id.*There is no SSH key ` + ghost)},
			// The key id is known only at apply: refused at apply, no crash.
			{
				Config:      f.providerWithKey() + newProjectKeyHCL(added) + attachmentConfig(ghost, ""),
				ExpectError: regexp.MustCompile(`(?s)Device not found.*There is no device ` + ghost),
			},
		},
	})
}

// Defect 2: a key already on the device (put there at provisioning, or by
// the admin with another comment and options) is not the attachment's, and
// destroy leaves the file byte for byte as the platform and the admin left it.
func TestAccDeviceKeyAttachment_preExistingLinesAreLeftOnDestroy(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	admin := newTestKey(t, "admin@laptop")
	byHand := append(bytes.Clone(f.original), []byte(`from="10.0.0.0/8",no-pty `+admin.withComment("put here by hand")+"\n")...)
	if err := f.machine(t).SetAuthorizedKeys(byHand); err != nil {
		t.Fatal(err)
	}
	fresh := newTestKey(t, "fresh")
	config := f.providerWithKey() + fmt.Sprintf(`
resource "packet_project_ssh_key" "admin" {
  project_id = %[1]q
  name       = "admin"
  public_key = %[2]q
}
resource "packet_project_ssh_key" "fresh" {
  project_id = %[1]q
  name       = "fresh"
  public_key = %[3]q
}
data "packet_project_ssh_key" "operator" {
  project_id = %[1]q
  name       = "operator"
}
resource "packet_device_key_attachment" "provisioned" {
  device_id  = %[4]q
  ssh_key_id = data.packet_project_ssh_key.operator.id
}
resource "packet_device_key_attachment" "by_hand" {
  device_id  = %[4]q
  ssh_key_id = packet_project_ssh_key.admin.id
  options    = "no-agent-forwarding"
}
resource "packet_device_key_attachment" "fresh" {
  device_id  = %[4]q
  ssh_key_id = packet_project_ssh_key.fresh.id
}
`, mockapi.DefaultProjectID, admin.Line, fresh.Line, f.device.ID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if got := f.authorizedKeys(t); !bytes.Equal(got, byHand) {
				return fmt.Errorf("after destroy authorized_keys is not as the platform and the admin left it:\nwant %q\ngot  %q", byHand, got)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("packet_device_key_attachment.provisioned", tfjsonpath.New("pre_existing"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("packet_device_key_attachment.by_hand", tfjsonpath.New("pre_existing"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("packet_device_key_attachment.fresh", tfjsonpath.New("pre_existing"), knownvalue.Bool(false)),
			},
			Check: func(*terraform.State) error {
				want := string(byHand) + fresh.Line + "\n"
				if got := string(f.authorizedKeys(t)); got != want {
					return fmt.Errorf("after create:\n%q\nwant\n%q", got, want)
				}
				return nil
			},
		}},
	})
}

// Defect 1 (attachment half): options are written before the key, changed
// in place, checked at plan as sshd parses them, and drift when edited.
func TestAccDeviceKeyAttachment_options(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "restricted")
	withOptions := func(o string) string {
		return f.providerWithKey() + newProjectKeyHCL(added) + fmt.Sprintf(`
resource "packet_device_key_attachment" "test" {
  device_id  = %q
  ssh_key_id = packet_project_ssh_key.new.id
  options    = %q
}
`, f.device.ID, o)
	}
	first := `from="10.9.9.9",command="/bin/false",no-pty`
	second := `from="10.9.9.0/24",no-pty`
	lineWith := func(o string) string { return o + " " + added.Line }
	expectFile := func(o string) func(*terraform.State) error {
		return func(*terraform.State) error {
			want := string(f.original) + lineWith(o) + "\n"
			if got := string(f.authorizedKeys(t)); got != want {
				return fmt.Errorf("authorized_keys:\n%q\nwant\n%q", got, want)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: withOptions(`from="10.9.9.9",no-ptty`), PlanOnly: true, ExpectError: errorLike(`unknown option "no-ptty"`)},
			{Config: withOptions(`command="/bin/false`), PlanOnly: true, ExpectError: errorLike("no closing double quote")},
			{Config: withOptions(first), Check: expectFile(first)},
			{
				Config: withOptions(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(attachment, plancheck.ResourceActionUpdate),
				}},
				Check: expectFile(second),
			},
			{
				// Someone loosened the options by hand: drift, put back in place.
				PreConfig: func() {
					loose := string(f.original) + `from="0.0.0.0/0" ` + added.Line + "\n"
					if err := f.machine(t).SetAuthorizedKeys([]byte(loose)); err != nil {
						t.Fatal(err)
					}
				},
				Config: withOptions(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(attachment, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(attachment, tfjsonpath.New("options"), knownvalue.StringExact(second)),
				}},
				Check: expectFile(second),
			},
		},
	})
}

// impostor is another SSH server that accepts the same logins as the
// device but has its own host key.
func (f *deviceFixture) impostor(t *testing.T) *sshserver.Server {
	t.Helper()
	s, err := sshserver.Start(sshserver.Config{RootPassword: f.device.RootPassword, AuthorizedKeys: f.authorizedKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func fingerprintOf(t *testing.T, line string) string {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintSHA256(k)
}

// Defect 5: on a device JSON with no host key (as the real API), the first
// connection pins the host key; a changed host key is then refused at
// refresh, naming both fingerprints.
func TestAccDeviceKeyAttachment_pinsOnFirstUseThenRefusesAChangedHostKey(t *testing.T) {
	t.Parallel()
	f := newSpecOnlyDeviceFixture(t)
	if f.device.ID == "" {
		t.Fatal("no device")
	}
	m := f.machine(t)
	proxy := tcpproxy.New(t, net.JoinHostPort(m.Host(), fmt.Sprint(m.Port())), tcpproxy.Options{})
	impostor := f.impostor(t)
	added := newTestKey(t, "tofu")
	config := f.providerWithKey() + newProjectKeyHCL(added) +
		attachmentConfig(f.device.ID, fmt.Sprintf(`ssh = { host = "127.0.0.1", port = %d }`, proxy.Port()))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { assertNoHostKeyInDeviceJSON(t, f) },
				Config:    config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(attachment, tfjsonpath.New("pinned_host_key"), knownvalue.StringExact(m.HostKey())),
				},
				Check: func(*terraform.State) error { return f.canLogIn(t, added) },
			},
			{
				PreConfig:   func() { proxy.SetTarget(impostor.Addr()) },
				Config:      config,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(fingerprintOf(t, m.HostKey())) + `.*` + regexp.QuoteMeta(ssh.FingerprintSHA256(impostor.HostPublicKey()))),
			},
			{
				// The real device again: it matches the pin, nothing to change.
				PreConfig: func() { proxy.SetTarget(net.JoinHostPort(m.Host(), fmt.Sprint(m.Port()))) },
				Config:    config,
				PlanOnly:  true,
			},
		},
	})
}

func assertNoHostKeyInDeviceJSON(t *testing.T, f *deviceFixture) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, strings.TrimSuffix(f.mock.URL(), "/")+"/devices/"+f.device.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", mockapi.DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var device map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&device); err != nil {
		t.Fatal(err)
	}
	if _, ok := device["ssh_host_key"]; ok {
		t.Fatal("the device JSON has ssh_host_key: the test would not show the product works without it")
	}
	if _, ok := device["ssh_port"]; !ok {
		t.Fatal("the device JSON lacks the mock's ssh_port")
	}
}

// insecure_ignore_host_key really turns the check off: the machine behind
// the address is not the one the mock advertises, and it is still used.
func TestAccDeviceKeyAttachment_insecureReallyTurnsTheCheckOff(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t) // the mock advertises the real device's host key
	impostor := f.impostor(t)
	added := newTestKey(t, "insecure")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: f.providerWithKey() + newProjectKeyHCL(added) + attachmentConfig(f.device.ID,
				fmt.Sprintf(`ssh = { host = %q, port = %d, insecure_ignore_host_key = true }`, impostor.Host(), impostor.Port())),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(attachment, tfjsonpath.New("pinned_host_key"), knownvalue.Null()),
			},
			Check: func(*terraform.State) error {
				got, err := impostor.AuthorizedKeys()
				if err != nil {
					return err
				}
				if !bytes.Contains(got, []byte(added.Line)) {
					return fmt.Errorf("the key did not reach the machine at the given address: %q", got)
				}
				return nil
			},
		}},
	})
}

// An explicit known_hosts_file wins over anything the API (mock) says: a
// wrong one is refused even though the mock advertises the right key.
func TestAccDeviceKeyAttachment_explicitKnownHostsWinsOverTheAPI(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t) // the mock advertises ssh_host_key here
	m := f.machine(t)
	other := newTestKey(t, "not the device")
	dir := t.TempDir()
	write := func(name string, key string) string {
		k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		line := fmt.Sprintf("[%s]:%d %s", m.Host(), m.Port(), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))))
		if err := os.WriteFile(p, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	wrong, right := write("wrong", other.Line), write("right", m.HostKey())
	added := newTestKey(t, "kh")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      f.providerWithKey() + newProjectKeyHCL(added) + attachmentConfig(f.device.ID, fmt.Sprintf("ssh = { known_hosts_file = %q }", wrong)),
				ExpectError: errorLike(other.SHA256),
			},
			{
				Config: f.providerWithKey() + newProjectKeyHCL(added) + attachmentConfig(f.device.ID, fmt.Sprintf("ssh = { known_hosts_file = %q }", right)),
				Check:  func(*terraform.State) error { return f.canLogIn(t, added) },
			},
		},
	})
}

// Write-only credential: the key logs in at create and appears in no state
// or plan.
func TestAccDeviceKeyAttachment_writeOnlyPrivateKeyNeverInStateOrPlan(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "wo")
	secret := acctest.Secret{Name: "the write-only private key", Value: pemBody(f.operator.PrivatePEM)}
	// As from a secret store: the configuration holds no literal key.
	keyFile := filepath.Join(t.TempDir(), "operator.pem")
	if err := os.WriteFile(keyFile, []byte(f.operator.PrivatePEM), 0o600); err != nil {
		t.Fatal(err)
	}
	woConfig := f.providerWithoutKey() + newProjectKeyHCL(added) + attachmentConfig(f.device.ID,
		fmt.Sprintf("ssh = {\n    private_key_wo = file(%q)\n    private_key_wo_version = 1\n  }", keyFile))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{
				Config: woConfig,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{acctest.NoSecretInPlan(attachment, secret)},
					PostApplyPostRefresh: []plancheck.PlanCheck{acctest.NoSecretInPlan(attachment, secret), plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(attachment, tfjsonpath.New("ssh").AtMapKey("private_key_wo"), knownvalue.Null()),
					acctest.NoSecretInStateJSON(attachment, secret),
				},
				Check: func(*terraform.State) error { return f.canLogIn(t, added) },
			},
			{
				// Destroy gets no write-only values: give it the provider's key.
				Config: f.providerWithKey() + newProjectKeyHCL(added) + attachmentConfig(f.device.ID, ""),
			},
		},
	})
}

// Issue 15's ask for this resource: a key file that is not there is an
// error at plan, naming the attribute.
func TestAccDeviceKeyAttachment_missingPrivateKeyFileAtPlan(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	missing := filepath.Join(t.TempDir(), "id_nope")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: f.providerWithoutKey() + newProjectKeyHCL(newTestKey(t, "x")) +
					attachmentConfig(f.device.ID, fmt.Sprintf("ssh = { private_key_file = %q }", missing)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Private key file not found.*ssh\.private_key_file\s+is\s.*no\s+such\s+file`),
			},
			{
				Config: f.providerWithoutKey() + newProjectKeyHCL(newTestKey(t, "y")) +
					attachmentConfig(f.device.ID, "ssh = { agent = false }"),
				PlanOnly:    true,
				ExpectError: errorLike("No SSH credentials"),
			},
		},
	})
}
