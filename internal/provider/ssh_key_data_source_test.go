package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// seededKey is a key put into the mock behind the API's back, with the
// values the data sources must report for it.
type seededKey struct {
	testKey
	ID, Name string
}

// seedKeys stores one fresh ed25519 key per name under owner (a mock key
// with only ProjectID or UserID set).
func seedKeys(t *testing.T, mock *mockapi.Server, owner mockapi.SSHKey, names ...string) []seededKey {
	t.Helper()
	out := make([]seededKey, 0, len(names))
	for _, name := range names {
		key := newTestKey(t, name+"@seed")
		stored, err := mock.PutSSHKey(mockapi.SSHKey{Label: name, Key: key.Line, ProjectID: owner.ProjectID, UserID: owner.UserID})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, seededKey{testKey: key, ID: stored.ID, Name: name})
	}
	return out
}

func numberedNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return names
}

var (
	inDefaultProject = mockapi.SSHKey{ProjectID: mockapi.DefaultProjectID}
	ofDefaultUser    = mockapi.SSHKey{UserID: mockapi.DefaultUserID}
)

// expectRequestsPerRead checks request economy independently of how often
// the CLI reads data sources: anchorRoute must cost exactly one request per
// read (a lookup by id in the same configuration), and route perRead.
func expectRequestsPerRead(t *testing.T, mock *mockapi.Server, anchorRoute, route string, perRead int) {
	t.Helper()
	counts := mock.Requests()
	reads := counts[anchorRoute]
	if reads == 0 {
		t.Fatalf("no %s requests: the anchor data source was never read (counts %v)", anchorRoute, counts)
	}
	if got, want := counts[route], perRead*reads; got != want {
		t.Errorf("%s: %d requests for %d reads, want %d per read (%d); all counts %v", route, got, reads, perRead, want, counts)
	}
}

// expectKey checks every attribute a lookup reports for k.
func expectKey(addr string, k seededKey, ownerID string) []statecheck.StateCheck {
	str := func(attr, want string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), knownvalue.StringExact(want))
	}
	return []statecheck.StateCheck{
		str("id", k.ID),
		str("name", k.Name),
		str("public_key", k.Line),
		str("fingerprint", k.MD5),
		str("fingerprint_sha256", k.SHA256),
		str("algorithm", "ED25519"),
		str("owner_id", ownerID),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("created"), knownvalue.NotNull()),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("updated"), knownvalue.NotNull()),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("tags"), knownvalue.SetExact([]knownvalue.Check{})),
	}
}

// lookupBlocks renders one data source per lookup mode, all aimed at target.
func lookupBlocks(typ, scope string, target seededKey) string {
	var sb strings.Builder
	for _, b := range []struct{ name, arg, value string }{
		{"by_id", "id", target.ID},
		{"by_name", "name", target.Name},
		{"by_md5", "fingerprint", target.MD5},
		{"by_md5_prefixed", "fingerprint", "MD5:" + strings.ToUpper(target.MD5)},
		{"by_sha256", "fingerprint", target.SHA256},
		{"by_key_other_comment", "public_key", target.withComment("renamed@elsewhere")},
		{"by_key_rfc4716", "public_key", target.rfc4716()},
	} {
		fmt.Fprintf(&sb, "\ndata %q %q {\n%s  %s = %q\n}\n", typ, b.name, scope, b.arg, b.value)
	}
	return sb.String()
}

var lookupNames = []string{"by_id", "by_name", "by_md5", "by_md5_prefixed", "by_sha256", "by_key_other_comment", "by_key_rfc4716"}

func TestAccProjectSSHKeyDataSource_eachLookupModeAmong50Keys(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	keys := seedKeys(t, mock, inDefaultProject, numberedNames("deploy", 50)...)
	// Personal keys with the same names must not be found by the project lookup.
	seedKeys(t, mock, ofDefaultUser, keys[17].Name, keys[18].Name)
	target := keys[17]
	scope := fmt.Sprintf("  project_id = %q\n", mockapi.DefaultProjectID)

	var checks []statecheck.StateCheck
	for _, name := range lookupNames {
		addr := "data.packet_project_ssh_key." + name
		checks = append(checks, expectKey(addr, target, mockapi.DefaultProjectID)...)
		checks = append(checks, statecheck.ExpectKnownValue(addr, tfjsonpath.New("project_id"),
			knownvalue.StringExact(mockapi.DefaultProjectID)))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:            providerBlock(mock) + lookupBlocks("packet_project_ssh_key", scope, target),
			ConfigStateChecks: checks,
		}},
	})
	// id: one GET; every other mode: one list call, whatever the CLI's read count.
	expectRequestsPerRead(t, mock, "GET /ssh-keys/{id}", "GET /projects/{id}/ssh-keys", len(lookupNames)-1)
}

func TestAccUserSSHKeyDataSource_eachLookupModeAmong50Keys(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	keys := seedKeys(t, mock, ofDefaultUser, numberedNames("laptop", 50)...)
	seedKeys(t, mock, inDefaultProject, keys[33].Name)
	target := keys[33]

	var checks []statecheck.StateCheck
	for _, name := range lookupNames {
		checks = append(checks, expectKey("data.packet_user_ssh_key."+name, target, mockapi.DefaultUserID)...)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:            providerBlock(mock) + lookupBlocks("packet_user_ssh_key", "", target),
			ConfigStateChecks: checks,
		}},
	})
	expectRequestsPerRead(t, mock, "GET /ssh-keys/{id}", "GET /ssh-keys", len(lookupNames)-1)
}

func TestAccProjectSSHKeyDataSource_noMatchAndTwoMatchesNameCandidates(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	seedKeys(t, mock, inDefaultProject, numberedNames("filler", 50)...)
	twins := seedKeys(t, mock, inDefaultProject, "ci", "ci")
	near := seedKeys(t, mock, inDefaultProject, "deploy-old", "deploy-new")
	stranger := newTestKey(t, "not-uploaded")

	lookup := func(arg, value string) string {
		return providerBlock(mock) + fmt.Sprintf(`
data "packet_project_ssh_key" "test" {
  project_id = %q
  %s = %q
}
`, mockapi.DefaultProjectID, arg, value)
	}
	candidate := func(k seededKey) string {
		return fmt.Sprintf(`id %s, name %q, fingerprint %s`, k.ID, k.Name, k.MD5)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      lookup("name", "ci"),
				ExpectError: errorLike("2 project keys in project " + mockapi.DefaultProjectID + ` have name "ci"`),
			},
			{Config: lookup("name", "ci"), ExpectError: errorLike(candidate(twins[0]))},
			{Config: lookup("name", "ci"), ExpectError: errorLike(candidate(twins[1]))},
			{
				Config:      lookup("name", "deploy"),
				ExpectError: errorLike(`No project key in project ` + mockapi.DefaultProjectID + ` has name "deploy"`),
			},
			{Config: lookup("name", "deploy"), ExpectError: errorLike(candidate(near[0]))},
			{Config: lookup("name", "deploy"), ExpectError: errorLike(candidate(near[1]))},
			{Config: lookup("fingerprint", stranger.MD5), ExpectError: errorLike("No project key in project " + mockapi.DefaultProjectID + " has fingerprint " + stranger.MD5)},
			{Config: lookup("fingerprint", stranger.SHA256), ExpectError: errorLike("has fingerprint " + stranger.SHA256)},
			{Config: lookup("public_key", stranger.Line), ExpectError: errorLike("has public key " + stranger.SHA256)},
		},
	})
}

func TestAccUserSSHKeyDataSource_wrongKindOrMissingByID(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	projectKey := seedKeys(t, mock, inDefaultProject, "project-deploy")[0]
	personal := seedKeys(t, mock, ofDefaultUser, "mine")[0]
	otherProjects := seedKeys(t, mock, mockapi.SSHKey{ProjectID: mockapi.OtherProjectID}, "hidden")[0]

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: providerBlock(mock) + fmt.Sprintf(`data "packet_user_ssh_key" "test" { id = %q }`, projectKey.ID),
				ExpectError: errorLike(fmt.Sprintf(`Key %s ("project-deploy") is a project key, not a personal key: look it up with data "packet_project_ssh_key" (project_id = %q)`,
					projectKey.ID, mockapi.DefaultProjectID)),
			},
			{
				Config: providerBlock(mock) + fmt.Sprintf(`data "packet_project_ssh_key" "test" {
  project_id = %q
  id         = %q
}`, mockapi.DefaultProjectID, personal.ID),
				ExpectError: errorLike(`is a personal key, not a project key: look it up with data "packet_user_ssh_key"`),
			},
			{
				Config: providerBlock(mock) + fmt.Sprintf(`data "packet_project_ssh_key" "test" {
  project_id = %q
  id         = %q
}`, mockapi.DefaultProjectID, otherProjects.ID),
				ExpectError: errorLike("There is no key with id " + otherProjects.ID + ", or this API token cannot see it."),
			},
		},
	})
}

func TestAccProjectSSHKeyDataSource_configValidation(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "me@laptop")
	block := func(body string) string {
		return providerBlock(mock) + fmt.Sprintf("data \"packet_project_ssh_key\" \"test\" {\n  project_id = %q\n%s\n}\n",
			mockapi.DefaultProjectID, body)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{Config: block(""), ExpectError: errorLike("Exactly one of these attributes must be configured: [id,name,fingerprint,public_key]")},
			{
				Config:      block(fmt.Sprintf("  name = \"a\"\n  fingerprint = %q", key.MD5)),
				ExpectError: errorLike("Invalid Attribute Combination"),
			},
			{Config: block(`  fingerprint = "aa:bb"`), ExpectError: errorLike(`"aa:bb" is neither an MD5 fingerprint`)},
			{Config: block(`  fingerprint = "SHA256:tooshort"`), ExpectError: errorLike(`"SHA256:tooshort" is not a SHA256 fingerprint`)},
			{Config: block(fmt.Sprintf("  public_key = %q", key.PrivatePEM)), ExpectError: errorLike("public_key holds a private key")},
			{Config: block(`  id = "not-a-uuid"`), ExpectError: errorLike("must be a UUID")},
		},
	})
}

func TestParseLookupPublicKeyNeverEchoesPrivateMaterial(t *testing.T) {
	key := newTestKey(t, "secret-holder")
	_, err := parseLookupPublicKey(key.PrivatePEM)
	if err == nil {
		t.Fatal("a private key was accepted as the key to look up")
	}
	for _, line := range strings.Split(strings.TrimSpace(key.PrivatePEM), "\n") {
		if strings.HasPrefix(line, "-----") {
			continue
		}
		if strings.Contains(err.Error(), line) {
			t.Fatalf("the error quotes private key material: %v", err)
		}
	}
	got, err := parseLookupPublicKey(key.rfc4716())
	if err != nil {
		t.Fatalf("RFC 4716 public key refused: %v", err)
	}
	if got.FingerprintSHA256() != key.SHA256 {
		t.Errorf("parsed key has fingerprint %s, want %s", got.FingerprintSHA256(), key.SHA256)
	}
}

func TestDescribeKeyCandidatesIsSortedAndCapped(t *testing.T) {
	var keys []metal.SSHKey
	for i := range maxCandidatesShown + 5 {
		keys = append(keys, metal.SSHKey{ID: fmt.Sprintf("id-%02d", i), Label: fmt.Sprintf("k%02d", maxCandidatesShown+4-i), Fingerprint: "AA:BB"})
	}
	lines := strings.Split(describeKeyCandidates(keys), "\n")
	if len(lines) != maxCandidatesShown+1 {
		t.Fatalf("got %d lines, want %d candidates and a remainder line:\n%s", len(lines), maxCandidatesShown, strings.Join(lines, "\n"))
	}
	if want := `  - id id-24, name "k00", fingerprint aa:bb`; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if want := "  ... and 5 more"; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	for i, line := range lines[:maxCandidatesShown] {
		if want := fmt.Sprintf(`name "k%02d"`, i); !strings.Contains(line, want) {
			t.Errorf("line %d is %q, want the key with %s (sorted by name)", i, line, want)
		}
	}
}
