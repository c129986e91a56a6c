package provider

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// identityNeedsTerraform112 skips identity tests on CLIs without resource
// identity (Terraform and OpenTofu before 1.12); CI's 1.11 base suite
// skips them visibly, the 1.14 and OpenTofu 1.12 runs run them.
var identityNeedsTerraform112 = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)}

var uuidLike = knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`))

// identityLifecycle creates a key, changes it in place, and imports it by
// identity and by id: identity is set on create, survives the update
// unchanged (id keeps its state value through the plan), and each import
// kind reads back the same key.
func identityLifecycle(t *testing.T, addr string, config func(name string) string, identity map[string]knownvalue.Check) {
	t.Helper()
	mock := testMock(t, mockapi.Options{})
	sameID := statecheck.CompareValue(compare.ValuesSame())
	identityChecks := func() []statecheck.StateCheck {
		return []statecheck.StateCheck{
			statecheck.ExpectIdentity(addr, identity),
			statecheck.ExpectIdentityValueMatchesState(addr, tfjsonpath.New("id")),
			sameID.AddStateValue(addr, tfjsonpath.New("id")),
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identityNeedsTerraform112,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{
			{Config: providerBlock(mock) + config("first"), ConfigStateChecks: identityChecks()},
			{
				Config: providerBlock(mock) + config("renamed"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("id"), uuidLike),
				}},
				ConfigStateChecks: identityChecks(),
			},
			{ResourceName: addr, ImportState: true, ImportStateKind: resource.ImportBlockWithResourceIdentity},
			{ResourceName: addr, ImportState: true, ImportStateKind: resource.ImportBlockWithID},
		},
	})
}

func TestAccProjectSSHKey_identity(t *testing.T) {
	t.Parallel()
	key := newTestKey(t, "identity")
	identityLifecycle(t, projectKeyAddr, func(name string) string {
		return fmt.Sprintf(`
resource "packet_project_ssh_key" "test" {
  project_id = %q
  name       = %q
  public_key = %q
  tags       = [%q]
}
`, mockapi.DefaultProjectID, name, key.Line, name)
	}, map[string]knownvalue.Check{"id": uuidLike, "project_id": knownvalue.StringExact(mockapi.DefaultProjectID)})
}

func TestAccUserSSHKey_identity(t *testing.T) {
	t.Parallel()
	key := newTestKey(t, "identity")
	identityLifecycle(t, userKeyAddr, func(name string) string {
		return fmt.Sprintf(`
resource "packet_user_ssh_key" "test" {
  name       = %q
  public_key = %q
}
`, name, key.Line)
	}, map[string]knownvalue.Check{"id": uuidLike})
}

// The deprecated alias shares the implementation, identity included.
func TestAccLegacySSHKey_identity(t *testing.T) {
	t.Parallel()
	key := newTestKey(t, "identity")
	identityLifecycle(t, "packet_ssh_key.test", func(name string) string {
		return fmt.Sprintf(`
resource "packet_ssh_key" "test" {
  name       = %q
  public_key = %q
}
`, name, key.Line)
	}, map[string]knownvalue.Check{"id": uuidLike})
}

// portalKeyImport adopts a key made in the portal with an import block
// that names it by identity, as `terraform query -generate-config-out`
// writes one.
func portalKeyImport(mock *mockapi.Server, key testKey, identity string) string {
	return providerBlock(mock) + fmt.Sprintf(`
import {
  to       = packet_project_ssh_key.test
  identity = %s
}

resource "packet_project_ssh_key" "test" {
  project_id = %q
  name       = "made in the portal"
  public_key = %q
}
`, identity, mockapi.DefaultProjectID, key.Line)
}

// TestAccProjectSSHKey_importByIdentity: `identity = { id = ... }` alone
// adopts the key with nothing to change, Read fills in the project, and
// the import costs one GET of the key (plus the step's refreshes, measured
// on the no-change step that follows).
func TestAccProjectSSHKey_importByIdentity(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "portal")
	existing, err := mock.PutSSHKey(mockapi.SSHKey{Label: "made in the portal", Key: key.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	config := portalKeyImport(mock, key, fmt.Sprintf("{ id = %q }", existing.ID))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identityNeedsTerraform112,
		Steps: []resource.TestStep{
			{
				PreConfig: mock.ResetRequests,
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(projectKeyAddr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(projectKeyAddr, map[string]knownvalue.Check{
						"id": knownvalue.StringExact(existing.ID), "project_id": knownvalue.StringExact(mockapi.DefaultProjectID),
					}),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("fingerprint"), knownvalue.StringExact(key.MD5)),
				},
				// The plan imports (one GET); applying a plan with nothing
				// to change calls nothing.
				Check: checkRequests(mock, func() map[string]int { return map[string]int{"GET /ssh-keys/{id}": 1} }),
			},
			{Config: config, PlanOnly: true},
		},
	})
}

// TestAccProjectSSHKey_importByIdentityOfAnotherProject: an identity whose
// project_id is not the key's project is refused at plan time, before a
// later plan could replace (delete) the other project's key.
func TestAccProjectSSHKey_importByIdentityOfAnotherProject(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "portal")
	existing, err := mock.PutSSHKey(mockapi.SSHKey{Label: "made in the portal", Key: key.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	const otherProject = "5c1e8f3a-0d4b-4e9a-8f7c-2b6d9e0a1c3f"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identityNeedsTerraform112,
		Steps: []resource.TestStep{
			{
				Config: portalKeyImport(mock, key, fmt.Sprintf("{ id = %q, project_id = %q }", existing.ID, otherProject)),
				ExpectError: errorLike(fmt.Sprintf("Key %s is a key of project %s, not of project %s",
					existing.ID, mockapi.DefaultProjectID, otherProject)),
			},
			{
				Config:      portalKeyImport(mock, key, `{ id = "not-a-uuid" }`),
				ExpectError: errorLike(`"not-a-uuid" is not a key id`),
			},
		},
	})
	if _, ok := mock.SSHKey(existing.ID); !ok {
		t.Error("the portal's key is gone")
	}
}

// TestAccSSHKeys_identityFilledInForOlderState starts from state without
// identity, as Terraform before 1.12 (or this provider before identity)
// wrote it: a refresh fills identity in, silently, and the plan is empty.
// The CLI is driven directly so the test can take identity out of the
// state file between the commands.
func TestAccSSHKeys_identityFilledInForOlderState(t *testing.T) {
	t.Parallel()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	mock := testMock(t, mockapi.Options{})
	project, personal := newTestKey(t, "project"), newTestKey(t, "personal")
	cli := newTerraformCLI(t, fullSourcePacketRequired+providerBlock(mock)+fmt.Sprintf(`
resource "packet_project_ssh_key" "test" {
  project_id = %q
  name       = "project"
  public_key = %q
}

resource "packet_user_ssh_key" "test" {
  name       = "personal"
  public_key = %q
}
`, mockapi.DefaultProjectID, project.Line, personal.Line))
	skipCLIBelow(t, cli, 1, 12, "resource identity")
	cli.run("init", "-input=false", "-no-color")
	cli.run("apply", "-input=false", "-no-color", "-auto-approve")

	written := cli.identities()
	if len(written) != 2 {
		t.Fatalf("after create, state has identities %v; want one per key", written)
	}
	cli.editState(func(instance map[string]any) {
		delete(instance, "identity")
		delete(instance, "identity_schema_version")
	})
	if got := cli.identities(); len(got) != 0 {
		t.Fatalf("identity still in state after removing it: %v", got)
	}

	out := cli.run("apply", "-refresh-only", "-input=false", "-no-color", "-auto-approve")
	if strings.Contains(out, "Warning") || strings.Contains(out, "Error") {
		t.Errorf("the refresh that adds identity is not silent:\n%s", out)
	}
	if got := cli.identities(); !maps.Equal(got, written) {
		t.Errorf("after refresh, identities are %v; want %v", got, written)
	}
	if plan := cli.run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan after the identity upgrade is not empty:\n%s", plan)
	}
}

// fullSourcePacketRequired names the provider by its full address, so
// OpenTofu (whose default registry is another host) finds the reattached
// provider too.
const fullSourcePacketRequired = `
terraform {
  required_providers {
    packet = { source = "` + providerAddress + `" }
  }
}
`

// skipCLIBelow skips (visibly) when the CLI is older than major.minor.
func skipCLIBelow(t *testing.T, cli *terraformCLI, major, minor int, feature string) {
	t.Helper()
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal([]byte(cli.run("version", "-json")), &v); err != nil {
		t.Fatalf("%s version -json: %v", cli.bin, err)
	}
	var gotMajor, gotMinor int
	if _, err := fmt.Sscanf(v.Version, "%d.%d", &gotMajor, &gotMinor); err != nil {
		t.Fatalf("%s version %q: %v", cli.bin, v.Version, err)
	}
	if gotMajor < major || gotMajor == major && gotMinor < minor {
		t.Skipf("SKIP: %s needs Terraform/OpenTofu %d.%d or later; %s is %s", feature, major, minor, cli.bin, v.Version)
	}
}

// identities are the identities in terraform.tfstate, by resource address.
func (c *terraformCLI) identities() map[string]string {
	c.t.Helper()
	got := map[string]string{}
	c.editState(func(instance map[string]any) {
		if id, ok := instance["identity"]; ok {
			b, _ := json.Marshal(id)
			got[fmt.Sprint(instance["_address"])] = string(b)
		}
	})
	return got
}

// editState calls edit with each resource instance of terraform.tfstate
// (its "_address" set for reading) and writes back what edit changed.
func (c *terraformCLI) editState(edit func(instance map[string]any)) {
	c.t.Helper()
	file := filepath.Join(c.dir, "terraform.tfstate")
	data, err := os.ReadFile(file)
	if err != nil {
		c.t.Fatal(err)
	}
	var state map[string]any
	if err := json.Unmarshal(data, &state); err != nil {
		c.t.Fatal(err)
	}
	resources, _ := state["resources"].([]any)
	for _, r := range resources {
		r, _ := r.(map[string]any)
		instances, _ := r["instances"].([]any)
		for _, in := range instances {
			in, _ := in.(map[string]any)
			in["_address"] = fmt.Sprintf("%v.%v", r["type"], r["name"])
			edit(in)
			delete(in, "_address")
		}
	}
	if serial, ok := state["serial"].(float64); ok {
		state["serial"] = serial + 1
	}
	out, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(file, out, 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// TestAccProjectSSHKey_identityOnReplace: another key replaces the
// resource, and the identity follows the new key (an identity may change
// only on replace).
func TestAccProjectSSHKey_identityOnReplace(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	first, second := newTestKey(t, "first"), newTestKey(t, "second")
	differentID := statecheck.CompareValue(compare.ValuesDiffer())
	step := func(key testKey, checks ...plancheck.PlanCheck) resource.TestStep {
		return resource.TestStep{
			Config:           projectKeyConfig(mock, "rotated", key.Line),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: checks},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectIdentityValueMatchesState(projectKeyAddr, tfjsonpath.New("id")),
				statecheck.ExpectIdentityValue(projectKeyAddr, tfjsonpath.New("project_id"), knownvalue.StringExact(mockapi.DefaultProjectID)),
				differentID.AddStateValue(projectKeyAddr, tfjsonpath.New("id")),
			},
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identityNeedsTerraform112,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{
			step(first),
			step(second, plancheck.ExpectResourceAction(projectKeyAddr, plancheck.ResourceActionDestroyBeforeCreate)),
		},
	})
}
