package provider

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// These tests run the recipes of the guide "Leaving the retired platform"
// (templates/guides/leaving-the-platform.md.tmpl) through the CLI, with the
// guide's own example files: resources of every kind the guide names are
// made while the API works, then the API answers 401 to everything, as the
// retired platform is reported to, and each recipe must empty the state
// without an error, without a write reaching the API and without touching
// the server: the mock still holds every key and the device's
// authorized_keys is byte-identical.

// leavingExamples holds the guide's example files.
var leavingExamples = filepath.Join("..", "..", "examples", "guides", "leaving-the-platform")

// The addresses of the examples, in the order `terraform state rm` takes them.
var leavingAddresses = []string{
	"packet_project_ssh_key.deploy", "packet_user_ssh_key.laptop", "packet_ssh_key.old_laptop",
	"packet_device_key_attachment.deploy", "equinix_metal_project_ssh_key.deploy", "equinix_metal_ssh_key.laptop",
}

// lifecycleDestroyFalse is the block the lifecycle example adds to each resource.
const lifecycleDestroyFalse = `

  lifecycle {
    destroy = false
  }
`

func readExample(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(leavingExamples, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leaving is a working directory whose state holds every kind of key the
// guide takes out, made while the API worked; the API now refuses everything.
type leaving struct {
	f    *deviceFixture
	api  *retiringAPI
	cli  *acctest.Workdir
	keys []string // ids of the keys the API held before the retirement
	file []byte   // the device's authorized_keys before the retirement
	ssh  sshserver.Stats

	equinixKeys [2]testKey // the personal and the project key equinix v4 made
}

// equinixHCL is the equinix v4 configuration of its two keys, with body
// added to each resource block.
func (l *leaving) equinixHCL(body string) string {
	return fmt.Sprintf(`
provider "equinix" {
  auth_token = %q
}

resource "equinix_metal_ssh_key" "laptop" {
  name       = "laptop"
  public_key = %q%s
}

resource "equinix_metal_project_ssh_key" "deploy" {
  name       = "deploy"
  public_key = %q
  project_id = %q%s
}
`, mockapi.DefaultToken, l.equinixKeys[0].Line+"\n", body, l.equinixKeys[1].Line+"\n", mockapi.DefaultProjectID, body)
}

func newLeaving(t *testing.T) *leaving {
	t.Helper()
	f := newDeviceFixture(t)
	api := newRetiringAPI(t, f.mock)
	t.Setenv(envAPIURL, api.apiURL()) // the equinix double's packngo reads it

	// The user's configuration before the retirement: the lifecycle example
	// as it was before anyone added the lifecycle blocks...
	packet := strings.ReplaceAll(readExample(t, "lifecycle/main.tf"), lifecycleDestroyFalse, "\n")
	if strings.Contains(packet, "lifecycle {") {
		t.Fatalf("lifecycle/main.tf: cannot take its lifecycle blocks out:\n%s", packet)
	}
	// ...and keys that equinix/equinix v4 made, in its state as it wrote it.
	laptop, deploy := newTestKey(t, "equinix-laptop"), newTestKey(t, "equinix-deploy")
	data := seedLegacyKeys(t, f.mock, laptop, deploy)
	cli := newMigrationCLI(t, packet, &legacyEquinixV4)
	l := &leaving{f: f, api: api, cli: cli, equinixKeys: [2]testKey{laptop, deploy}}
	l.cli.WriteFile("equinix.tf", l.equinixHCL(""))
	l.cli.WriteFile("providers.tf", fmt.Sprintf(`
terraform {
  required_providers {
    packet  = { source = %q }
    equinix = { source = %q }
  }
}
`, providerAddress, equinixAddress())+
		acctest.ProviderBlock{AuthToken: mockapi.DefaultToken, APIURL: api.apiURL(), MaxRetries: 1, SSH: sshBlock(f.operator.PrivatePEM)}.String())
	for _, name := range []string{"deploy", "laptop", "old-laptop"} {
		l.cli.WriteFile(filepath.Join("keys", name+".pub"), newTestKey(t, name).Line+"\n")
	}
	writeLegacyState(t, cli.Dir, "equinix-v4.tfstate", data)
	// Environment variables, not -var: the later configurations declare no variables.
	cli.Setenv("TF_VAR_project_id", mockapi.DefaultProjectID)
	cli.Setenv("TF_VAR_device_id", f.device.ID)

	cli.Run("init", "-input=false", "-no-color")
	cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	if got := l.stateAddresses(); !sameElements(got, leavingAddresses) {
		t.Fatalf("state before the retirement holds %v, want %v", got, leavingAddresses)
	}
	if plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Fatalf("the plan before the retirement is not empty:\n%s", plan)
	}

	for _, k := range f.mock.SSHKeys() {
		l.keys = append(l.keys, k.ID)
	}
	l.file = f.authorizedKeys(t)
	if !bytes.Contains(l.file, []byte("deploy")) || bytes.Equal(l.file, f.original) {
		t.Fatalf("the attachment did not put its line on the device:\n%s", l.file)
	}

	api.retire(http.StatusUnauthorized)
	l.ssh = f.sshStats(t)()
	// Where the guide starts: a plan fails, and says why.
	out := cli.Fail("plan", "-input=false", "-no-color")
	if !retirementError("Could not read").MatchString(out) {
		t.Fatalf("a plan against the retired API does not name the retirement:\n%s", out)
	}
	return l
}

func (l *leaving) stateAddresses() []string {
	return strings.Fields(l.cli.Run("state", "list", "-no-color"))
}

// leftAlone fails unless the state is empty and nothing outside it changed:
// the API got no write and still holds every key, the device was not
// logged in to and its authorized_keys is what it was.
func (l *leaving) leftAlone(t *testing.T) {
	t.Helper()
	if got := l.stateAddresses(); len(got) != 0 {
		t.Errorf("state still holds %v", got)
	}
	var now []string
	for _, k := range l.f.mock.SSHKeys() {
		now = append(now, k.ID)
	}
	if !sameElements(now, l.keys) {
		t.Errorf("the API held keys %v, now %v", l.keys, now)
	}
	for _, r := range l.api.requests() {
		if !strings.HasPrefix(r, "GET ") {
			t.Errorf("%s reached the API", r)
		}
	}
	if got := l.f.authorizedKeys(t); !bytes.Equal(got, l.file) {
		t.Errorf("authorized_keys changed:\n%q\nwant\n%q", got, l.file)
	}
	if got := l.f.sshStats(t)(); got.Connections != l.ssh.Connections {
		t.Errorf("%d SSH connections to the device during the recipe, want none", got.Connections-l.ssh.Connections)
	}
}

// planIsEmpty runs the plan the guide ends with.
func (l *leaving) planIsEmpty(t *testing.T) {
	t.Helper()
	if plan := l.cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("the plan after the recipe is not empty:\n%s", plan)
	}
}

func sameElements(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The guide's first recipe: every resource block replaced by a removed
// block with destroy = false (removed.tf), then one apply without refresh:
// OpenTofu refreshes what a removed block names before forgetting it, and
// that refresh fails (Terraform does not).
func TestAccLeaving_removedBlocks(t *testing.T) {
	acctest.SkipBelow(t, "1.7.0", "removed blocks")
	l := newLeaving(t)
	l.removedBlocksInstead(t)
	out := l.cli.Run("apply", "-refresh=false", "-auto-approve", "-input=false", "-no-color")
	t.Logf("apply -refresh=false with the removed blocks:\n%s", out)
	l.leftAlone(t)
	l.planIsEmpty(t)
}

// removedBlocksInstead replaces every resource block with the example's removed blocks.
func (l *leaving) removedBlocksInstead(t *testing.T) {
	t.Helper()
	l.cli.WriteFile("main.tf", readExample(t, "removed/removed.tf"))
	if err := os.Remove(filepath.Join(l.cli.Dir, "equinix.tf")); err != nil {
		t.Fatal(err)
	}
}

// With equinix/equinix v5 installed (no Metal resource types), removed
// blocks cannot forget the equinix_metal_* keys: the CLI cannot read their
// state without a schema. state rm can: it needs no provider.
func TestAccLeaving_equinixV5(t *testing.T) {
	acctest.SkipBelow(t, "1.7.0", "removed blocks")
	l := newLeaving(t)
	addEquinix(t, l.cli, legacyEquinixV5) // in place of v4, as after an upgrade
	l.removedBlocksInstead(t)
	out := l.cli.Fail("apply", "-refresh=false", "-auto-approve", "-input=false", "-no-color")
	t.Logf("apply -refresh=false with the removed blocks, equinix v5:\n%s", out)
	if !strings.Contains(out, "no schema available for equinix_metal_") {
		t.Errorf("the removed blocks failed, but not for want of a schema:\n%s", out)
	}
	if got := l.stateAddresses(); !sameElements(got, leavingAddresses) {
		t.Errorf("state after the failed apply holds %v, want all of %v", got, leavingAddresses)
	}
	l.cli.Run("state", "rm", "-no-color", "equinix_metal_project_ssh_key.deploy", "equinix_metal_ssh_key.laptop")
	l.cli.Run("apply", "-refresh=false", "-auto-approve", "-input=false", "-no-color")
	l.leftAlone(t)
	l.planIsEmpty(t)
}

// The guide's second recipe (Terraform 1.16, OpenTofu 1.12): the resources
// stay, each with lifecycle { destroy = false } (lifecycle/main.tf), and a
// destroy run without refresh forgets them all.
func TestAccLeaving_lifecycleDestroyFalse(t *testing.T) {
	tofu := acctest.IsOpenTofu(t)
	if tofu {
		acctest.SkipBelow(t, "1.12.0", "lifecycle { destroy = false } on a resource")
	} else {
		acctest.SkipBelow(t, "1.16.0", "lifecycle { destroy = false } on a resource")
	}
	l := newLeaving(t)
	l.cli.WriteFile("main.tf", readExample(t, "lifecycle/main.tf"))
	// The same block on the equinix v4 resources.
	l.cli.WriteFile("equinix.tf", l.equinixHCL(strings.TrimSuffix(lifecycleDestroyFalse, "\n")))
	args := []string{"apply", "-destroy", "-refresh=false", "-auto-approve", "-input=false", "-no-color"}
	if tofu {
		// OpenTofu's destroy exits 1 when it forgot something, unless told not to.
		args = []string{"destroy", "-refresh=false", "-suppress-forget-errors", "-auto-approve", "-input=false", "-no-color"}
	}
	out := l.cli.Run(args...)
	t.Logf("%s:\n%s", strings.Join(args[:3], " "), out)
	l.leftAlone(t)
}

// The last resort, on any CLI: terraform state rm of every address.
func TestAccLeaving_stateRm(t *testing.T) {
	l := newLeaving(t)
	out := l.cli.Run(append([]string{"state", "rm", "-no-color"}, leavingAddresses...)...)
	t.Logf("state rm:\n%s", out)
	l.leftAlone(t)
	// Then the blocks go from the configuration.
	l.cli.WriteFile("main.tf", "")
	if err := os.Remove(filepath.Join(l.cli.Dir, "equinix.tf")); err != nil {
		t.Fatal(err)
	}
	l.planIsEmpty(t)
}
