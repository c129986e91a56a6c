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
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

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
	t.Setenv("PACKET_AUTH_TOKEN", "")
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
	typ := s.Type().TerraformType(context.Background()).(tftypes.Object)
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
