package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// handPlaced is a platform key whose line someone pasted onto the device.
type handPlaced struct {
	name string
	key  testKey
	id   string
	line string // as pasted, options and comment included
}

// `terraform query` finds the lines on a device whose key is a platform key
// — placed by hand, two project keys and a personal one — and not a line
// whose key the platform does not know. Importing them by identity plans
// nothing more, records them as pre-existing, and destroy leaves them.
func TestAccDeviceKeyAttachment_listAndAdoptHandPlacedLines(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	var placed []handPlaced
	for i, owner := range []mockapi.SSHKey{{ProjectID: mockapi.DefaultProjectID}, {ProjectID: mockapi.DefaultProjectID}, {UserID: mockapi.DefaultUserID}} {
		name := fmt.Sprintf("by-hand-%d", i)
		key := newTestKey(t, name+"@laptop")
		owner.Label, owner.Key = name, key.Line
		k, err := f.mock.PutSSHKey(owner)
		if err != nil {
			t.Fatal(err)
		}
		line := key.Line
		if i == 1 {
			line = `from="10.0.0.0/8",no-pty ` + key.Line
		}
		placed = append(placed, handPlaced{name: name, key: key, id: k.ID, line: line})
	}
	stranger := newTestKey(t, "not-on-the-platform")
	file := append(bytes.Clone(f.original), []byte(placed[0].line+"\n# pasted by hand\n"+placed[1].line+"\n"+
		stranger.Line+"\n"+placed[2].line+"\n")...)
	if err := f.machine(t).SetAuthorizedKeys(file); err != nil {
		t.Fatal(err)
	}

	// The query file goes beside the previous step's .tf, which has the provider block.
	listConfig := fmt.Sprintf(`
list "packet_device_key_attachment" "on_web" {
  provider = packet
  config {
    device_id = %[1]q
  }
}

# The same, reached by address and checked against a known host key.
list "packet_device_key_attachment" "strict" {
  provider = packet
  config {
    device_id = %[1]q
    ssh = {
      host     = %[2]q
      port     = %[3]d
      host_key = %[4]q
    }
  }
}
`, f.device.ID, f.machine(t).Host(), f.machine(t).Port(), f.machine(t).HostKey())
	identityOf := func(keyID string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"device_id": knownvalue.StringExact(f.device.ID), "ssh_key_id": knownvalue.StringExact(keyID)}
	}
	checks := []querycheck.QueryResultCheck{
		// The three by hand, and the operator's project key put there at provisioning.
		querycheck.ExpectLength("packet_device_key_attachment.on_web", 4),
		querycheck.ExpectLength("packet_device_key_attachment.strict", 4),
	}
	for _, p := range placed {
		checks = append(checks, querycheck.ExpectIdentity("packet_device_key_attachment.on_web", identityOf(p.id)))
	}
	checks = append(checks, querycheck.ExpectResourceDisplayName("packet_device_key_attachment.on_web",
		queryfilter.ByResourceIdentity(identityOf(placed[1].id)), knownvalue.StringRegexp(regexp.MustCompile(`^by-hand-1 \(SHA256:.+\) on web-1$`))))

	var imports strings.Builder
	for _, p := range placed {
		options := ""
		if opts := strings.TrimSuffix(p.line, " "+p.key.Line); opts != p.line {
			options = fmt.Sprintf("options = %q", opts)
		}
		fmt.Fprintf(&imports, `
import {
  to       = packet_device_key_attachment.%[1]s
  identity = { device_id = %[2]q, ssh_key_id = %[3]q }
}
resource "packet_device_key_attachment" %[1]q {
  device_id  = %[2]q
  ssh_key_id = %[3]q
  %[4]s
}
`, strings.ReplaceAll(p.name, "-", "_"), f.device.ID, p.id, options)
	}
	var adopted []statecheck.StateCheck
	for _, p := range placed {
		adopted = append(adopted, statecheck.ExpectKnownValue("packet_device_key_attachment."+strings.ReplaceAll(p.name, "-", "_"),
			tfjsonpath.New("pre_existing"), knownvalue.Bool(true)))
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		Steps: []resource.TestStep{
			{Config: f.providerWithKey()},
			{Query: true, Config: listConfig, QueryResultChecks: checks},
			{
				// A device that does not show the expected host key is not read.
				Query: true,
				Config: fmt.Sprintf(`
list "packet_device_key_attachment" "impostor" {
  provider = packet
  config {
    device_id = %q
    ssh = { host_key = %q }
  }
}
`, f.device.ID, stranger.Line),
				ExpectError: regexp.MustCompile(`(?s)host key mismatch.*expected ` + regexp.QuoteMeta(stranger.SHA256)),
			},
			{
				Config: f.providerWithKey() + imports.String(),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("packet_device_key_attachment.by_hand_0", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("packet_device_key_attachment.by_hand_1", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("packet_device_key_attachment.by_hand_2", plancheck.ResourceActionNoop),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: adopted,
			},
			{
				// Taking them out of the configuration destroys the attachments; the lines stay.
				Config:            f.providerWithKey(),
				ConfigStateChecks: []statecheck.StateCheck{deviceFileIs{f: f, t: t, want: file}},
			},
		},
	})
}

// deviceFileIs checks the device's authorized_keys byte for byte.
type deviceFileIs struct {
	f    *deviceFixture
	t    *testing.T
	want []byte
}

func (c deviceFileIs) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if got := c.f.authorizedKeys(c.t); !bytes.Equal(got, c.want) {
		resp.Error = fmt.Errorf("authorized_keys is not as it was placed by hand:\nwant %q\ngot  %q", c.want, got)
	}
}

// TestAccDeviceKeyAttachment_queryExampleGeneratesImports runs the query
// example (examples/resources/packet_device_key_attachment/query) the way
// its comment says: terraform query -generate-config-out writes an import
// block and a resource for each platform key found on the device; apply
// imports them all; the next plan is empty; destroy leaves every line.
func TestAccDeviceKeyAttachment_queryExampleGeneratesImports(t *testing.T) {
	t.Parallel()
	acctest.SkipBelow(t, "1.14.0", "terraform query") // before init: the example requires 1.14
	f := newDeviceFixture(t)
	var lines []byte
	for i := range 3 {
		k := newTestKey(t, "by-hand")
		if _, err := f.mock.PutSSHKey(mockapi.SSHKey{Label: "by-hand-" + string(rune('a'+i)), Key: k.Line, ProjectID: mockapi.DefaultProjectID}); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, k.Line+"\n"...)
	}
	lines = append(lines, newTestKey(t, "stranger").Line+"\n"...)
	file := append(bytes.Clone(f.original), lines...)
	if err := f.machine(t).SetAuthorizedKeys(file); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "examples", "resources", "packet_device_key_attachment", "query")
	mainTF, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	query, err := os.ReadFile(filepath.Join(dir, "find.tfquery.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	tf := newCLIRun(t, string(mainTF)+f.providerWithKey(), map[string]string{"device_id": f.device.ID})
	if err := os.WriteFile(filepath.Join(tf.Dir, "find.tfquery.hcl"), query, 0o600); err != nil {
		t.Fatal(err)
	}
	tf.Run("query", "-generate-config-out=adopted.tf")
	generated, err := os.ReadFile(filepath.Join(tf.Dir, "adopted.tf"))
	if err != nil {
		t.Fatal(err)
	}
	// Three by hand plus the operator's key from provisioning; never the stranger.
	if n := bytes.Count(generated, []byte("import {")); n != 4 {
		t.Fatalf("generated %d import blocks, want 4:\n%s", n, generated)
	}
	t.Logf("terraform query -generate-config-out wrote:\n%s", generated)
	tf.Run("apply", "-auto-approve")
	tf.Run("plan", "-detailed-exitcode") // exit 2 (changes) fails the test
	if err := os.Remove(filepath.Join(tf.Dir, "adopted.tf")); err != nil {
		t.Fatal(err)
	}
	tf.Run("apply", "-auto-approve") // the attachments go; the lines stay
	if got := f.authorizedKeys(t); !bytes.Equal(got, file) {
		t.Fatalf("after destroying the adopted attachments authorized_keys changed:\nwant %q\ngot  %q", file, got)
	}
}
