package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

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
	acctest.Required(t)
	t.Parallel()
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
	config := requiredPacketHCL + providerBlock(mock) + resources.String()
	cli := newTerraformCLI(t, config)
	cli.Run("init", "-input=false", "-no-color")

	// Slow enough that Ctrl-C lands with creates in flight and others not started.
	mock.SetFaults(mockapi.Faults{LatencyMin: 300 * time.Millisecond, LatencyMax: 600 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	apply, out := cli.Command(ctx, "apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=5")
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
	afterCtrlC := stateKeys(cli)
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
	cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	final := stateKeys(cli)
	orphans, missing, duplicates = compareWithAPI(mock, final)
	t.Logf("after the second apply: %d keys in state, %d in the API, orphans=%d missing=%d duplicates=%d",
		len(final), len(mock.SSHKeys()), len(orphans), len(missing), len(duplicates))
	if len(final) != total || len(mock.SSHKeys()) != total || len(orphans)+len(missing)+len(duplicates) > 0 {
		t.Fatalf("after the second apply: %d in state, %d in the API (want %d each); orphans %v, missing %v, duplicates %v",
			len(final), len(mock.SSHKeys()), total, orphans, missing, duplicates)
	}
	if plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes") {
		t.Errorf("a plan after converging is not empty:\n%s", plan)
	}
	cli.Run("destroy", "-auto-approve", "-input=false", "-no-color")
	if n := len(mock.SSHKeys()); n != 0 {
		t.Errorf("%d keys left after destroy", n)
	}
}
