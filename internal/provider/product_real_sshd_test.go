package provider

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/machine/sshdtest"
)

// The same story on a real OpenSSH sshd: a key the admin put there by hand
// plus 29 new ones are attached, the host key is pinned on first use, 30
// refreshes run against an sshd that sheds connections (MaxStartups 2), and
// destroy leaves the file byte for byte as the platform and the admin wrote it.
func TestAccDeviceKeyAttachment_realSSHD(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t) // the API's device; its SSH side is the real sshd below
	byHand := newTestKey(t, "admin@desk")
	platform := []byte("# Added by cloud-init\n" + f.operator.Line + "\n" + `no-pty ` + byHand.withComment("added by hand") + "\n")
	srv := sshdtest.Start(t, platform, "MaxStartups 2")

	keys := []string{byHand.Line}
	for i := range 29 {
		keys = append(keys, newTestKey(t, fmt.Sprintf("new%02d", i)).Line)
	}
	config := f.providerWithKey() + manyAttachmentsHCL("k", "sshd", keys, f.device.ID, fmt.Sprintf(`ssh = {
    host                 = "127.0.0.1"
    port                 = %d
    user                 = %q
    authorized_keys_path = %q
  }`, srv.Port, srv.User, srv.AuthorizedKeys))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			got, err := os.ReadFile(srv.AuthorizedKeys)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, platform) {
				return fmt.Errorf("after destroy on sshd:\n%q\nwant\n%q", got, platform)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("packet_device_key_attachment.k[0]", tfjsonpath.New("pre_existing"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("packet_device_key_attachment.k[1]", tfjsonpath.New("pre_existing"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("packet_device_key_attachment.k[29]", tfjsonpath.New("pinned_host_key"), knownvalue.StringExact(srv.HostKey)),
				},
				Check: func(*terraform.State) error {
					got, err := os.ReadFile(srv.AuthorizedKeys)
					if err != nil {
						return err
					}
					if !bytes.HasPrefix(got, platform) {
						return fmt.Errorf("the platform's lines changed:\n%s", got)
					}
					for _, k := range keys[1:] {
						if bytes.Count(got, []byte(k+"\n")) != 1 {
							return fmt.Errorf("%s is not on sshd exactly once", k)
						}
					}
					return nil
				},
			},
			{Config: config, PlanOnly: true}, // 30 refreshes against MaxStartups 2
		},
	})
}
