package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// packet-mock --seed-from-state stands in for the retired platform: a
// configuration applied against one mock plans with no changes against a
// fresh mock seeded from its state file alone (issue 23).
func TestAccSeedFromState_planIsEmptyOffline(t *testing.T) {
	acctest.Required(t)
	t.Parallel()
	first := newDeviceFixture(t)
	project, personal := newTestKey(t, "project"), newTestKey(t, "personal")
	resources := fmt.Sprintf(`
resource "packet_project_ssh_key" "ops" {
  project_id = %q
  name       = "ops"
  public_key = %q
  tags       = ["ops"]
}
resource "packet_user_ssh_key" "me" {
  name       = "me"
  public_key = %q
}
data "packet_device" "web" {
  id = %q
}
`, mockapi.DefaultProjectID, project.Line, personal.Line, first.device.ID)
	config := func(mock *mockapi.Server) string {
		return fmt.Sprintf(`
terraform {
  required_providers {
    packet = { source = %q }
  }
}
`, providerAddress) + providerBlock(mock) + resources
	}
	cli := newTerraformCLI(t, config(first.mock))
	cli.Run("init", "-input=false", "-no-color")
	cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	state, err := os.ReadFile(filepath.Join(cli.Dir, "terraform.tfstate"))
	must(t, err)

	seeded := testMock(t, mockapi.Options{Provisioner: mockapi.SSHProvisioner})
	summary, err := seeded.SeedFromState(state)
	must(t, err)
	t.Logf("seeded: %+v", summary)
	cli.Write(config(seeded))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd, out := cli.Command(ctx, "plan", "-input=false", "-no-color", "-detailed-exitcode")
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "No changes") {
		t.Fatalf("plan against the seeded mock: %v (exit 2 means changes)\n%s", err, out)
	}
	// The control: the same plan against a mock that was not seeded changes.
	cli.Write(config(testMock(t, mockapi.Options{Provisioner: mockapi.SSHProvisioner})))
	cmd, out = cli.Command(ctx, "plan", "-input=false", "-no-color", "-detailed-exitcode", "-refresh=true")
	if err := cmd.Run(); err == nil {
		t.Fatalf("the plan against an empty mock was empty too, so the test proves nothing:\n%s", out)
	}
}

// The same for a state written by the archived packethost/packet provider:
// a fresh packet-mock seeded from that state file alone plans it with no
// changes.
func TestMigrate_archivedProviderStateSeedsTheMock(t *testing.T) {
	written := testMock(t, mockapi.Options{})
	personal, project := newTestKey(t, "me@laptop"), newTestKey(t, "deploy")
	data := seedLegacyKeys(t, written, personal, project)
	cli := newMigrationCLI(t, requiredPacketHCL+legacyPacketHCL(personal, project), nil)
	writeLegacyState(t, cli.Dir, "packethost-packet-v3.tfstate", data)
	state, err := os.ReadFile(filepath.Join(cli.Dir, "terraform.tfstate"))
	must(t, err)

	seeded := testMock(t, mockapi.Options{})
	summary, err := seeded.SeedFromState(state)
	must(t, err)
	if summary.SSHKeys != 2 {
		t.Fatalf("seeded %+v, want the state's two keys", summary)
	}
	t.Setenv(envAPIURL, seeded.URL())
	cli.Run("init", "-input=false", "-no-color")
	if plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan against the seeded mock is not empty:\n%s", plan)
	}
}
