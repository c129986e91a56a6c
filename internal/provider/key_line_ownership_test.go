package provider

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// keyLineFront is one way to ask for a key line on a server: the platform
// attachment (a device id and an API key id) or packet_authorized_key (an
// address and a public key). Both are fronts of one engine, so the
// ownership rules are tested once, against each.
type keyLineFront struct {
	name     string
	resource string // its type; the resource under test is always "test"
	provider func(f *deviceFixture) string
	// config readies k (the attachment makes it an API key) and gives the
	// resource "test" that puts it on the fixture's device, with extra in
	// its body (an ssh block).
	config func(t *testing.T, f *deviceFixture, k testKey) func(extra string) string
}

func (fr keyLineFront) address() string { return fr.resource + ".test" }

var keyLineFronts = []keyLineFront{
	{
		name:     "attachment",
		resource: "packet_device_key_attachment",
		provider: (*deviceFixture).providerWithKey,
		config: func(t *testing.T, f *deviceFixture, k testKey) func(string) string {
			keyID := f.portalKey(t, k).ID
			return func(extra string) string {
				return fmt.Sprintf(`
resource "packet_device_key_attachment" "test" {
  device_id  = %q
  ssh_key_id = %q
  %s
}
`, f.device.ID, keyID, extra)
			}
		},
	},
	{
		name:     "authorized_key",
		resource: "packet_authorized_key",
		provider: func(f *deviceFixture) string { return noTokenProvider(f.operator.PrivatePEM) },
		config: func(_ *testing.T, f *deviceFixture, k testKey) func(string) string {
			return func(extra string) string { return f.authorizedKeyHCL(k.Line, extra) }
		},
	},
}

// The ownership rules, against both fronts: a line this provider did not
// write is pre-existing and stays; an admin's restricted line for the same
// key survives byte for byte; two states that ask for one line share it and
// the last to leave takes it.
func TestAccKeyLineOwnership(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, fr keyLineFront)
	}{
		{"preExistingLineIsLeftOnDestroy", preExistingLineIsLeftOnDestroy},
		{"adminsRestrictedLineSurvives", adminsRestrictedLineSurvives},
		{"twoStatesOneLine", twoStatesOneLine},
		{"wrongHostKeyAtUpdateIsRefused", wrongHostKeyAtUpdateIsRefused},
	}
	for _, fr := range keyLineFronts {
		for _, c := range cases {
			t.Run(fr.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, fr)
			})
		}
	}
}

// A line of the key put there by hand, with the admin's comment, is not
// this provider's: pre_existing, no change planned, and destroy leaves the
// file byte for byte as the admin left it.
func preExistingLineIsLeftOnDestroy(t *testing.T, fr keyLineFront) {
	f := newDeviceFixture(t)
	k := newTestKey(t, "deploy")
	byHand := append(bytes.Clone(f.original), k.withComment("put here by hand")+"\n"...)
	if err := f.machine(t).SetAuthorizedKeys(byHand); err != nil {
		t.Fatal(err)
	}
	config := fr.provider(f) + fr.config(t, f, k)("")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return f.fileIs(t, "after destroy", byHand) },
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(fr.address(), tfjsonpath.New("pre_existing"), knownvalue.Bool(true)),
				},
				Check: func(*terraform.State) error { return f.fileIs(t, "after apply", byHand) },
			},
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// An admin adds a restricted line for the key above the provider's line:
// the plan is empty, the admin's line is never rewritten, and destroy takes
// only the provider's line, so no unrestricted copy is left behind.
func adminsRestrictedLineSurvives(t *testing.T, fr keyLineFront) {
	f := newDeviceFixture(t)
	k := newTestKey(t, "backup")
	restricted := `from="10.1.2.3",command="/usr/local/bin/backup-only",no-pty ` + k.withComment("backup-job") + "\n"
	withAdmin := append(append(bytes.Clone(f.original), restricted...), k.Line+"\n"...)
	config := fr.provider(f) + fr.config(t, f, k)("")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			return f.fileIs(t, "after destroy", append(bytes.Clone(f.original), restricted...))
		},
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(fr.address(), tfjsonpath.New("pre_existing"), knownvalue.Bool(false)),
				},
			},
			{
				PreConfig: func() {
					if err := f.machine(t).SetAuthorizedKeys(withAdmin); err != nil {
						t.Fatal(err)
					}
				},
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(fr.address(), tfjsonpath.New("authorized_keys_line"), knownvalue.StringExact(k.Line)),
				},
				Check: func(*terraform.State) error { return f.fileIs(t, "after apply", withAdmin) },
			},
		},
	})
}

// Two states (or workspaces) ask for the same key in the same file. The
// second shares the first's line; the line stays until the second destroy,
// and then the file is as it was.
func twoStatesOneLine(t *testing.T, fr keyLineFront) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	f := newDeviceFixture(t)
	k := newTestKey(t, "shared")
	config := fmt.Sprintf(`
terraform {
  required_providers {
    packet = { source = %q }
  }
}
`, providerAddress) + fr.provider(f) + fr.config(t, f, k)("")
	a, b := newTerraformCLI(t, config), newTerraformCLI(t, config)
	for _, cli := range []*terraformCLI{a, b} {
		cli.run("init", "-input=false", "-no-color")
		cli.run("apply", "-auto-approve", "-input=false", "-no-color")
		if got := cli.run("state", "show", "-no-color", fr.address()); !regexp.MustCompile(`pre_existing\s+= false`).MatchString(got) {
			t.Fatalf("each state answers for the line (pre_existing = false):\n%s", got)
		}
	}
	a.run("destroy", "-auto-approve", "-input=false", "-no-color")
	if err := f.canLogIn(t, k); err != nil {
		t.Fatalf("A's destroy took away the line B relies on: %v", err)
	}
	if plan := b.run("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes") {
		t.Fatalf("B's plan after A's destroy is not empty:\n%s", plan)
	}
	b.run("destroy", "-auto-approve", "-input=false", "-no-color")
	if err := f.fileIs(t, "after the second destroy", f.original); err != nil {
		t.Fatal(err)
	}
}

// Changing only how the host is trusted logs in with the new settings: a
// wrong host_key fails the apply and is not stored, so the next plan with
// the right settings is empty (it was stored once, and every refresh after
// it failed).
func wrongHostKeyAtUpdateIsRefused(t *testing.T, fr keyLineFront) {
	f := newDeviceFixture(t)
	k := newTestKey(t, "trust")
	impostor := newTestKey(t, "not-the-host")
	config := fr.config(t, f, k)
	pinned, wrong := config(""), config(fmt.Sprintf("ssh = { host_key = %q }", impostor.Line))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return f.fileIs(t, "after destroy", f.original) },
		Steps: []resource.TestStep{
			{Config: fr.provider(f) + pinned},
			{
				Config:      fr.provider(f) + wrong,
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(impostor.SHA256)),
			},
			{
				Config:           fr.provider(f) + pinned,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
