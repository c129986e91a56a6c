package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

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
