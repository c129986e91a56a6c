package provider

import (
	"fmt"
	"maps"
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

	"github.com/packethost/terraform-provider-packet/internal/acctest"
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
	mock := testMock(t, mockapi.Options{})
	project, personal := newTestKey(t, "project"), newTestKey(t, "personal")
	cli := newTerraformCLI(t, requiredPacketHCL+providerBlock(mock)+fmt.Sprintf(`
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
	acctest.SkipBelow(t, "1.12.0", "resource identity")
	cli.Run("init", "-input=false", "-no-color")
	cli.Run("apply", "-input=false", "-no-color", "-auto-approve")

	written := cli.Identities()
	if len(written) != 2 {
		t.Fatalf("after create, state has identities %v; want one per key", written)
	}
	cli.EditState(func(instance map[string]any) {
		delete(instance, "identity")
		delete(instance, "identity_schema_version")
	})
	if got := cli.Identities(); len(got) != 0 {
		t.Fatalf("identity still in state after removing it: %v", got)
	}

	out := cli.Run("apply", "-refresh-only", "-input=false", "-no-color", "-auto-approve")
	if strings.Contains(out, "Warning") || strings.Contains(out, "Error") {
		t.Errorf("the refresh that adds identity is not silent:\n%s", out)
	}
	if got := cli.Identities(); !maps.Equal(got, written) {
		t.Errorf("after refresh, identities are %v; want %v", got, written)
	}
	if plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan after the identity upgrade is not empty:\n%s", plan)
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
