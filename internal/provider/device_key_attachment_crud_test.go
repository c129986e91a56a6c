package provider

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
	"github.com/packethost/terraform-provider-packet/internal/tcpproxy"
	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

// Acceptance tests of issue 20: the attachment owns exactly the line it
// wrote. Each reproduces one finding through the real CLI on a mock device.

// apiKeyAttachmentHCL attaches a key made behind Terraform's back (the
// portal) to the device, by id.
func apiKeyAttachmentHCL(deviceID, keyID string) string {
	return fmt.Sprintf(`
resource "packet_device_key_attachment" "test" {
  device_id  = %q
  ssh_key_id = %q
}
`, deviceID, keyID)
}

func (f *deviceFixture) portalKey(t *testing.T, k testKey) mockapi.SSHKey {
	t.Helper()
	key, err := f.mock.PutSSHKey(mockapi.SSHKey{Label: "portal", Key: k.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// fileIs fails unless the device's authorized_keys reads want, byte for byte.
func (f *deviceFixture) fileIs(t *testing.T, what string, want []byte) error {
	t.Helper()
	if got := f.authorizedKeys(t); !bytes.Equal(got, want) {
		return fmt.Errorf("%s: authorized_keys is\n%q\nwant\n%q", what, got, want)
	}
	return nil
}

// Finding 1: revoking is removing. A key re-keyed in the API while attached
// plans as a replacement whose first step takes the old line off; a key
// deleted in the API plans as a replacement too, whose create then fails,
// after the old line is gone. Nothing of the old key logs in afterwards.
func TestAccDeviceKeyAttachment_revokedInTheAPILeavesNoOldLine(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	old, rekeyed := newTestKey(t, "old"), newTestKey(t, "rekeyed")
	key := f.portalKey(t, old)
	config := f.providerWithKey() + apiKeyAttachmentHCL(f.device.ID, key.ID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return f.fileIs(t, "after destroy", f.original) },
		Steps: []resource.TestStep{
			{
				Config: config,
				Check:  func(*terraform.State) error { return f.canLogIn(t, old) },
			},
			{
				PreConfig: func() {
					key.Key = rekeyed.Line // PUT /ssh-keys/{id} with another key, in the portal
					if _, err := f.mock.PutSSHKey(key); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("packet_device_key_attachment.test", plancheck.ResourceActionReplace),
				}},
				Check: func(*terraform.State) error {
					if f.canLogIn(t, old) == nil {
						return fmt.Errorf("the old key still logs in after the re-key was applied")
					}
					if err := f.canLogIn(t, rekeyed); err != nil {
						return err
					}
					return f.fileIs(t, "after the re-key", append(bytes.Clone(f.original), rekeyed.Line+"\n"...))
				},
			},
			{
				PreConfig: func() {
					if !f.mock.DeleteSSHKey(key.ID) {
						t.Fatal("the key was not in the API")
					}
				},
				Config:      config,
				ExpectError: regexp.MustCompile(`SSH key not found`),
			},
			{
				// The replacement's destroy ran before its create failed.
				Config: f.providerWithKey(),
				Check:  func(*terraform.State) error { return f.fileIs(t, "after the key was deleted in the API", f.original) },
			},
		},
	})
}

// Finding 1, second half: a key deleted in the API while attached, then the
// attachment dropped from the configuration: destroy removes the recorded
// line though the API no longer knows the key.
func TestAccDeviceKeyAttachment_droppedAfterTheKeyWasDeletedInTheAPI(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	k := newTestKey(t, "deleted-later")
	key := f.portalKey(t, k)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: f.providerWithKey() + apiKeyAttachmentHCL(f.device.ID, key.ID)},
			{
				PreConfig: func() { f.mock.DeleteSSHKey(key.ID) },
				Config:    f.providerWithKey(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("packet_device_key_attachment.test", plancheck.ResourceActionDestroy),
				}},
				Check: func(*terraform.State) error {
					if f.canLogIn(t, k) == nil {
						return fmt.Errorf("the key deleted in the API still logs in after destroy")
					}
					return f.fileIs(t, "after destroy", f.original)
				},
			},
		},
	})
}

// Finding 8: options are bounded and hold no NUL, at plan.
func TestAccDeviceKeyAttachment_optionsBoundedAtPlan(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	key := f.portalKey(t, newTestKey(t, "opts"))
	for _, opts := range []string{`command=\"` + strings.Repeat("x", 9000) + `\"`, `no-pty\u0000`} {
		resource.Test(t, resource.TestCase{
			ProtoV6ProviderFactories: testProviderFactories,
			Steps: []resource.TestStep{{
				Config: f.providerWithKey() + fmt.Sprintf(`
resource "packet_device_key_attachment" "test" {
  device_id  = %q
  ssh_key_id = %q
  options    = "%s"
}
`, f.device.ID, key.ID, opts),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid authorized_keys options.*(at most\s+8192|NUL\s+byte)`),
			}},
		})
	}
	if err := f.fileIs(t, "after refused plans", f.original); err != nil {
		t.Error(err)
	}
}

// Finding 2: an apply interrupted after the rename was sent (the device
// delays its reply; Ctrl-C lands meanwhile) leaves the line owned in state
// or absent, and destroy leaves the file byte-identical. kill -9 of the CLI
// at the same moment (no state saved) leaves a line the next apply adopts.
func TestAccDeviceKeyAttachment_interruptedCreateLeavesNoUnownedLine(t *testing.T) {
	acctest.Required(t)
	for _, sig := range []os.Signal{os.Interrupt, os.Kill} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			f := newDeviceFixture(t)
			k := newTestKey(t, "interrupted")
			key := f.portalKey(t, k)
			cli := newTerraformCLI(t, cliConfig(f)+apiKeyAttachmentHCL(f.device.ID, key.ID))
			cli.Run("init", "-input=false", "-no-color")
			faults, ok := f.machine(t).(interface{ SetFaults(sshserver.Faults) })
			if !ok {
				t.Fatalf("the mock device %T takes no faults", f.machine(t))
			}
			faults.SetFaults(sshserver.Faults{DelayRenameReply: 5 * time.Second})

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			apply, out := cli.Command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
			if err := apply.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(time.Minute); !bytes.Contains(f.authorizedKeys(t), blobOf(k)); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the line never landed:\n%s", out)
				}
			}
			if err := apply.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = apply.Wait()
			faults.SetFaults(sshserver.Faults{})
			state := cli.Run("show", "-no-color")
			t.Logf("state after %v:\n%s", sig, state)
			if sig == os.Interrupt && !strings.Contains(state, "tainted") && bytes.Contains(f.authorizedKeys(t), blobOf(k)) {
				t.Fatalf("after Ctrl-C the line is on the device but not owned in state:\n%s", state)
			}
			// The next apply converges: it replaces the tainted attachment
			// or adopts the line the killed run left; never pre-existing.
			cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
			if got := cli.Run("state", "show", "-no-color", "packet_device_key_attachment.test"); !strings.Contains(got, "pre_existing         = false") {
				t.Fatalf("the interrupted create's own line was taken as pre-existing:\n%s", got)
			}
			if got := f.authorizedKeys(t); bytes.Count(got, blobOf(k)) != 1 {
				t.Fatalf("want the line once:\n%s", got)
			}
			cli.Run("destroy", "-auto-approve", "-input=false", "-no-color")
			if err := f.fileIs(t, "after destroy", f.original); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// cliConfig is the provider for a test that drives the CLI itself.
func cliConfig(f *deviceFixture) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    packet = { source = %q }
  }
}
`, providerAddress) + f.providerWithKey()
}

// passwordRecorder is a fake SSH server that records every password it is
// offered and refuses them all: whoever answers at the device's address.
type passwordRecorder struct {
	addr      string
	mu        sync.Mutex
	passwords []string
}

func newPasswordRecorder(t *testing.T) *passwordRecorder {
	t.Helper()
	_, signer := testutil.NewSSHKey(t)
	l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	r := &passwordRecorder{addr: l.Addr().String()}
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			r.mu.Lock()
			r.passwords = append(r.passwords, string(pw))
			r.mu.Unlock()
			return nil, fmt.Errorf("denied")
		},
		KeyboardInteractiveCallback: func(_ ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			answers, err := ask("", "", []string{"Password: "}, []bool{false})
			if err == nil {
				r.mu.Lock()
				r.passwords = append(r.passwords, answers...)
				r.mu.Unlock()
			}
			return nil, fmt.Errorf("denied")
		},
	}
	cfg.AddHostKey(signer)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				_, _, _, _ = ssh.NewServerConn(c, cfg)
			}()
		}
	}()
	return r
}

func (r *passwordRecorder) captured() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.passwords)
}

// Finding 4: with ssh.use_root_password and no pin yet, plan, refresh,
// import and query never send the root password: a fake SSH server on the
// device's address records none, and the CLI says why the device was not
// looked at.
func TestAccDeviceKeyAttachment_passwordNeverSentToAnUnknownHostAtPlanImportOrQuery(t *testing.T) {
	acctest.Required(t)
	t.Parallel()
	f := newDeviceFixture(t)
	k := newTestKey(t, "by-hand")
	key := f.portalKey(t, k)
	if err := f.machine(t).SetAuthorizedKeys(append(bytes.Clone(f.original), k.Line+"\n"...)); err != nil {
		t.Fatal(err)
	}
	rec := newPasswordRecorder(t)
	host, port, _ := net.SplitHostPort(rec.addr)
	// The recorder can fail this test: it does capture what is sent to it.
	if c, err := ssh.Dial("tcp", rec.addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.Password("probe")},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 5 * time.Second}); err == nil {
		_ = c.Close()
	}
	if got := rec.captured(); len(got) != 1 || got[0] != "probe" {
		t.Fatalf("the recorder captured %q, want the probe", got)
	}
	config := fmt.Sprintf(`
terraform {
  required_providers {
    packet = { source = %q }
  }
}
`, providerAddress) + f.providerWithoutKey() + fmt.Sprintf(`
resource "packet_device_key_attachment" "test" {
  device_id  = %q
  ssh_key_id = %q
  ssh = {
    use_root_password = true
    host              = %q
    port              = %s
  }
}
`, f.device.ID, key.ID, host, port)
	cli := newTerraformCLI(t, config)
	cli.Run("init", "-input=false", "-no-color")
	cli.Run("plan", "-input=false", "-no-color")
	cli.Run("import", "-input=false", "-no-color", "packet_device_key_attachment.test", f.device.ID+"/"+key.ID)
	plan := cli.Run("plan", "-input=false", "-no-color")
	if !strings.Contains(strings.Join(strings.Fields(plan), " "), "host key is not known yet") {
		t.Errorf("the plan does not say why the device was not checked:\n%s", plan)
	}
	if acctest.AtLeast(t, "1.14.0") {
		query := fmt.Sprintf(`
list "packet_device_key_attachment" "found" {
  provider = packet
  config {
    device_id = %q
    ssh = {
      use_root_password = true
      host              = %q
      port              = %s
    }
  }
}
`, f.device.ID, host, port)
		if err := os.WriteFile(filepath.Join(cli.Dir, "find.tfquery.hcl"), []byte(query), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd, out := cli.Command(ctx, "query", "-no-color")
		if err := cmd.Run(); err == nil || !strings.Contains(strings.Join(strings.Fields(out.String()), " "), "host key is not known yet") {
			t.Errorf("query: err = %v, want the refusal to send a password:\n%s", err, out)
		}
	}
	if got := rec.captured(); len(got) != 1 {
		t.Fatalf("passwords sent to an unverified host: %d (%q)", len(got)-1, got[1:])
	}
}

// Finding 8: a changed ssh.port (or host) is connected to, and its host key
// checked, before it is stored. A wrong value fails the apply and is not
// stored, so putting the right one back plans no change.
func TestAccDeviceKeyAttachment_newAddressCheckedBeforeItIsStored(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	key := f.portalKey(t, newTestKey(t, "moved"))
	m := f.machine(t)
	closed := closedPort(t)
	config := func(port int) string {
		return f.providerWithKey() + fmt.Sprintf(`
resource "packet_device_key_attachment" "test" {
  device_id  = %q
  ssh_key_id = %q
  ssh = {
    host = %q
    port = %d
  }
}
`, f.device.ID, key.ID, m.Host(), port)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: config(m.Port())},
			{Config: config(closed), ExpectError: regexp.MustCompile(`Could not reach the host with the new settings`)},
			{
				Config: config(m.Port()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// closedPort is a loopback port that refuses connections.
func closedPort(t *testing.T) int {
	t.Helper()
	return int(netip.MustParseAddrPort(testutil.RefusingAddress(t)).Port())
}

// Finding 8: an import reads the device where the configuration's ssh
// settings say, never with defaults that lead elsewhere: an import block
// whose file does not hold the key fails at plan, naming the file; with
// the right file it imports.
func TestAccDeviceKeyAttachment_importUsesTheConfigurationsSSHSettings(t *testing.T) {
	acctest.Required(t)
	t.Parallel()
	f := newDeviceFixture(t)
	key := f.portalKey(t, f.operator) // provisioned: in root's default file
	config := func(file string) string {
		return cliConfig(f) + fmt.Sprintf(`
import {
  to = packet_device_key_attachment.test
  id = "%[1]s/%[2]s"
}
resource "packet_device_key_attachment" "test" {
  device_id  = %[1]q
  ssh_key_id = %[2]q
  ssh = { authorized_keys_path = %[3]q }
}
`, f.device.ID, key.ID, file)
	}
	cli := newTerraformCLI(t, config("/root/.ssh/elsewhere"))
	cli.Run("init", "-input=false", "-no-color")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, out := cli.Command(ctx, "plan", "-input=false", "-no-color")
	if err := cmd.Run(); err == nil || !strings.Contains(out.String(), "Nothing to import") ||
		!strings.Contains(out.String(), "/root/.ssh/elsewhere") {
		t.Fatalf("plan of an import whose file lacks the key: err = %v\n%s", err, out)
	}
	cli.Write(config(".ssh/authorized_keys"))
	if plan := cli.Run("plan", "-input=false", "-no-color"); !strings.Contains(plan, "1 to import") ||
		strings.Contains(plan, "must be replaced") {
		t.Fatalf("plan of the import:\n%s", plan)
	}
}

// Finding 8: `terraform query -generate-config-out` keeps the ssh settings
// the list used (host, port, user, path), so the generated attachments
// reach the device the same way.
func TestAccDeviceKeyAttachment_queryGeneratesTheSSHSettingsItUsed(t *testing.T) {
	t.Parallel()
	acctest.SkipBelow(t, "1.14.0", "terraform query")
	f := newDeviceFixture(t)
	m := f.machine(t)
	if _, err := f.mock.PutSSHKey(mockapi.SSHKey{Label: "operator-again", Key: f.operator.Line, ProjectID: mockapi.DefaultProjectID}); err != nil {
		t.Fatal(err)
	}
	cli := newTerraformCLI(t, cliConfig(f))
	query := fmt.Sprintf(`
list "packet_device_key_attachment" "found" {
  provider = packet
  config {
    device_id = %q
    ssh = {
      host                 = %q
      port                 = %d
      authorized_keys_path = "/root/.ssh/authorized_keys"
    }
  }
}
`, f.device.ID, m.Host(), m.Port())
	if err := os.WriteFile(filepath.Join(cli.Dir, "find.tfquery.hcl"), []byte(query), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.Run("init", "-input=false", "-no-color")
	cli.Run("query", "-no-color", "-generate-config-out=adopted.tf")
	generated, err := os.ReadFile(filepath.Join(cli.Dir, "adopted.tf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated:\n%s", generated)
	flat := strings.Join(strings.Fields(string(generated)), " ")
	for _, want := range []string{fmt.Sprintf("port = %d", m.Port()), fmt.Sprintf("host = %q", m.Host()),
		`authorized_keys_path = "/root/.ssh/authorized_keys"`} {
		if !strings.Contains(flat, want) {
			t.Errorf("generated config lacks %s:\n%s", want, generated)
		}
	}
}

// Finding 5: one device, one pin. A new attachment applied alone
// (-target) while something else answers at the device's address pins that
// other key; the next refresh sees two pins for one address and fails,
// naming both, instead of keeping two truths in one state.
func TestAccDeviceKeyAttachment_twoPinsForOneAddressAreAnError(t *testing.T) {
	acctest.Required(t)
	t.Parallel()
	f := newDeviceFixture(t)
	m := f.machine(t)
	proxy := tcpproxy.New(t, fmt.Sprintf("%s:%d", m.Host(), m.Port()), tcpproxy.Options{})
	a, b := f.portalKey(t, newTestKey(t, "a")), f.portalKey(t, newTestKey(t, "b"))
	attach := func(name, keyID string) string {
		return fmt.Sprintf(`
resource "packet_device_key_attachment" %q {
  device_id  = %q
  ssh_key_id = %q
  ssh = {
    host = "127.0.0.1"
    port = %d
  }
}
`, name, f.device.ID, keyID, proxy.Port())
	}
	cli := newTerraformCLI(t, cliConfig(f)+attach("a", a.ID))
	cli.Run("init", "-input=false", "-no-color")
	cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	impostor := f.impostor(t)
	proxy.SetTarget(impostor.Addr())
	cli.Write(cliConfig(f) + attach("a", a.ID) + attach("b", b.ID))
	cli.Run("apply", "-auto-approve", "-input=false", "-no-color", "-target=packet_device_key_attachment.b")
	proxy.SetTarget(fmt.Sprintf("%s:%d", m.Host(), m.Port()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd, out := cli.Command(ctx, "plan", "-input=false", "-no-color")
	if err := cmd.Run(); err == nil {
		t.Fatalf("a plan with two pins for one address passed:\n%s", out)
	}
	flat := strings.Join(strings.Fields(out.String()), " ")
	if !strings.Contains(flat, "two different host keys are held") {
		t.Errorf("the plan does not say that two pins are held for one address:\n%s", out)
	}
	for _, fp := range []string{fingerprintOf(t, m.HostKey()), fingerprintOf(t, impostor.HostKey())} {
		if !strings.Contains(flat, fp) {
			t.Errorf("the error does not name %s:\n%s", fp, out)
		}
	}
}
