package provider

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// expectedOrder is the ids of the mock's keys that keep accepts, sorted by
// name and then id: the order the list data sources promise.
func expectedOrder(mock *mockapi.Server, keep func(mockapi.SSHKey) bool) []string {
	var keys []mockapi.SSHKey
	for _, k := range mock.SSHKeys() {
		if keep(k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b mockapi.SSHKey) int {
		return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.ID, b.ID))
	})
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	return ids
}

func exactStrings(values ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(values))
	for i, v := range values {
		checks[i] = knownvalue.StringExact(v)
	}
	return knownvalue.ListExact(checks)
}

func TestAccProjectSSHKeysDataSource_readsAllPagesSorted(t *testing.T) {
	t.Parallel()
	const total = 2500 // three pages of 1000
	mock := testMock(t, mockapi.Options{})
	// Names in shuffled order and in pairs, so neither the API's order nor the
	// name alone gives the expected order: the id must break ties.
	names := make([]string, total-1)
	for i, n := range rand.Perm(len(names)) { //nolint:gosec // a shuffled order, not a secret
		names[i] = fmt.Sprintf("key-%04d", n/2)
	}
	seedKeys(t, mock, inDefaultProject, names...)
	target := seedKeys(t, mock, inDefaultProject, "the-one")[0]
	seedKeys(t, mock, ofDefaultUser, "personal") // not a project key: not listed
	wantIDs := expectedOrder(mock, func(k mockapi.SSHKey) bool { return k.ProjectID == mockapi.DefaultProjectID })
	if len(wantIDs) != total {
		t.Fatalf("seeded %d project keys, want %d", len(wantIDs), total)
	}

	const list = "data.packet_project_ssh_keys.all"
	keyAt := func(i int, attr string) tfjsonpath.Path { return tfjsonpath.New("keys").AtSliceIndex(i).AtMapKey(attr) }
	last := slices.Index(wantIDs, target.ID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(mock) + fmt.Sprintf(`
data "packet_project_ssh_keys" "all" {
  project_id = %[1]q
}

# One request per read each: the anchor the page count is measured against,
# and two searches that must stay one request among 2,500 keys.
data "packet_project_ssh_key" "anchor" {
  project_id = %[1]q
  id         = %[2]q
}

data "packet_project_ssh_key" "by_name" {
  project_id = %[1]q
  name       = %[3]q
}

data "packet_project_ssh_key" "by_md5" {
  project_id = %[1]q
  fingerprint = %[4]q
}
`, mockapi.DefaultProjectID, target.ID, target.Name, target.MD5),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(list, tfjsonpath.New("ids"), exactStrings(wantIDs...)),
				statecheck.ExpectKnownValue(list, tfjsonpath.New("keys"), knownvalue.ListSizeExact(total)),
				statecheck.ExpectKnownValue(list, keyAt(last, "id"), knownvalue.StringExact(target.ID)),
				statecheck.ExpectKnownValue(list, keyAt(last, "name"), knownvalue.StringExact("the-one")),
				statecheck.ExpectKnownValue(list, keyAt(last, "public_key"), knownvalue.StringExact(target.Line)),
				statecheck.ExpectKnownValue(list, keyAt(last, "fingerprint"), knownvalue.StringExact(target.MD5)),
				statecheck.ExpectKnownValue(list, keyAt(last, "fingerprint_sha256"), knownvalue.StringExact(target.SHA256)),
				statecheck.ExpectKnownValue(list, keyAt(last, "algorithm"), knownvalue.StringExact("ED25519")),
				statecheck.ExpectKnownValue(list, keyAt(last, "owner_id"), knownvalue.StringExact(mockapi.DefaultProjectID)),
				statecheck.ExpectKnownValue(list, keyAt(last, "project_id"), knownvalue.StringExact(mockapi.DefaultProjectID)),
				statecheck.ExpectKnownValue(list, keyAt(last, "created"), knownvalue.NotNull()),
				statecheck.ExpectKnownValue(list, keyAt(last, "updated"), knownvalue.NotNull()),
				statecheck.ExpectKnownValue(list, keyAt(last, "tags"), knownvalue.SetExact([]knownvalue.Check{})),
				statecheck.ExpectKnownValue("data.packet_project_ssh_key.by_name", tfjsonpath.New("id"), knownvalue.StringExact(target.ID)),
				statecheck.ExpectKnownValue("data.packet_project_ssh_key.by_md5", tfjsonpath.New("id"), knownvalue.StringExact(target.ID)),
			},
		}},
	})
	// Per read: 3 pages for the list, 1 search each for name and fingerprint.
	expectRequestsPerRead(t, mock, "GET /ssh-keys/{id}", "GET /projects/{id}/ssh-keys", 3+1+1)
}

func TestAccProjectSSHKeysDataSource_filters(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	eds := seedKeys(t, mock, inDefaultProject, "ci-runner", "deploy-b", "deploy-a", "laptop")
	var rsaIDs []string
	for _, name := range []string{"deploy-rsa", "legacy-rsa"} {
		stored, err := mock.PutSSHKey(mockapi.SSHKey{Label: name, Key: newRSATestKey(t, 2048).Line, ProjectID: mockapi.DefaultProjectID})
		if err != nil {
			t.Fatal(err)
		}
		rsaIDs = append(rsaIDs, stored.ID)
	}
	ids := exactStrings
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			// Invalid filters first: the post-test destroy runs the last config.
			{
				Config: providerBlock(mock) + fmt.Sprintf(`
data "packet_project_ssh_keys" "bad" {
  project_id = %q
  name_regex = "deploy-("
}`, mockapi.DefaultProjectID),
				ExpectError: errorLike("Invalid regular expression"),
			},
			{
				Config: providerBlock(mock) + fmt.Sprintf(`
data "packet_project_ssh_keys" "bad" {
  project_id = %q
  algorithm  = "ssh-dss-or-whatever"
}`, mockapi.DefaultProjectID),
				ExpectError: errorLike(`value must be one of`),
			},
			{
				Config: providerBlock(mock) + fmt.Sprintf(`
data "packet_project_ssh_keys" "deploy" {
  project_id = %[1]q
  name_regex = "^deploy-"
}

data "packet_project_ssh_keys" "rsa" {
  project_id = %[1]q
  algorithm  = "rsa"
}

data "packet_project_ssh_keys" "deploy_ed25519" {
  project_id = %[1]q
  name_regex = "deploy"
  algorithm  = "ED25519"
}

data "packet_project_ssh_keys" "none" {
  project_id = %[1]q
  name_regex = "^nothing-like-this$"
}
`, mockapi.DefaultProjectID),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.packet_project_ssh_keys.deploy", tfjsonpath.New("ids"),
						ids(eds[2].ID, eds[1].ID, rsaIDs[0])),
					statecheck.ExpectKnownValue("data.packet_project_ssh_keys.rsa", tfjsonpath.New("ids"), ids(rsaIDs...)),
					statecheck.ExpectKnownValue("data.packet_project_ssh_keys.rsa", tfjsonpath.New("keys").AtSliceIndex(1).AtMapKey("algorithm"),
						knownvalue.StringExact("RSA")),
					statecheck.ExpectKnownValue("data.packet_project_ssh_keys.deploy_ed25519", tfjsonpath.New("ids"),
						ids(eds[2].ID, eds[1].ID)),
					statecheck.ExpectKnownValue("data.packet_project_ssh_keys.none", tfjsonpath.New("ids"), ids()),
					statecheck.ExpectKnownValue("data.packet_project_ssh_keys.none", tfjsonpath.New("keys"), knownvalue.ListSizeExact(0)),
				},
			},
		},
	})
}

func TestAccUserSSHKeysDataSource_listsOnlyPersonalKeys(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	mine := seedKeys(t, mock, ofDefaultUser, "zeta", "alpha", "mid")
	seedKeys(t, mock, inDefaultProject, "alpha-project")
	seedKeys(t, mock, mockapi.SSHKey{UserID: mockapi.OtherUserID}, "someone-else")
	const list = "data.packet_user_ssh_keys.all"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(mock) + `data "packet_user_ssh_keys" "all" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(list, tfjsonpath.New("ids"), exactStrings(mine[1].ID, mine[2].ID, mine[0].ID)),
				statecheck.ExpectKnownValue(list, tfjsonpath.New("keys").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("alpha")),
				statecheck.ExpectKnownValue(list, tfjsonpath.New("keys").AtSliceIndex(0).AtMapKey("owner_id"),
					knownvalue.StringExact(mockapi.DefaultUserID)),
				statecheck.ExpectKnownValue(list, tfjsonpath.New("keys").AtSliceIndex(0).AtMapKey("fingerprint_sha256"),
					knownvalue.StringExact(mine[1].SHA256)),
			},
		}},
	})
}
