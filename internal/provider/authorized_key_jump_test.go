package provider

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/packethost/terraform-provider-packet/internal/machine/sshdtest"
)

// packet_authorized_key through a jump host (two real sshd on loopback):
// create, a refresh with no change and destroy all go through it (its log
// shows the forwarding), and a wrong jump host key is refused as the jump's.
func TestAccAuthorizedKey_throughAJumpHost(t *testing.T) {
	t.Parallel()
	operator, jumper, k := newTestKey(t, "operator"), newTestKey(t, "jumper"), newTestKey(t, "deploy")
	original := []byte(operator.Line + "\n")
	target := sshdtest.Start(t, original)
	jump := sshdtest.Start(t, []byte(jumper.Line+"\n"), "LogLevel DEBUG1")
	jumpKeyFile := filepath.Join(t.TempDir(), "jump_ed25519")
	if err := os.WriteFile(jumpKeyFile, []byte(jumper.PrivatePEM), 0o600); err != nil {
		t.Fatal(err)
	}
	// The provider's private_key logs in to the target only; the jump host
	// knows just its own key, so the create proves each went to its host.
	config := func(jumpHostKey string) string {
		return noTokenProvider(operator.PrivatePEM) + fmt.Sprintf(`
resource "packet_authorized_key" "test" {
  host                 = "127.0.0.1"
  port                 = %d
  user                 = %q
  authorized_keys_path = %q
  public_key           = %q
  ssh = {
    host_key = %q
    jump = {
      host             = "127.0.0.1"
      port             = %d
      user             = %q
      private_key_file = %q
      host_key         = %q
    }
  }
}
`, target.Port, target.User, target.AuthorizedKeys, k.Line, target.HostKey, jump.Port, jump.User, jumpKeyFile, jumpHostKey)
	}
	forwarded := "target 127.0.0.1 port " + strconv.Itoa(target.Port)
	forwards := func() int { return strings.Count(jump.Log.String(), forwarded) }
	var afterCreate int
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			got, err := os.ReadFile(target.AuthorizedKeys)
			if err != nil || !bytes.Equal(got, original) {
				return fmt.Errorf("after destroy (%w):\n%q\nwant\n%q", err, got, original)
			}
			if forwards() <= afterCreate {
				return fmt.Errorf("destroy did not go through the jump host:\n%s", jump.Log.String())
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				// The target's host key given as the jump host's: refused, the
				// error names the jump host, and nothing is created.
				Config:      config(target.HostKey),
				ExpectError: regexp.MustCompile(`jump host 127\.0\.0\.1:` + strconv.Itoa(jump.Port) + `: host key mismatch`),
			},
			{
				Config: config(jump.HostKey),
				Check: func(*terraform.State) error {
					got, err := os.ReadFile(target.AuthorizedKeys)
					if err != nil || !bytes.Contains(got, []byte(k.Line+"\n")) {
						return fmt.Errorf("the target's file lacks the key (%w):\n%s", err, got)
					}
					if afterCreate = forwards(); afterCreate == 0 {
						return fmt.Errorf("the jump sshd's log shows no forwarding (%q):\n%s", forwarded, jump.Log.String())
					}
					return nil
				},
			},
			{
				// Refresh reads the line through the jump host: no change.
				Config:           config(jump.HostKey),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: func(*terraform.State) error {
					if n := forwards(); n <= afterCreate {
						return fmt.Errorf("the refresh did not go through the jump host (%d forwardings, %d after create)", n, afterCreate)
					}
					afterCreate = forwards()
					return nil
				},
			},
		},
	})
}
