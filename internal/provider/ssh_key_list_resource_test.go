package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// queryNeedsTerraform114 skips list resource tests on CLIs without
// `terraform query` (Terraform before 1.14, OpenTofu 1.12).
var queryNeedsTerraform114 = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// portalKeys are keys made directly in the mock, as people make them in
// the portal: nothing in Terraform knows them.
type portalKeys struct {
	keys []mockapi.SSHKey // as the API stores them, by index
	test []testKey
}

// putPortalProjectKeys makes n project keys: web-NN (the first 20), db-NN
// (the next 20), ops-NN; every 10th an RSA key, the rest ED25519; every
// 5th tagged "prod", the other odd ones "staging".
func putPortalProjectKeys(t *testing.T, mock *mockapi.Server, n int) portalKeys {
	t.Helper()
	var p portalKeys
	for i := range n {
		name := fmt.Sprintf("ops-%02d", i)
		switch {
		case i < 20:
			name = fmt.Sprintf("web-%02d", i)
		case i < 40:
			name = fmt.Sprintf("db-%02d", i)
		}
		key := newTestKey(t, name)
		if i%10 == 0 {
			key = newRSATestKey(t, 2048)
		}
		var tags []string
		switch {
		case i%5 == 0:
			tags = []string{"prod"}
		case i%2 == 1:
			tags = []string{"staging"}
		}
		k, err := mock.PutSSHKey(mockapi.SSHKey{Label: name, Key: key.Line, Tags: tags, ProjectID: mockapi.DefaultProjectID})
		if err != nil {
			t.Fatal(err)
		}
		p.keys, p.test = append(p.keys, k), append(p.test, key)
	}
	return p
}

func listBlock(typ, name, config string, extra ...string) string {
	return fmt.Sprintf("list %q %q {\n  provider = packet\n%s\n  config {\n%s\n  }\n}\n", typ, name, strings.Join(extra, "\n"), config)
}

func projectList(name, filters string, extra ...string) string {
	return listBlock("packet_project_ssh_key", name, fmt.Sprintf("    project_id = %q\n%s", mockapi.DefaultProjectID, filters), extra...)
}

// TestAccSSHKeyList_query runs `terraform query` over 50 keys made in the
// portal, with each filter, and checks what the results carry: identity,
// display name, and with include_resource the attributes an import gives.
// Each list block is one request (50 keys fit one page of 1000).
func TestAccSSHKeyList_query(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	p := putPortalProjectKeys(t, mock, 50)
	for _, label := range []string{"laptop", "desktop"} {
		if _, err := mock.PutSSHKey(mockapi.SSHKey{Label: label, Key: newTestKey(t, label).Line, UserID: mockapi.DefaultUserID}); err != nil {
			t.Fatal(err)
		}
	}
	// A key of a project the token's user is not in: never listed.
	if _, err := mock.PutSSHKey(mockapi.SSHKey{Label: "web-99", Key: newTestKey(t, "other").Line, ProjectID: mockapi.OtherProjectID}); err != nil {
		t.Fatal(err)
	}
	identity := func(i int) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{
			"id": knownvalue.StringExact(p.keys[i].ID), "project_id": knownvalue.StringExact(mockapi.DefaultProjectID),
		}
	}
	lists := []string{
		projectList("all", ""),
		projectList("db", `    name_regex = "^db-"`),
		projectList("rsa", `    algorithm = "rsa"`),
		projectList("by_md5", fmt.Sprintf("    fingerprint = %q", strings.ToUpper(p.test[3].MD5))),
		projectList("by_sha256", fmt.Sprintf("    fingerprint = %q", p.test[4].SHA256)),
		projectList("prod", `    tag = "prod"`),
		projectList("prod_web", "    tag = \"prod\"\n    name_regex = \"^web-\""),
		projectList("first_three", "", "  limit = 3"),
		projectList("full", `    name_regex = "^web-07$"`, "  include_resource = true"),
		listBlock("packet_user_ssh_key", "mine", ""),
		listBlock("packet_user_ssh_key", "laptop", `    name_regex = "^lap"`),
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   queryNeedsTerraform114,
		Steps: []resource.TestStep{
			{Config: providerBlock(mock)},
			{
				PreConfig: mock.ResetRequests,
				Query:     true,
				Config:    strings.Join(lists, "\n"),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("packet_project_ssh_key.all", 50),
					querycheck.ExpectIdentity("packet_project_ssh_key.all", identity(0)),
					querycheck.ExpectIdentity("packet_project_ssh_key.all", identity(49)),
					querycheck.ExpectResourceDisplayName("packet_project_ssh_key.all",
						queryfilter.ByResourceIdentity(identity(7)), knownvalue.StringExact("web-07 ("+p.test[7].SHA256+")")),
					querycheck.ExpectLength("packet_project_ssh_key.db", 20),
					querycheck.ExpectLength("packet_project_ssh_key.rsa", 5),
					querycheck.ExpectIdentity("packet_project_ssh_key.rsa", identity(30)),
					querycheck.ExpectLength("packet_project_ssh_key.by_md5", 1),
					querycheck.ExpectIdentity("packet_project_ssh_key.by_md5", identity(3)),
					querycheck.ExpectLength("packet_project_ssh_key.by_sha256", 1),
					querycheck.ExpectIdentity("packet_project_ssh_key.by_sha256", identity(4)),
					querycheck.ExpectLength("packet_project_ssh_key.prod", 10),
					querycheck.ExpectLength("packet_project_ssh_key.prod_web", 4),
					querycheck.ExpectLength("packet_project_ssh_key.first_three", 3),
					querycheck.ExpectLength("packet_project_ssh_key.full", 1),
					querycheck.ExpectResourceKnownValues("packet_project_ssh_key.full", queryfilter.ByResourceIdentity(identity(7)),
						[]querycheck.KnownValueCheck{
							{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("web-07")},
							{Path: tfjsonpath.New("project_id"), KnownValue: knownvalue.StringExact(mockapi.DefaultProjectID)},
							{Path: tfjsonpath.New("public_key"), KnownValue: knownvalue.StringExact(p.keys[7].Key)},
							{Path: tfjsonpath.New("fingerprint"), KnownValue: knownvalue.StringExact(p.test[7].MD5)},
							{Path: tfjsonpath.New("fingerprint_sha256"), KnownValue: knownvalue.StringExact(p.test[7].SHA256)},
							{Path: tfjsonpath.New("algorithm"), KnownValue: knownvalue.StringExact("ED25519")},
							{Path: tfjsonpath.New("tags"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("staging")})},
						}),
					querycheck.ExpectLength("packet_user_ssh_key.mine", 2),
					querycheck.ExpectLength("packet_user_ssh_key.laptop", 1),
				},
			},
			{
				// What the query cost, counted before this step runs.
				PreConfig: func() {
					if err := requestsAre(mock, map[string]int{"GET /projects/{id}/ssh-keys": 9, "GET /ssh-keys": 2}); err != nil {
						t.Errorf("terraform query: %v", err)
					}
				},
				Config: providerBlock(mock), PlanOnly: true,
			},
		},
	})
}

// TestAccSSHKeyList_pages: 1001 keys take two pages of 1000, so two
// requests, and a filter that keeps one key costs the same.
func TestAccSSHKeyList_pages(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "many")
	for i := range 1001 {
		// The same key material under many names would be refused by the
		// real API; the mock's PutSSHKey takes it, which is all a page
		// count needs.
		if _, err := mock.PutSSHKey(mockapi.SSHKey{Label: fmt.Sprintf("key-%04d", i), Key: key.Line, UserID: mockapi.DefaultUserID}); err != nil {
			t.Fatal(err)
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   queryNeedsTerraform114,
		Steps: []resource.TestStep{
			{Config: providerBlock(mock)},
			{
				PreConfig: mock.ResetRequests,
				Query:     true,
				Config:    listBlock("packet_user_ssh_key", "last", `    name_regex = "^key-1000$"`),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("packet_user_ssh_key.last", 1),
					querycheck.ExpectResourceDisplayName("packet_user_ssh_key.last", queryfilter.ByDisplayName(knownvalue.StringRegexp(regexp.MustCompile(`^key-1000 `))),
						knownvalue.StringExact("key-1000 ("+key.SHA256+")")),
				},
			},
			{
				PreConfig: func() {
					if err := requestsAre(mock, map[string]int{"GET /ssh-keys": 2}); err != nil {
						t.Errorf("terraform query over 1001 keys: %v", err)
					}
				},
				Config: providerBlock(mock), PlanOnly: true,
			},
		},
	})
}

// TestAccSSHKeyList_badFilters: filters are checked before anything is
// listed, with the attribute named.
func TestAccSSHKeyList_badFilters(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	step := func(filters, want string) resource.TestStep {
		return resource.TestStep{Query: true, Config: projectList("bad", filters), ExpectError: errorLike(want)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   queryNeedsTerraform114,
		Steps: []resource.TestStep{
			{Config: providerBlock(mock)},
			step(`    fingerprint = "ab:cd"`, "Invalid fingerprint"),
			step(`    name_regex = "web-("`, "Invalid regular expression"),
			step(`    algorithm = "dsa2"`, "algorithm"),
		},
	})
}

// TestKeyFilter_fingerprintForms: every form people paste finds the key,
// and a stored key that does not parse is still found by the API's MD5.
func TestKeyFilter_fingerprintForms(t *testing.T) {
	key := newTestKey(t, "forms")
	stored := newKeyFacts(metal.SSHKey{Label: "k", Key: key.Line, Fingerprint: key.MD5})
	unparsable := newKeyFacts(metal.SSHKey{Label: "k", Key: "ssh-ed25519 not-base64", Fingerprint: strings.ToUpper(key.MD5)})
	if unparsable.parsed != nil {
		t.Fatal("the broken key parses")
	}
	for _, form := range []string{
		key.MD5,
		strings.ToUpper(key.MD5),
		"MD5:" + key.MD5,
		strings.ReplaceAll(key.MD5, ":", ""),
		key.SHA256,
		key.SHA256 + "=",
		"sha256:" + strings.TrimPrefix(key.SHA256, "SHA256:"),
	} {
		f, err := newKeyFilter(sshKeyListConfig{Fingerprint: types.StringValue(form)})
		if err != nil {
			t.Fatalf("%q: %v", form, err)
		}
		if !f.keeps(stored) {
			t.Errorf("fingerprint %q does not find the key", form)
		}
		if wantKept := !f.fingerprint.SHA256; f.keeps(unparsable) != wantKept {
			t.Errorf("fingerprint %q on a key that does not parse: kept %v, want %v", form, !wantKept, wantKept)
		}
	}
	other, _ := newKeyFilter(sshKeyListConfig{Fingerprint: types.StringValue(newTestKey(t, "other").SHA256)})
	if other.keeps(stored) {
		t.Error("another key's fingerprint finds the key")
	}
}

// TestAccSSHKeyList_generateConfigAndImport is the adoption of keys made
// in the portal, end to end through the real CLI: `terraform query
// -generate-config-out=keys.tf` writes a resource and an import block (by
// identity) for every key, `terraform apply` imports them all and changes
// nothing, and the next plan is empty. terraform-plugin-testing has no
// generate-config-out for query steps, so the CLI is driven directly.
func TestAccSSHKeyList_generateConfigAndImport(t *testing.T) {
	t.Parallel()
	acctest.Required(t)
	mock := testMock(t, mockapi.Options{})
	putPortalProjectKeys(t, mock, 50)
	for _, label := range []string{"laptop", "desktop"} {
		if _, err := mock.PutSSHKey(mockapi.SSHKey{Label: label, Key: newTestKey(t, label).Line, UserID: mockapi.DefaultUserID}); err != nil {
			t.Fatal(err)
		}
	}
	cli := newTerraformCLI(t, requiredPacketHCL+providerBlock(mock))
	acctest.SkipBelow(t, "1.14.0", "terraform query")
	query := projectList("project", "") + "\n" + listBlock("packet_user_ssh_key", "personal", "")
	if err := os.WriteFile(filepath.Join(cli.Dir, "keys.tfquery.hcl"), []byte(query), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.Run("init", "-input=false", "-no-color")

	mock.ResetRequests()
	cli.Run("query", "-no-color", "-generate-config-out=keys.tf")
	if err := requestsAre(mock, map[string]int{"GET /projects/{id}/ssh-keys": 1, "GET /ssh-keys": 1}); err != nil {
		t.Errorf("terraform query -generate-config-out: %v", err)
	}
	generated, err := os.ReadFile(filepath.Join(cli.Dir, "keys.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(generated), "identity = {"); n != 52 {
		t.Errorf("keys.tf has %d import blocks by identity; want 52", n)
	}
	projectIdentity := regexp.MustCompile(`identity = \{\s+id\s+= "[0-9a-f-]{36}"\s+project_id = "` + mockapi.DefaultProjectID + `"\s+\}`)
	if n := len(projectIdentity.FindAll(generated, -1)); n != 50 {
		t.Errorf("keys.tf has %d identities that name the project; want 50", n)
	}

	mock.ResetRequests()
	apply := cli.Run("apply", "-input=false", "-no-color", "-auto-approve")
	if !strings.Contains(apply, "52 imported, 0 added, 0 changed, 0 destroyed") {
		t.Errorf("apply did not just import the 52 keys:\n%s", apply)
	}
	// The imports' Reads are answered from one listing per owner: the
	// generated identities name the project, so no key is read alone.
	if err := requestsAre(mock, map[string]int{"GET /projects/{id}/ssh-keys": 1, "GET /ssh-keys": 1}); err != nil {
		t.Errorf("importing 52 keys: %v", err)
	}
	if got := len(cli.Identities()); got != 52 {
		t.Errorf("state has %d identities after the import; want 52", got)
	}
	if got := len(mock.SSHKeys()); got != 52 {
		t.Errorf("the API has %d keys after the import; want the 52 it had", got)
	}
	if plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan after importing is not empty:\n%s", plan)
	}
}
