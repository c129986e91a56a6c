package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// providerAddress is where the CLI runs below find the reattached provider.
const providerAddress = "registry.terraform.io/packethost/packet"

// serveForReattach serves the provider in this process in debug mode and
// returns the TF_REATTACH_PROVIDERS value that points the CLI at it: unlike
// terraform-plugin-testing, this lets a test drive the CLI itself (and send
// it Ctrl-C). The server stops when the test ends.
func serveForReattach(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	configCh := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve(providerAddress,
			Server("test"),
			tf6server.WithDebug(ctx, configCh, closed),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(t), // provider logs only as TF_LOG and TF_ACC_LOG_PATH say, as in resource.Test
			tf6server.WithoutLogStderrOverride())
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Error("the provider server did not stop")
		}
	})
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-configCh:
	case err := <-served:
		t.Fatalf("serving the provider: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the provider server did not start")
	}
	type addr struct{ Network, String string }
	reattach, err := json.Marshal(map[string]any{providerAddress: map[string]any{
		"Protocol": string(cfg.Protocol), "ProtocolVersion": cfg.ProtocolVersion, "Pid": cfg.Pid, "Test": cfg.Test,
		"Addr": addr{Network: cfg.Addr.Network(), String: cfg.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(reattach)
}

// terraformCLI runs the terraform (or tofu) binary of the acceptance tests
// in one working directory against the reattached provider.
type terraformCLI struct {
	t        *testing.T
	bin, dir string
	env      []string
}

func newTerraformCLI(t *testing.T, config string) *terraformCLI {
	t.Helper()
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		for _, name := range []string{"terraform", "tofu"} {
			if p, err := exec.LookPath(name); err == nil {
				bin = p
				break
			}
		}
	}
	if bin == "" {
		t.Fatal("TF_ACC is set but neither terraform nor tofu is on PATH (or TF_ACC_TERRAFORM_PATH)")
	}
	dir := t.TempDir()
	cli := &terraformCLI{t: t, bin: bin, dir: dir, env: append(os.Environ(),
		"TF_REATTACH_PROVIDERS="+serveForReattach(t),
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"TF_CLI_CONFIG_FILE="+filepath.Join(dir, "cli.tfrc"), // empty: no plugin cache, no network mirrors
	)}
	cli.write(config)
	if err := os.WriteFile(filepath.Join(dir, "cli.tfrc"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return cli
}

func (c *terraformCLI) write(config string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(config), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

func (c *terraformCLI) command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	return cmd, &out
}

// run runs a command to its end and fails the test if it fails.
func (c *terraformCLI) run(args ...string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd, out := c.command(ctx, args...)
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("%s %s: %v\n%s", filepath.Base(c.bin), strings.Join(args, " "), err, out)
	}
	return out.String()
}

// stateKeys reads the key resources of terraform.tfstate.
func (c *terraformCLI) stateKeys() []stateKey {
	c.t.Helper()
	data, err := os.ReadFile(filepath.Join(c.dir, "terraform.tfstate"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		c.t.Fatal(err)
	}
	var state struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes struct {
					ID, Name, Fingerprint string
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &state); err != nil {
		c.t.Fatalf("terraform.tfstate: %v", err)
	}
	var keys []stateKey
	for _, r := range state.Resources {
		if r.Type != "packet_project_ssh_key" && r.Type != "packet_user_ssh_key" {
			continue
		}
		for _, in := range r.Instances {
			keys = append(keys, stateKey{ID: in.Attributes.ID, Name: in.Attributes.Name, Fingerprint: in.Attributes.Fingerprint})
		}
	}
	return keys
}

type stateKey struct{ ID, Name, Fingerprint string }

// compareWithAPI counts keys the API has that state does not (orphans),
// state entries the API lacks (missing) and keys the API has twice.
func compareWithAPI(mock *mockapi.Server, state []stateKey) (orphans, missing, duplicates []string) {
	inState := map[string]bool{}
	for _, k := range state {
		inState[k.ID] = true
	}
	inAPI := map[string]bool{}
	seen := map[string]bool{}
	for _, k := range mock.SSHKeys() {
		inAPI[k.ID] = true
		owner := k.ProjectID + "/" + k.UserID + "/" + k.Fingerprint
		if seen[owner] {
			duplicates = append(duplicates, k.Fingerprint)
		}
		seen[owner] = true
		if !inState[k.ID] {
			orphans = append(orphans, fmt.Sprintf("%s %q", k.ID, k.Label))
		}
	}
	for _, k := range state {
		if !inAPI[k.ID] {
			missing = append(missing, fmt.Sprintf("%s %q", k.ID, k.Name))
		}
	}
	return orphans, missing, duplicates
}

// TestAccInterrupt_applyConvergesAfterCtrlC starts an apply of 30 keys
// against a slow API, sends the CLI an interrupt (Ctrl-C) once the first
// keys exist, and then applies again: the second apply must create exactly
// the rest, leaving no duplicate, no orphan and nothing missing.
func TestAccInterrupt_applyConvergesAfterCtrlC(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	const total = 30
	mock := testMock(t, mockapi.Options{})
	var resources strings.Builder
	for i := range total {
		k := newTestKey(t, fmt.Sprintf("interrupt-%d", i))
		fmt.Fprintf(&resources, `
resource "packet_project_ssh_key" "k%02d" {
  project_id = %q
  name       = "interrupt-%02d"
  public_key = %q
}
`, i, mockapi.DefaultProjectID, i, k.Line)
	}
	config := fmt.Sprintf(`
terraform {
  required_providers {
    packet = { source = "%s" }
  }
}
provider "packet" {
  auth_token  = %q
  api_url     = %q
  max_retries = 5
}
`, providerAddress, mockapi.DefaultToken, mock.URL()) + resources.String()
	cli := newTerraformCLI(t, config)
	cli.run("init", "-input=false", "-no-color")

	// Slow enough that Ctrl-C lands with creates in flight and others not started.
	mock.SetFaults(mockapi.Faults{LatencyMin: 300 * time.Millisecond, LatencyMax: 600 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	apply, out := cli.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=5")
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for len(mock.SSHKeys()) < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := apply.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	interrupted := apply.Wait()
	if interrupted == nil {
		t.Fatalf("the apply was not interrupted (it finished before Ctrl-C):\n%s", out)
	}
	if !strings.Contains(out.String(), "Interrupt received") {
		t.Errorf("terraform did not report the interrupt:\n%s", out)
	}
	afterCtrlC := cli.stateKeys()
	orphans, missing, duplicates := compareWithAPI(mock, afterCtrlC)
	t.Logf("after Ctrl-C: %d creates sent, %d keys in state, %d in the API, orphans=%d missing=%d duplicates=%d",
		mock.Requests()["POST /projects/{id}/ssh-keys"], len(afterCtrlC), len(mock.SSHKeys()), len(orphans), len(missing), len(duplicates))
	if len(afterCtrlC) == 0 || len(afterCtrlC) >= total {
		t.Fatalf("%d keys in state after Ctrl-C: want the apply cut off part way", len(afterCtrlC))
	}
	// Every create that reached the API is in state, even those cut off by
	// Ctrl-C while their request was in flight.
	if len(orphans)+len(missing)+len(duplicates) > 0 {
		t.Errorf("after Ctrl-C: orphans %v, missing %v, duplicates %v", orphans, missing, duplicates)
	}

	mock.SetFaults(mockapi.Faults{})
	cli.run("apply", "-auto-approve", "-input=false", "-no-color")
	final := cli.stateKeys()
	orphans, missing, duplicates = compareWithAPI(mock, final)
	t.Logf("after the second apply: %d keys in state, %d in the API, orphans=%d missing=%d duplicates=%d",
		len(final), len(mock.SSHKeys()), len(orphans), len(missing), len(duplicates))
	if len(final) != total || len(mock.SSHKeys()) != total || len(orphans)+len(missing)+len(duplicates) > 0 {
		t.Fatalf("after the second apply: %d in state, %d in the API (want %d each); orphans %v, missing %v, duplicates %v",
			len(final), len(mock.SSHKeys()), total, orphans, missing, duplicates)
	}
	if plan := cli.run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes") {
		t.Errorf("a plan after converging is not empty:\n%s", plan)
	}
	cli.run("destroy", "-auto-approve", "-input=false", "-no-color")
	if n := len(mock.SSHKeys()); n != 0 {
		t.Errorf("%d keys left after destroy", n)
	}
}
