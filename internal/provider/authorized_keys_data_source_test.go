package provider

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
)

// The audit data source on a file with one line of each kind reports each
// kind right, never an option value; a "no unmanaged keys" condition fails
// while a hand-placed key is there and passes once it is gone.
func TestAccAuthorizedKeysDataSource_kindsAndACheck(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	m := f.machine(t)
	prov := noTokenProvider(f.operator.PrivatePEM)
	managed, byHand, expired, ca, restricted := newTestKey(t, "managed"), newTestKey(t, "by-hand"),
		newTestKey(t, "expired"), newTestKey(t, "ca"), newTestKey(t, "backup")
	audit := func(condition bool) string {
		post := ""
		if condition {
			post = `
  lifecycle {
    postcondition {
      condition     = length([for l in self.lines : l if l.kind == "unmanaged" && l.fingerprint_sha256 != %q]) == 0
      error_message = "unmanaged keys on the server"
    }
  }`
			post = fmt.Sprintf(post, f.operator.SHA256) // the operator's key is how the test logs in
		}
		return fmt.Sprintf(`
data "packet_authorized_keys" "audit" {
  host       = %q
  port       = %d
  depends_on = [packet_authorized_key.test]
  %s
}
`, m.Host(), m.Port(), post)
	}
	rest := strings.Join([]string{
		`expiry-time="20200101" ` + expired.Line,
		`cert-authority ` + ca.Line,
		`environment="TOKEN=s3cret",command="/bin/backup" ` + restricted.Line,
		`bogus-option ` + byHand.Line,
	}, "\n") + "\n"
	kind := func(i int, want string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("data.packet_authorized_keys.audit", tfjsonpath.New("lines").AtSliceIndex(i).AtMapKey("kind"),
			knownvalue.StringExact(want))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: prov + f.authorizedKeyHCL(managed.Line, "")},
			{
				PreConfig: func() {
					must(t, f.machine(t).SetAuthorizedKeys(append(append(bytes.Clone(f.authorizedKeys(t)), rest...), byHand.Line+"\n"...)))
				},
				Config: prov + f.authorizedKeyHCL(managed.Line, "") + audit(false),
				ConfigStateChecks: []statecheck.StateCheck{
					kind(0, "unmanaged"), // the operator's key, from provisioning
					kind(1, "managed"), kind(2, "expired"), kind(3, "cert_authority"), kind(4, "restricted"),
					kind(5, "invalid"), kind(6, "unmanaged"),
					statecheck.ExpectKnownValue("data.packet_authorized_keys.audit", tfjsonpath.New("lines").AtSliceIndex(4).AtMapKey("options"),
						knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("environment"), knownvalue.StringExact("command")})),
					statecheck.ExpectKnownValue("data.packet_authorized_keys.audit", tfjsonpath.New("lines").AtSliceIndex(1).AtMapKey("fingerprint_sha256"),
						knownvalue.StringExact(managed.SHA256)),
				},
			},
			{
				Config:      prov + f.authorizedKeyHCL(managed.Line, "") + audit(true),
				ExpectError: regexp.MustCompile(`unmanaged keys on the server`),
			},
			{
				PreConfig: func() {
					keep := []string{}
					for _, l := range strings.Split(string(f.authorizedKeys(t)), "\n") {
						if !strings.Contains(l, blobText(byHand)) {
							keep = append(keep, l)
						}
					}
					must(t, f.machine(t).SetAuthorizedKeys([]byte(strings.Join(keep, "\n"))))
				},
				Config: prov + f.authorizedKeyHCL(managed.Line, "") + audit(true),
			},
		},
	})
}

func blobText(k testKey) string { return strings.Fields(k.Line)[1] }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// terraform query of packet_authorized_key finds the unmanaged lines and
// generates imports for them; applying them adopts them as pre_existing,
// and removing the adopted resources again leaves every line.
func TestAccAuthorizedKeyList_queryAdoptsUnmanagedLines(t *testing.T) {
	t.Parallel()
	acctest.SkipBelow(t, "1.14.0", "terraform query")
	f := newDeviceFixture(t)
	m := f.machine(t)
	byHand := newTestKey(t, "by-hand")
	file := append(bytes.Clone(f.original), `restrict `+newTestKey(t, "restricted").Line+"\n"+byHand.Line+"\n"...)
	must(t, m.SetAuthorizedKeys(file))
	cli := newTerraformCLI(t, cliConfig(f))
	query := fmt.Sprintf(`
list "packet_authorized_key" "found" {
  provider = packet
  config {
    host = %q
    port = %d
    kind = "unmanaged"
  }
}
`, m.Host(), m.Port())
	must(t, os.WriteFile(filepath.Join(cli.Dir, "find.tfquery.hcl"), []byte(query), 0o600))
	cli.Run("init", "-input=false", "-no-color")
	cli.Run("query", "-no-color", "-generate-config-out=adopted.tf")
	generated, err := os.ReadFile(filepath.Join(cli.Dir, "adopted.tf"))
	must(t, err)
	// The operator's key from provisioning and the one by hand; not the restricted one.
	if n := bytes.Count(generated, []byte("import {")); n != 2 {
		t.Fatalf("generated %d imports, want 2:\n%s", n, generated)
	}
	cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	if got := cli.Run("state", "list"); strings.Count(got, "packet_authorized_key.") != 2 {
		t.Fatalf("state after adopting:\n%s", got)
	}
	must(t, os.Remove(filepath.Join(cli.Dir, "adopted.tf")))
	cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	if err := f.fileIs(t, "after removing the adopted resources", file); err != nil {
		t.Fatal(err)
	}
}
