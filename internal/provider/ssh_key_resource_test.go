package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

const projectKeyAddr = "packet_project_ssh_key.test"

func projectKeyConfig(mock *mockapi.Server, name, publicKey string) string {
	return providerBlock(mock) + fmt.Sprintf(`
resource "packet_project_ssh_key" "test" {
  project_id = %q
  name       = %q
  public_key = %q
}
`, mockapi.DefaultProjectID, name, publicKey)
}

func userKeyConfig(mock *mockapi.Server, name, publicKey string) string {
	return providerBlock(mock) + fmt.Sprintf(`
resource "packet_user_ssh_key" "test" {
  name       = %q
  public_key = %q
  tags       = ["ci", "ops"]
}
`, name, publicKey)
}

// checkKeysGone is a CheckDestroy that asks the mock's store, not the API.
func checkKeysGone(mock *mockapi.Server) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, rs := range s.RootModule().Resources {
			if rs.Type != "packet_project_ssh_key" && rs.Type != "packet_user_ssh_key" {
				continue
			}
			if _, ok := mock.SSHKey(rs.Primary.ID); ok {
				return fmt.Errorf("%s %s still exists in the API after destroy", rs.Type, rs.Primary.ID)
			}
		}
		return nil
	}
}

// captureID stores the resource's id for later steps (drift, import).
func captureID(addr string, id *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in state", addr)
		}
		*id = rs.Primary.ID
		return nil
	}
}

// checkMockKey checks the API's copy of a key.
func checkMockKey(mock *mockapi.Server, id *string, label, line string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		k, ok := mock.SSHKey(*id)
		if !ok {
			return fmt.Errorf("key %s not in the API", *id)
		}
		if k.Label != label || k.Key != line {
			return fmt.Errorf("API has label %q key %q; want %q %q", k.Label, k.Key, label, line)
		}
		return nil
	}
}

func countKeysWithFingerprint(mock *mockapi.Server, fp string) int {
	n := 0
	for _, k := range mock.SSHKeys() {
		if k.Fingerprint == fp {
			n++
		}
	}
	return n
}

func TestAccProjectSSHKey_lifecycle(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	first := newTestKey(t, "alice@laptop")
	second := newTestKey(t, "alice@desktop")
	var id string
	uuid := knownvalue.StringRegexp(uuidPattern)
	rfc3339 := knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`))

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{
			{
				Config: projectKeyConfig(mock, "deploy", first.Line),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("id"), uuid),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("project_id"), knownvalue.StringExact(mockapi.DefaultProjectID)),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("owner_id"), knownvalue.StringExact(mockapi.DefaultProjectID)),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("name"), knownvalue.StringExact("deploy")),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("public_key"), knownvalue.StringExact(first.Line)),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("fingerprint"), knownvalue.StringExact(first.MD5)),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("fingerprint_sha256"), knownvalue.StringExact(first.SHA256)),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("algorithm"), knownvalue.StringExact("ED25519")),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("tags"), knownvalue.Null()),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("created"), rfc3339),
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("updated"), rfc3339),
				},
				Check: resource.ComposeTestCheckFunc(
					captureID(projectKeyAddr, &id),
					checkMockKey(mock, &id, "deploy", first.Line),
				),
			},
			{
				Config: projectKeyConfig(mock, "deploy-renamed", first.Line),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(projectKeyAddr, plancheck.ResourceActionUpdate),
				}},
				Check: checkMockKey(mock, &id, "deploy-renamed", first.Line),
			},
			// The same key in other forms is no change at all.
			sameKeyStep(mock, first.withComment("someone else")),
			sameKeyStep(mock, first.Line+"\n"),
			sameKeyStep(mock, first.Line+"\r\n"),
			sameKeyStep(mock, first.rfc4716()),
			{
				Config: projectKeyConfig(mock, "deploy-renamed", second.Line),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(projectKeyAddr, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("fingerprint"), knownvalue.StringExact(second.MD5)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("fingerprint"), knownvalue.StringExact(second.MD5)),
				},
				Check: func(s *terraform.State) error {
					if _, ok := mock.SSHKey(id); ok {
						return fmt.Errorf("replaced key %s still exists", id)
					}
					return expectOneKey(countKeysWithFingerprint(mock, second.MD5))
				},
			},
			{
				ResourceName:      projectKeyAddr,
				ImportState:       true,
				ImportStateVerify: true,
			},
		},
	})
}

// sameKeyStep gives the renamed key of the lifecycle test in another form.
func sameKeyStep(mock *mockapi.Server, publicKey string) resource.TestStep {
	return resource.TestStep{
		Config: projectKeyConfig(mock, "deploy-renamed", publicKey),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectEmptyPlan(),
		}},
	}
}

func expectOneKey(got int) error {
	if got != 1 {
		return fmt.Errorf("found %d keys with the fingerprint in the API, want 1", got)
	}
	return nil
}

func TestAccProjectSSHKey_importBlockAndRFC4716Create(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "rsa-key-20240101")
	existing, err := mock.PutSSHKey(mockapi.SSHKey{Label: "made in the portal", Key: key.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{{
			// An import {} block adopts the portal's key; the PuTTY form of
			// the same key in config then plans nothing but the rename.
			Config: projectKeyConfig(mock, "made in the portal", key.rfc4716()) + fmt.Sprintf(`
import {
  to = packet_project_ssh_key.test
  id = %q
}
`, existing.ID),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(projectKeyAddr, plancheck.ResourceActionNoop),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(projectKeyAddr, tfjsonpath.New("id"), knownvalue.StringExact(existing.ID)),
			},
		}},
	})
}

func TestAccProjectSSHKey_drift(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "drift")
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{
			{
				Config: projectKeyConfig(mock, "drift", key.Line),
				Check:  captureID(projectKeyAddr, &id),
			},
			{
				// Renamed in the portal: an in-place update puts the name back.
				PreConfig: func() {
					k, _ := mock.SSHKey(id)
					k.Label = "renamed by hand"
					if _, err := mock.PutSSHKey(k); err != nil {
						t.Fatal(err)
					}
				},
				Config: projectKeyConfig(mock, "drift", key.Line),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(projectKeyAddr, plancheck.ResourceActionUpdate),
				}},
				Check: checkMockKey(mock, &id, "drift", key.Line),
			},
			{
				// Deleted in the portal: the plan creates it again.
				PreConfig: func() {
					if !mock.DeleteSSHKey(id) {
						t.Fatalf("key %s was not in the mock", id)
					}
				},
				Config: projectKeyConfig(mock, "drift", key.Line),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(projectKeyAddr, plancheck.ResourceActionCreate),
				}},
				Check: func(*terraform.State) error { return expectOneKey(countKeysWithFingerprint(mock, key.MD5)) },
			},
		},
	})
}

func TestAccProjectSSHKey_adoptsKeyCreatedDespiteError(t *testing.T) {
	t.Parallel()
	for _, status := range []int{500, 404} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			mock := testMock(t, mockapi.Options{})
			mock.SetFaults(mockapi.Faults{
				AfterCommit:      map[string]int{"POST /projects/{id}/ssh-keys": status},
				AfterCommitCount: 1,
			})
			key := newTestKey(t, "adopt")
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				CheckDestroy:             checkKeysGone(mock),
				Steps: []resource.TestStep{{
					Config: projectKeyConfig(mock, "adopt", key.Line),
					Check: resource.ComposeTestCheckFunc(
						func(*terraform.State) error { return expectOneKey(countKeysWithFingerprint(mock, key.MD5)) },
						func(s *terraform.State) error {
							id := s.RootModule().Resources[projectKeyAddr].Primary.ID
							if _, ok := mock.SSHKey(id); !ok {
								return fmt.Errorf("state holds %s, which the API does not have", id)
							}
							return nil
						},
					),
				}},
			})
		})
	}
}

func TestAccProjectSSHKey_duplicateNamesImport(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "dup")
	existing, err := mock.PutSSHKey(mockapi.SSHKey{Label: "already there", Key: key.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      projectKeyConfig(mock, "dup", key.Line),
			ExpectError: errorLike(`import { to = packet_project_ssh_key.NAME id = "` + existing.ID + `" }`),
		}},
	})
	if n := countKeysWithFingerprint(mock, key.MD5); n != 1 {
		t.Fatalf("%d keys with the fingerprint in the API, want 1", n)
	}
}

func TestAccProjectSSHKey_badInput(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	private := newTestKey(t, "secret")
	cases := map[string]struct {
		config string
		want   string
	}{
		"garbage":         {projectKeyConfig(mock, "x", "hello world"), "Invalid SSH public key"},
		"private key":     {projectKeyConfig(mock, "x", private.PrivatePEM), "Private key given where a public key belongs"},
		"dsa":             {projectKeyConfig(mock, "x", newDSATestKey(t).Line), "DSA"},
		"weak rsa":        {projectKeyConfig(mock, "x", newRSATestKey(t, 1024).Line), "1024"},
		"not a uuid":      {providerBlock(mock) + `resource "packet_project_ssh_key" "test" {` + "\n" + `project_id = "my-project"` + "\n" + `name = "x"` + "\n" + fmt.Sprintf("public_key = %q\n}\n", private.Line), "must be a UUID"},
		"unknown project": {strings.Replace(projectKeyConfig(mock, "x", private.Line), mockapi.DefaultProjectID, "00000000-0000-4000-8000-000000000001", 1), "Project 00000000-0000-4000-8000-000000000001 was not found, or this API token cannot see it"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config:      tc.config,
					ExpectError: errorLike(tc.want),
				}},
			})
		})
	}
	if n := len(mock.SSHKeys()); n != countSeededKeys() {
		t.Fatalf("bad input left %d keys in the API, want the %d seeded ones", n, countSeededKeys())
	}
}

func countSeededKeys() int { return len(mockapi.DefaultSeed().SSHKeys) }

func TestAccSSHKey_noToken(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "no-token")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: acctest.ProviderBlock{APIURL: mock.URL()}.String() + fmt.Sprintf(`
resource "packet_user_ssh_key" "test" {
  name       = "x"
  public_key = %q
}
`, key.Line),
			ExpectError: errorLike("auth_token in the provider \"packet\" block, or the PACKET_AUTH_TOKEN (or METAL_AUTH_TOKEN) environment variable"),
		}},
	})
}

func TestAccSSHKey_tokenFromEnvironment(t *testing.T) {
	for _, env := range []string{"PACKET_AUTH_TOKEN", "METAL_AUTH_TOKEN"} {
		t.Run(env, func(t *testing.T) {
			mock := testMock(t, mockapi.Options{})
			t.Setenv(env, mockapi.DefaultToken)
			t.Setenv("PACKET_API_URL", mock.URL())
			key := newTestKey(t, "env")
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				CheckDestroy:             checkKeysGone(mock),
				Steps: []resource.TestStep{{
					Config: fmt.Sprintf(`
resource "packet_user_ssh_key" "test" {
  name       = "from env"
  public_key = %q
}
`, key.Line),
					Check: func(*terraform.State) error { return expectOneKey(countKeysWithFingerprint(mock, key.MD5)) },
				}},
			})
		})
	}
}

// The token comes from a value only known after apply: configure must not
// fail while planning, and the apply then uses the real value.
func TestAccSSHKey_unknownProviderConfigAtPlan(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "late-token")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "token" {
  input = %q
}
data "packet_ssh_public_key" "k" {
  content = %q
}
resource "packet_user_ssh_key" "test" {
  name       = "late"
  public_key = data.packet_ssh_public_key.k.public_key
}
`, mockapi.DefaultToken, key.Line) + acctest.ProviderBlock{APIURL: mock.URL(), Settings: "auth_token = terraform_data.token.output"}.String(),
			Check: func(*terraform.State) error { return expectOneKey(countKeysWithFingerprint(mock, key.MD5)) },
		}},
	})
}

const userKeyAddr = "packet_user_ssh_key.test"

func TestAccUserSSHKey_lifecycle(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "bob@laptop")
	var id string
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{
			{
				Config: userKeyConfig(mock, "bob", key.Line),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(userKeyAddr, tfjsonpath.New("owner_id"), knownvalue.StringExact(mockapi.DefaultUserID)),
					statecheck.ExpectKnownValue(userKeyAddr, tfjsonpath.New("fingerprint"), knownvalue.StringExact(key.MD5)),
					statecheck.ExpectKnownValue(userKeyAddr, tfjsonpath.New("tags"), knownvalue.SetExact([]knownvalue.Check{
						knownvalue.StringExact("ci"), knownvalue.StringExact("ops"),
					})),
				},
				Check: captureID(userKeyAddr, &id),
			},
			{
				Config: userKeyConfig(mock, "bob", key.rfc4716()),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{ResourceName: userKeyAddr, ImportState: true, ImportStateVerify: true},
			{
				// Deleted behind Terraform's back: read drops it, the plan recreates it.
				PreConfig: func() { mock.DeleteSSHKey(id) },
				Config:    userKeyConfig(mock, "bob", key.Line),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(userKeyAddr, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

func TestAccUserSSHKey_importOfProjectKeyNamesTheRightResource(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "project-owned")
	existing, err := mock.PutSSHKey(mockapi.SSHKey{Label: "project key", Key: key.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:        userKeyConfig(mock, "project key", key.Line),
			ResourceName:  userKeyAddr,
			ImportState:   true,
			ImportStateId: existing.ID,
			ExpectError:   errorLike("is a project key, not a personal key: manage it with packet_project_ssh_key"),
		}},
	})
}

// TestAccSSHKey_orphanOfInterruptedCreateIsAdopted: terraform killed with
// -9 after the API created the key but before state was saved leaves the
// key in the API and not in state. The next apply meets "already exists";
// the key has the same key, name and tags under the same owner, so it is
// adopted (with a warning), not refused and not duplicated.
func TestAccSSHKey_orphanOfInterruptedCreateIsAdopted(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "orphan")
	orphan, err := mock.PutSSHKey(mockapi.SSHKey{Label: "deploy", Key: key.Line, UserID: mockapi.DefaultUserID, Tags: []string{"ops", "ci"}})
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy:             checkKeysGone(mock),
		Steps: []resource.TestStep{{
			Config: userKeyConfig(mock, "deploy", key.Line),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("packet_user_ssh_key.test", plancheck.ResourceActionCreate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("packet_user_ssh_key.test", tfjsonpath.New("id"), knownvalue.StringExact(orphan.ID)),
				statecheck.ExpectKnownValue("packet_user_ssh_key.test", tfjsonpath.New("name"), knownvalue.StringExact("deploy")),
			},
			Check: func(*terraform.State) error { return expectOneKey(countKeysWithFingerprint(mock, key.MD5)) },
		}},
	})
}

// TestAccSSHKey_duplicateWithOtherNameIsNotAdopted: a key uploaded by hand
// under another name is someone's, not an orphan: the error gives the import
// block with its real id, and nothing is created.
func TestAccSSHKey_duplicateWithOtherNameIsNotAdopted(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "portal")
	existing, err := mock.PutSSHKey(mockapi.SSHKey{Label: "from the portal", Key: key.Line, UserID: mockapi.DefaultUserID, Tags: []string{"ops", "ci"}})
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config:      userKeyConfig(mock, "deploy", key.Line),
			ExpectError: errorLike(fmt.Sprintf(`import { to = packet_user_ssh_key.NAME id = %q }`, existing.ID)),
		}},
	})
	if n := countKeysWithFingerprint(mock, key.MD5); n != 1 {
		t.Fatalf("%d keys with the fingerprint, want the 1 that was there", n)
	}
}

// TestAccSSHKey_optionsLineRefusedAtPlan: the API stores no authorized_keys
// options, so a restricted line would become an unrestricted login on every
// new server. Both key resources refuse it at plan and point to the
// attachment's options.
func TestAccSSHKey_optionsLineRefusedAtPlan(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	line := `from="10.9.9.9",command="/bin/false",no-pty ` + newTestKey(t, "restricted").Line
	for name, config := range map[string]string{
		"project key": projectKeyConfig(mock, "restricted", line),
		"user key":    userKeyConfig(mock, "restricted", line),
	} {
		t.Run(name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testProviderFactories,
				Steps: []resource.TestStep{{
					Config:      config,
					PlanOnly:    true,
					ExpectError: errorLike(`Error: authorized_keys options are not stored by the API`),
				}, {
					Config:   config,
					PlanOnly: true,
					ExpectError: errorLike(`This line starts with authorized_keys options (from="10.9.9.9",command="/bin/false",no-pty). ` +
						`The API stores a bare key, so they would be dropped and the key would be put on servers without them: ` +
						`an unrestricted login where a restricted one was written. Give the key without options here, and set ` +
						`them with the options attribute of packet_device_key_attachment`),
				}},
			})
		})
	}
	if n := len(mock.SSHKeys()); n != 0 {
		t.Fatalf("%d keys created, want none", n)
	}
}
