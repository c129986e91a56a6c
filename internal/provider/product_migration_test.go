package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// Users of the earlier providers, against the mock: their HCL and state
// (written by the test doubles of product_legacy_providers_test.go) keep working,
// and moved blocks bring them over. The doubles find the mock through
// PACKET_API_URL, as does this provider, so the legacy HCL is used as it
// is; that is why these tests are not parallel.

func legacyFactories(f legacyFlavour) map[string]func() (tfprotov5.ProviderServer, error) {
	return map[string]func() (tfprotov5.ProviderServer, error){f.provider: f.factory()}
}

// legacyPacketHCL is what a user of the archived provider has: a token in
// the provider block, both key types, keys read with file() (so they end in
// a newline).
func legacyPacketHCL(personal, project testKey) string {
	return acctest.ProviderBlock{AuthToken: mockapi.DefaultToken}.String() + fmt.Sprintf(`
resource "packet_ssh_key" "laptop" {
  name       = "laptop"
  public_key = %q
}

resource "packet_project_ssh_key" "deploy" {
  name       = "deploy"
  public_key = %q
  project_id = %q
}
`, personal.Line+"\n", project.Line+"\n", mockapi.DefaultProjectID)
}

// checkAllKeysGone is a CheckDestroy for tests whose state holds types
// checkKeysGone does not know (packet_ssh_key, the equinix ones).
func checkAllKeysGone(mock *mockapi.Server) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if keys := mock.SSHKeys(); len(keys) != 0 {
			return fmt.Errorf("%d key(s) left in the API after destroy: %v", len(keys), keys)
		}
		return nil
	}
}

// TestAccMigrate_legacyHCLAndStatePlanEmpty: the archived provider created
// a personal and a project key; with only the binary changed (same HCL,
// same state) the plan is empty. The project key's state is the earlier
// schema 0 (no tags, fingerprint_sha256, algorithm) and reads as it is.
func TestAccMigrate_legacyHCLAndStatePlanEmpty(t *testing.T) {
	mock := testMock(t, mockapi.Options{})
	t.Setenv(envAPIURL, mock.URL())
	personal, project := newTestKey(t, "me@laptop"), newTestKey(t, "deploy")
	config := legacyPacketHCL(personal, project)
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.Test(t, resource.TestCase{
		CheckDestroy: checkAllKeysGone(mock),
		Steps: []resource.TestStep{
			{
				ProtoV5ProviderFactories: legacyFactories(legacyPacketV3),
				Config:                   config,
				ConfigStateChecks: []statecheck.StateCheck{
					// The archived provider writes the API's key back: as sent.
					statecheck.ExpectKnownValue("packet_ssh_key.laptop", tfjsonpath.New("public_key"), knownvalue.StringExact(personal.Line+"\n")),
					sameID.AddStateValue("packet_project_ssh_key.deploy", tfjsonpath.New("id")),
				},
			},
			{
				ProtoV6ProviderFactories: testProviderFactories,
				Config:                   config,
				ConfigPlanChecks:         resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue("packet_project_ssh_key.deploy", tfjsonpath.New("id")),
					statecheck.ExpectKnownValue("packet_ssh_key.laptop", tfjsonpath.New("fingerprint_sha256"), knownvalue.StringExact(personal.SHA256)),
					statecheck.ExpectKnownValue("packet_project_ssh_key.deploy", tfjsonpath.New("fingerprint_sha256"), knownvalue.StringExact(project.SHA256)),
				},
			},
		},
	})
}

// TestAccMigrate_movedFromEachEarlierType: a moved block from each earlier
// type: no create, no destroy, the same key id, the source gone from state,
// then an empty plan (which terraform-plugin-testing runs after each step),
// also once the moved block and the earlier provider are gone.
// For equinix the Metal-free v5 is the provider installed at the move:
// Terraform does not need the source's schema (it hands the raw state to
// MoveResourceState), only the provider named in state to be installed.
func TestAccMigrate_movedFromEachEarlierType(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		source, after  legacyFlavour // after: the source provider still installed at the move
		project        bool
	}{
		{name: "packet_ssh_key", from: "packet_ssh_key.k", to: "packet_user_ssh_key.k", source: legacyPacketV3},
		{name: "equinix_metal_ssh_key", from: "equinix_metal_ssh_key.k", to: "packet_user_ssh_key.k", source: legacyEquinixV4, after: legacyEquinixV5},
		{name: "equinix_metal_project_ssh_key", from: "equinix_metal_project_ssh_key.k", to: "packet_project_ssh_key.k", source: legacyEquinixV4, after: legacyEquinixV5, project: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mock := testMock(t, mockapi.Options{})
			t.Setenv(envAPIURL, mock.URL())
			key := newTestKey(t, "moved")
			body := func(addr string) string {
				typ, name, _ := strings.Cut(addr, ".")
				project := ""
				if tc.project {
					project = fmt.Sprintf("  project_id = %q\n", mockapi.DefaultProjectID)
				}
				return fmt.Sprintf("resource %q %q {\n  name       = \"moved\"\n  public_key = %q\n%s}\n", typ, name, key.Line+"\n", project)
			}
			before := fmt.Sprintf("provider %q {\n  auth_token = %q\n}\n", tc.source.provider, mockapi.DefaultToken) + body(tc.from)
			after := providerBlock(mock) + body(tc.to) + fmt.Sprintf("\nmoved {\n  from = %s\n  to   = %s\n}\n", tc.from, tc.to)

			v5 := map[string]func() (tfprotov5.ProviderServer, error){}
			if tc.after.provider != "" {
				v5 = legacyFactories(tc.after)
			}
			sameID := statecheck.CompareValue(compare.ValuesSame())
			resource.Test(t, resource.TestCase{
				CheckDestroy: checkAllKeysGone(mock),
				Steps: []resource.TestStep{
					{
						ProtoV5ProviderFactories: legacyFactories(tc.source),
						Config:                   before,
						ConfigStateChecks:        []statecheck.StateCheck{sameID.AddStateValue(tc.from, tfjsonpath.New("id"))},
					},
					{
						ProtoV5ProviderFactories: v5,
						ProtoV6ProviderFactories: testProviderFactories,
						Config:                   after,
						ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
							plancheck.ExpectResourceAction(tc.to, plancheck.ResourceActionNoop),
							expectMoveOnly{from: tc.from, to: tc.to},
						}},
						ConfigStateChecks: []statecheck.StateCheck{
							sameID.AddStateValue(tc.to, tfjsonpath.New("id")),
							expectNotInState{addr: tc.from},
							statecheck.ExpectKnownValue(tc.to, tfjsonpath.New("fingerprint"), knownvalue.StringExact(key.MD5)),
							statecheck.ExpectKnownValue(tc.to, tfjsonpath.New("created"), knownvalue.StringRegexp(rfc3339Prefix)),
						},
					},
					{
						// Then the moved block and the earlier provider can go.
						ProtoV6ProviderFactories: testProviderFactories,
						Config:                   providerBlock(mock) + body(tc.to),
						PlanOnly:                 true,
					},
				},
			})
			if n := countKeysWithFingerprint(mock, key.MD5); n != 0 {
				t.Errorf("%d keys left after destroy", n)
			}
		})
	}
}

// TestAccMigrate_movedFromUnsupportedType: a moved block from a type no
// mover knows (the project key moved to the personal key type) is refused
// with the list of what is supported.
func TestAccMigrate_movedFromUnsupportedType(t *testing.T) {
	mock := testMock(t, mockapi.Options{})
	t.Setenv(envAPIURL, mock.URL())
	personal, project := newTestKey(t, "me"), newTestKey(t, "deploy")
	wrong := providerBlock(mock) + fmt.Sprintf(`
resource "packet_user_ssh_key" "deploy" {
  name       = "deploy"
  public_key = %q
}

moved {
  from = packet_project_ssh_key.deploy
  to   = packet_user_ssh_key.deploy
}
`, project.Line)
	resource.Test(t, resource.TestCase{
		Steps: []resource.TestStep{
			{ProtoV5ProviderFactories: legacyFactories(legacyPacketV3), Config: legacyPacketHCL(personal, project)},
			{
				ProtoV6ProviderFactories: testProviderFactories,
				Config:                   wrong,
				ExpectError: errorLike("packet_user_ssh_key takes state only from: packet_ssh_key (packet provider), " +
					"equinix_metal_ssh_key (equinix provider)."),
			},
			{ProtoV6ProviderFactories: testProviderFactories, Config: legacyPacketHCL(personal, project)},
		},
	})
}

// TestAccMigrate_legacyKeyDeletedBehindItsBackIsRecreated: the archived
// provider takes a 404 as "gone" only when it carries X-Request-Id; the
// mock sends it (as the API does), so a key deleted in the portal is
// planned for creation again instead of failing with "Not found".
func TestAccMigrate_legacyKeyDeletedBehindItsBackIsRecreated(t *testing.T) {
	mock := testMock(t, mockapi.Options{})
	t.Setenv(envAPIURL, mock.URL())
	personal, project := newTestKey(t, "me"), newTestKey(t, "deploy")
	config := legacyPacketHCL(personal, project)
	var firstID string
	resource.Test(t, resource.TestCase{
		ProtoV5ProviderFactories: legacyFactories(legacyPacketV3),
		CheckDestroy:             checkAllKeysGone(mock),
		Steps: []resource.TestStep{
			{Config: config, Check: captureID("packet_ssh_key.laptop", &firstID)},
			{
				PreConfig: func() {
					if !mock.DeleteSSHKey(firstID) {
						t.Fatalf("key %s was not in the API", firstID)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("packet_ssh_key.laptop", plancheck.ResourceActionCreate),
				}},
				Check: func(*terraform.State) error { return expectOneKey(countKeysWithFingerprint(mock, personal.MD5)) },
			},
		},
	})
}

// expectMoveOnly fails a plan that creates or destroys anything, or whose
// change to `to` is not the move from `from`.
type expectMoveOnly struct{ from, to string }

func (e expectMoveOnly) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	moved := false
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Change.Actions.Create() || rc.Change.Actions.Delete() || rc.Change.Actions.Replace() {
			resp.Error = fmt.Errorf("the move plans %v for %s; want no create or destroy", rc.Change.Actions, rc.Address)
			return
		}
		if rc.Address == e.to && rc.PreviousAddress == e.from {
			moved = true
		}
	}
	if !moved {
		resp.Error = fmt.Errorf("the plan does not move %s to %s", e.from, e.to)
	}
}

// expectNotInState fails when the state still has a resource at addr.
type expectNotInState struct{ addr string }

func (e expectNotInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil || req.State.Values == nil || req.State.Values.RootModule == nil {
		return
	}
	for _, r := range req.State.Values.RootModule.Resources {
		if r.Address == e.addr {
			resp.Error = fmt.Errorf("%s is still in state after the move", e.addr)
			return
		}
	}
}

// rfc3339Prefix is how the API writes times (not equinix v4's Go values).
var rfc3339Prefix = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
