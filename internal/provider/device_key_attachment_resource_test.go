package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
	"github.com/packethost/terraform-provider-packet/internal/tcpproxy"
)

// deviceFixture is a mock API with one running device whose SSH server
// holds the operator's key (put there at provisioning, as cloud-init does).
type deviceFixture struct {
	mock     *mockapi.Server
	device   mockapi.Device
	operator testKey
	original []byte // authorized_keys right after provisioning
	clock    *fakeClock
}

type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func newDeviceFixture(t *testing.T) *deviceFixture {
	t.Helper()
	return newDeviceFixtureWith(t, mockapi.SSHProvisioner)
}

// newSpecOnlyDeviceFixture is a device whose JSON holds what the real API
// has (no host key) plus the mock's ssh_port.
func newSpecOnlyDeviceFixture(t *testing.T) *deviceFixture {
	t.Helper()
	return newDeviceFixtureWith(t, mockapi.SSHProvisionerConfig{NoHostKeyExtension: true}.Provisioner())
}

func newDeviceFixtureWith(t *testing.T, provisioner mockapi.Provisioner) *deviceFixture {
	t.Helper()
	clock := &fakeClock{}
	mock := testMock(t, mockapi.Options{Provisioner: provisioner, Clock: clock.now})
	operator := newTestKey(t, "operator@ci")
	opKey, err := mock.PutSSHKey(mockapi.SSHKey{Label: "operator", Key: operator.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	device, err := mock.CreateDevice(mockapi.SeedDevice{
		Hostname: "web-1", ProjectID: mockapi.DefaultProjectID, ProjectSSHKeys: []string{opKey.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &deviceFixture{mock: mock, device: device, operator: operator, clock: clock}
	f.original = f.authorizedKeys(t)
	if !bytes.Contains(f.original, []byte(strings.Fields(operator.Line)[1])) {
		t.Fatalf("provisioning did not put the operator key on the device:\n%s", f.original)
	}
	return f
}

func (f *deviceFixture) machine(t *testing.T) mockapi.Machine {
	t.Helper()
	m, ok := f.mock.Machine(f.device.ID)
	if !ok {
		t.Fatalf("device %s has no machine", f.device.ID)
	}
	return m
}

func (f *deviceFixture) authorizedKeys(t *testing.T) []byte {
	t.Helper()
	b, err := f.machine(t).AuthorizedKeys()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// providerWithKey is a provider block whose ssh credentials are the
// operator's private key.
func (f *deviceFixture) providerWithKey() string {
	return providerWithKeyFor(f.mock, f.operator.PrivatePEM)
}

// providerWithKeyFor is a provider block for mock that logs in to devices with pem.
func providerWithKeyFor(mock *mockapi.Server, pem string) string {
	p := mockProvider(mock)
	p.SSH = sshBlock(pem)
	return p.String()
}

func (f *deviceFixture) providerWithoutKey() string {
	p := mockProvider(f.mock)
	p.SSH = "agent = false"
	return p.String()
}

// canLogIn is a real SSH login to the device with the key.
func (f *deviceFixture) canLogIn(t *testing.T, key testKey) error {
	t.Helper()
	return logIn(f.machine(t), key)
}

// attachmentConfig attaches packet_project_ssh_key.new (newProjectKeyHCL)
// to the device, with optional ssh connection settings.
func attachmentConfig(deviceID, connection string) string {
	return fmt.Sprintf(`
resource "packet_device_key_attachment" "test" {
  device_id  = %q
  ssh_key_id = packet_project_ssh_key.new.id
  %s
}
`, deviceID, connection)
}

func newProjectKeyHCL(key testKey) string {
	return fmt.Sprintf(`
resource "packet_project_ssh_key" "new" {
  project_id = %q
  name       = "added later"
  public_key = %q
}
`, mockapi.DefaultProjectID, key.Line)
}

func pemBody(pemText string) string {
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	return lines[1] // a line of the private key's base64, enough to find it anywhere
}

func TestAccDeviceKeyAttachment_attachLoginDetach(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "added@later")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					if f.canLogIn(t, added) == nil {
						t.Fatal("the new key can log in before it was attached")
					}
				},
				Config: f.providerWithKey() + newProjectKeyHCL(added) +
					attachmentConfig(f.device.ID, ""),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr("packet_device_key_attachment.test", "fingerprint", added.MD5),
					resource.TestCheckResourceAttr("packet_device_key_attachment.test", "provisioned", "false"),
					func(*terraform.State) error { return f.canLogIn(t, added) },
					acctest.NoSecretInState(acctest.Secret{Name: "the operator key", Value: pemBody(f.operator.PrivatePEM)},
						acctest.Secret{Name: "the root password", Value: f.device.RootPassword}),
				),
			},
			{
				ResourceName:      "packet_device_key_attachment.test",
				ImportState:       true,
				ImportStateVerify: true,
				// An imported line is pre-existing: it records no line and no
				// writer, and the device is looked at by the plan, with the
				// configuration's ssh settings, not by the import.
				ImportStateVerifyIgnore: []string{"ssh", "pre_existing", "authorized_keys_line", "writer_id",
					"authorized_keys_file", "pinned_host_key"},
			},
			{
				// Detach: the key is gone from the machine, every other byte stays.
				Config: f.providerWithKey() + newProjectKeyHCL(added),
				Check: func(*terraform.State) error {
					if f.canLogIn(t, added) == nil {
						return fmt.Errorf("the key still logs in after detach")
					}
					if got := f.authorizedKeys(t); !bytes.Equal(got, f.original) {
						return fmt.Errorf("authorized_keys changed beyond the key:\nwant %q\ngot  %q", f.original, got)
					}
					return nil
				},
			},
		},
	})
}

func TestAccDeviceKeyAttachment_thirtyInParallel(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	var lines []string
	for i := range 30 {
		lines = append(lines, newTestKey(t, fmt.Sprintf("k%02d", i)).Line)
	}
	config := f.providerWithKey() + manyAttachmentsHCL("many", "many", lines, f.device.ID, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if got := f.authorizedKeys(t); !bytes.Equal(got, f.original) {
				return fmt.Errorf("after destroy authorized_keys is not as provisioned:\nwant %q\ngot  %q", f.original, got)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: config,
			Check: func(*terraform.State) error {
				content := string(f.authorizedKeys(t))
				for _, line := range lines {
					if strings.Count(content, strings.Fields(line)[1]) != 1 {
						return fmt.Errorf("key %s is not on the device exactly once", strings.Fields(line)[2])
					}
				}
				return nil
			},
		}},
	})
}

func TestAccDeviceKeyAttachment_drift(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "drift@later")
	config := f.providerWithKey() + newProjectKeyHCL(added) + attachmentConfig(f.device.ID, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				// Someone removed the line by hand: the plan adds it again.
				PreConfig: func() {
					if err := f.machine(t).SetAuthorizedKeys(f.original); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("packet_device_key_attachment.test", plancheck.ResourceActionCreate),
				}},
				Check: func(*terraform.State) error { return f.canLogIn(t, added) },
			},
			{
				// The device was deleted: the attachment leaves state, and
				// the plan to attach it again says the device is gone.
				PreConfig: func() {
					if !f.mock.DeleteDevice(f.device.ID) {
						t.Fatal("device was not in the mock")
					}
				},
				Config:      config,
				PlanOnly:    true,
				ExpectError: errorLike("There is no device " + f.device.ID),
			},
			{
				Config: f.providerWithKey() + newProjectKeyHCL(added),
			},
		},
	})
}

func TestAccDeviceKeyAttachment_wrongHostKey(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "mitm")
	impostor := newTestKey(t, "not the device")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: f.providerWithKey() + newProjectKeyHCL(added) +
				attachmentConfig(f.device.ID, fmt.Sprintf("ssh = { host_key = %q }", impostor.Line)),
			ExpectError: errorLike(impostor.SHA256),
		}},
	})
	if got := f.authorizedKeys(t); !bytes.Equal(got, f.original) {
		t.Fatalf("a failed host key check wrote to the device: %q", got)
	}
}

func TestAccDeviceKeyAttachment_privateKeyFile(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "via-file")
	keyFile := filepath.Join(t.TempDir(), "id_operator")
	if err := os.WriteFile(keyFile, []byte(f.operator.PrivatePEM), 0o600); err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: f.providerWithoutKey() + newProjectKeyHCL(added) +
				attachmentConfig(f.device.ID, fmt.Sprintf("ssh = { private_key_file = %q }", keyFile)),
			Check: func(*terraform.State) error { return f.canLogIn(t, added) },
		}},
	})
}

func TestAccDeviceKeyAttachment_agent(t *testing.T) {
	f := newDeviceFixture(t)
	added := newTestKey(t, "via-agent")
	signer, err := ssh.ParseRawPrivateKey([]byte(f.operator.PrivatePEM))
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: signer}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _ = agent.ServeAgent(keyring, conn); _ = conn.Close() }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: f.providerWithoutKey() + newProjectKeyHCL(added) +
				attachmentConfig(f.device.ID, "ssh = { agent = true }"),
			Check: func(*terraform.State) error { return f.canLogIn(t, added) },
		}},
	})
}

func TestAccDeviceKeyAttachment_rootPassword(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "via-password")
	config := f.providerWithoutKey() + newProjectKeyHCL(added) +
		attachmentConfig(f.device.ID, "ssh = { use_root_password = true }")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeTestCheckFunc(
				func(*terraform.State) error { return f.canLogIn(t, added) },
				acctest.NoSecretInState(acctest.Secret{Name: "the root password", Value: f.device.RootPassword}),
			),
		}},
	})

	// A day later the API no longer shows the password: a new attachment
	// says so instead of failing somewhere in SSH.
	g := newDeviceFixture(t)
	g.clock.advance(25 * time.Hour)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: g.providerWithoutKey() + newProjectKeyHCL(added) +
				attachmentConfig(g.device.ID, "ssh = { use_root_password = true }"),
			ExpectError: errorLike("only for 24 hours after provisioning"),
		}},
	})
}

func TestAccDeviceKeyAttachment_badImportID(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:        f.providerWithKey() + attachmentConfig(f.device.ID, "") + newProjectKeyHCL(newTestKey(t, "x")),
			ResourceName:  "packet_device_key_attachment.test",
			ImportState:   true,
			ImportStateId: "not-a-device/" + f.device.ID,
			ExpectError:   errorLike("is not <device_id>/<ssh_key_id>"),
		}},
	})
}

// A device that cannot be reached at refresh keeps its attachment in state
// (with a warning) instead of planning a new one.
func TestAccDeviceKeyAttachment_unreachableAtRefreshKeepsState(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "unreachable")
	config := f.providerWithKey() + newProjectKeyHCL(added) + attachmentConfig(f.device.ID, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config},
			{
				PreConfig: func() {
					if err := f.machine(t).Close(); err != nil {
						t.Fatal(err)
					}
				},
				Config:   config,
				PlanOnly: true, // fails on any planned change
			},
			{
				// Once the device is gone the attachment leaves state and
				// destroy has nothing left to do on a machine.
				PreConfig: func() { f.mock.DeleteDevice(f.device.ID) },
				Config:    f.providerWithKey() + newProjectKeyHCL(added),
			},
		},
	})
}

// manyAttachmentsHCL makes one project key per line (named prefix-N) and
// attaches each to the device as packet_device_key_attachment.<name>[N],
// with ssh as the attachments' ssh attribute ("" for none).
func manyAttachmentsHCL(name, prefix string, lines []string, deviceID, ssh string) string {
	var list strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&list, "    %q,\n", l)
	}
	return fmt.Sprintf(`
locals {
  %[1]s_keys = [
%[2]s  ]
}
resource "packet_project_ssh_key" %[1]q {
  count      = length(local.%[1]s_keys)
  project_id = %[3]q
  name       = "%[4]s-${count.index}"
  public_key = local.%[1]s_keys[count.index]
}
resource "packet_device_key_attachment" %[1]q {
  count      = length(local.%[1]s_keys)
  device_id  = %[5]q
  ssh_key_id = packet_project_ssh_key.%[1]s[count.index].id
  %[6]s
}
`, name, list.String(), mockapi.DefaultProjectID, prefix, deviceID, ssh)
}

func TestOwnershipOfStateWrittenBeforePreExisting(t *testing.T) {
	for _, tc := range []struct {
		m    attachmentModel
		owns bool
	}{
		{attachmentModel{lineState: lineState{PreExisting: boolValue(true)}}, false},
		{attachmentModel{lineState: lineState{PreExisting: boolValue(false)}, Provisioned: boolValue(true)}, true},
		{attachmentModel{Provisioned: boolValue(true)}, false}, // old state: the platform put it there
		{attachmentModel{Provisioned: boolValue(false)}, true},
	} {
		if got := tc.m.ownsLine(); got != tc.owns {
			t.Errorf("%+v: ownsLine = %v, want %v", tc.m, got, tc.owns)
		}
	}
}

// State written before options, pre_existing, pinned_host_key and the
// write-only key existed still reads, and a key the platform provisioned is
// taken as pre-existing, so destroy leaves it.
func TestStateFromBeforeOwnershipStillReads(t *testing.T) {
	ctx := context.Background()
	var sr fwresource.SchemaResponse
	NewDeviceKeyAttachmentResource().Schema(ctx, fwresource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx)
	old := []byte(`{
  "id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f/0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11",
  "device_id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
  "ssh_key_id": "0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11",
  "ssh": {"host": null, "port": null, "user": null, "private_key_file": "/id", "agent": null,
          "use_root_password": null, "host_key": null, "known_hosts_file": null,
          "insecure_ignore_host_key": null, "authorized_keys_path": null},
  "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBQhiU2a4Rj9lsBKdwgdtPaaePKTK1ebC4a4O/QaD5Mh op",
  "fingerprint": "aa:bb",
  "fingerprint_sha256": "SHA256:x",
  "provisioned": true
}`)
	raw, err := tftypes.ValueFromJSONWithOpts(old, typ, tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true})
	if err != nil {
		t.Fatalf("old state does not read: %v", err)
	}
	var m attachmentModel
	if diags := (tfsdk.State{Raw: raw, Schema: sr.Schema}).Get(ctx, &m); diags.HasError() {
		t.Fatalf("old state does not decode: %v", diags)
	}
	if !m.PreExisting.IsNull() || !m.Options.IsNull() || !m.PinnedHostKey.IsNull() || m.SSH.PrivateKeyFile.ValueString() != "/id" {
		t.Fatalf("decoded %+v", m)
	}
	if m.ownsLine() {
		t.Fatal("a key the platform provisioned, in old state, would be removed on destroy")
	}
}

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
