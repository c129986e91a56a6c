package provider

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/machine"
)

// planLineWarnings runs planLine for expires_at at `now` and returns its
// diagnostics' summaries.
func planLineWarnings(t *testing.T, planned, prior string, now time.Time) []string {
	t.Helper()
	var sr resource.SchemaResponse
	NewAuthorizedKeyResource().Schema(context.Background(), resource.SchemaRequest{}, &sr)
	resp := &resource.ModifyPlanResponse{Plan: tfsdk.Plan{Schema: sr.Schema, Raw: emptyObject(sr.Schema)}}
	plan := &lineState{ExpiresAt: types.StringValue(planned), Options: types.StringNull()}
	var state *lineState
	if prior != "" {
		state = &lineState{ExpiresAt: types.StringValue(prior), Options: types.StringNull()}
	}
	planLine(context.Background(), plan, state, true, now, resp)
	var out []string
	for _, d := range resp.Diagnostics {
		out = append(out, d.Severity().String()+": "+d.Summary())
	}
	return out
}

// expires_at: a time in the past is refused at create; after the time an
// existing line warns how to renew or end it; moving it is a plain change.
func TestPlanLineExpiry(t *testing.T) {
	at := "2027-01-31T00:00:00Z"
	before, after := time.Date(2027, 1, 30, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		planned, prior string
		now            time.Time
		want           string
	}{
		"create before":          {at, "", before, ""},
		"create after":           {at, "", after, "Error: expires_at is in the past"},
		"existing before":        {at, at, before, ""},
		"existing after":         {at, at, after, "Warning: The access has expired"},
		"renewed after the time": {"2027-03-01T00:00:00Z", at, after, ""},
	} {
		if got := strings.Join(planLineWarnings(t, tc.planned, tc.prior, tc.now), "; "); got != tc.want {
			t.Errorf("%s: %q, want %q", name, got, tc.want)
		}
	}
}

// expires_at writes sshd's expiry-time beside the options; moving it
// rewrites the line in place; expiry-time in options is refused.
func TestAccAuthorizedKey_expiresAt(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	k := newTestKey(t, "temp")
	prov := noTokenProvider(f.operator.PrivatePEM)
	soon := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	later := soon.Add(7 * 24 * time.Hour)
	hcl := func(at time.Time) string {
		return prov + f.authorizedKeyHCL(k.Line, fmt.Sprintf("options = \"no-pty\"\n  expires_at = %q", at.Format(time.RFC3339)))
	}
	line := func(at time.Time) []byte {
		return append(bytes.Clone(f.original), fmt.Sprintf(`no-pty,expiry-time="%s" %s`+"\n", at.Format("20060102150405")+"Z", k.Line)...)
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return f.fileIs(t, "after destroy", f.original) },
		Steps: []tfresource.TestStep{
			{
				Config:      prov + f.authorizedKeyHCL(k.Line, `expires_at = "2001-01-01T00:00:00Z"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`expires_at is in the past`),
			},
			{
				Config:      prov + f.authorizedKeyHCL(k.Line, `options = "expiry-time=\"20300101\""`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Set the expiry with expires_at`),
			},
			{
				Config: hcl(soon),
				Check:  func(*terraform.State) error { return f.fileIs(t, "after create", line(soon)) },
			},
			{
				Config: hcl(later),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("packet_authorized_key.test", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error { return f.fileIs(t, "after the renewal", line(later)) },
			},
		},
	})
}

// emptyObject is a value of the schema's type with every attribute null.
func emptyObject(s interface {
	Type() attr.Type
},
) tftypes.Value {
	typ, ok := s.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		panic("a schema's type is an object")
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	return tftypes.NewValue(typ, vals)
}

// A run waits out, and breaks, a lock left by a run that died within its
// own operation: its timeout outlasts the stale-lock age and never equals it.
func TestOperationTimeoutOutlastsAStaleLock(t *testing.T) {
	if sshOperationTimeout < machine.MinOperationTimeout || sshOperationTimeout == machine.LockStaleAfter {
		t.Fatalf("operation timeout %v, stale-lock age %v: a waiter could never break a dead lock", sshOperationTimeout, machine.LockStaleAfter)
	}
}

// Finding 8: a lock that is a dangling symlink is reported at once with
// what to remove, instead of blocking the apply for two minutes.
func TestAccDeviceKeyAttachment_oddLockReportedAtOnce(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	key := f.portalKey(t, newTestKey(t, "locked-out"))
	linker, ok := f.machine(t).(interface {
		Symlink(target, link string) error
	})
	if !ok {
		t.Fatalf("the mock device %T cannot make symlinks", f.machine(t))
	}
	must(t, linker.Symlink("/root/.ssh/nowhere", "/root/.ssh/authorized_keys.packet-lock"))
	start := time.Now()
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []tfresource.TestStep{{
			Config:      f.providerWithKey() + apiKeyAttachmentHCL(f.device.ID, key.ID),
			ExpectError: regexp.MustCompile(`(?s)authorized_keys\.packet-lock.*(not a regular file|remove)`),
		}},
	})
	if took := time.Since(start); took > time.Minute {
		t.Errorf("the odd lock was reported after %v", took)
	}
}

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
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return f.fileIs(t, "after destroy", byHand) },
		Steps: []tfresource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(fr.address(), tfjsonpath.New("pre_existing"), knownvalue.Bool(true)),
				},
				Check: func(*terraform.State) error { return f.fileIs(t, "after apply", byHand) },
			},
			{
				Config:           config,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
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
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			return f.fileIs(t, "after destroy", append(bytes.Clone(f.original), restricted...))
		},
		Steps: []tfresource.TestStep{
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
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
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
	acctest.Required(t)
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
	for _, cli := range []*acctest.Workdir{a, b} {
		cli.Run("init", "-input=false", "-no-color")
		cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
		if got := cli.Run("state", "show", "-no-color", fr.address()); !regexp.MustCompile(`pre_existing\s+= false`).MatchString(got) {
			t.Fatalf("each state answers for the line (pre_existing = false):\n%s", got)
		}
	}
	a.Run("destroy", "-auto-approve", "-input=false", "-no-color")
	if err := f.canLogIn(t, k); err != nil {
		t.Fatalf("A's destroy took away the line B relies on: %v", err)
	}
	if plan := b.Run("plan", "-input=false", "-no-color"); !strings.Contains(plan, "No changes") {
		t.Fatalf("B's plan after A's destroy is not empty:\n%s", plan)
	}
	b.Run("destroy", "-auto-approve", "-input=false", "-no-color")
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
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             func(*terraform.State) error { return f.fileIs(t, "after destroy", f.original) },
		Steps: []tfresource.TestStep{
			{Config: fr.provider(f) + pinned},
			{
				Config:      fr.provider(f) + wrong,
				ExpectError: regexp.MustCompile(`(?s)` + regexp.QuoteMeta(impostor.SHA256)),
			},
			{
				Config:           fr.provider(f) + pinned,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
