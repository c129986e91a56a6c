package provider

import (
	"fmt"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// Issue 24 at a small scale (4 devices × 5 keys, the "all of them" recipe):
// a no-change plan lists the project's devices once and its keys once, GETs
// no device, and logs in once per device; an apply from empty GETs each
// device at most once.
func TestAccDeviceKeyAttachment_fleetCostsListingsNotGets(t *testing.T) {
	acctest.Required(t)
	t.Parallel()
	const devices, keys = 4, 5
	f := newDeviceFixture(t)
	var stats []func() sshserver.Stats
	stats = append(stats, f.sshStats(t))
	for i := 1; i < devices; i++ {
		d, err := f.mock.CreateDevice(mockapi.SeedDevice{Hostname: fmt.Sprintf("web-%d", i+1), ProjectID: mockapi.DefaultProjectID})
		must(t, err)
		m, _ := f.mock.Machine(d.ID)
		stats = append(stats, m.(interface{ Stats() sshserver.Stats }).Stats)
	}
	for i := range keys {
		f.portalKey(t, newTestKey(t, fmt.Sprintf("fleet-%d", i)))
	}
	config := cliConfig(f) + fmt.Sprintf(`
data "packet_devices" "all" {
  project_id = %[1]q
}
data "packet_project_ssh_keys" "fleet" {
  project_id = %[1]q
  name_regex = "^portal$"
}
locals {
  pairs = { for p in setproduct(data.packet_devices.all.ids, data.packet_project_ssh_keys.fleet.keys[*].id) : "${p[0]}/${p[1]}" => p }
}
resource "packet_device_key_attachment" "fleet" {
  for_each   = local.pairs
  device_id  = each.value[0]
  ssh_key_id = each.value[1]
}
`, mockapi.DefaultProjectID)
	cli := newTerraformCLI(t, config)
	cli.Run("init", "-input=false", "-no-color")
	f.mock.ResetRequests()
	cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	req := f.mock.Requests()
	t.Logf("apply from empty: %v", req)
	if n := req["GET /devices/{id}"]; n > devices {
		t.Errorf("apply from empty made %d device GETs for %d devices", n, devices)
	}

	f.mock.ResetRequests()
	logins := 0
	for _, s := range stats {
		logins -= s().Logins
	}
	cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode") // exit 2 (changes) fails
	req = f.mock.Requests()
	for _, s := range stats {
		logins += s().Logins
	}
	t.Logf("no-change plan of %d attachments: %v, %d SSH logins", devices*keys, req, logins)
	if n := req["GET /devices/{id}"]; n != 0 {
		t.Errorf("the plan made %d device GETs, want none", n)
	}
	if n := req["GET /projects/{id}/devices"]; n != 1 {
		t.Errorf("the plan listed the project's devices %d times, want once", n)
	}
	if n := req["GET /projects/{id}/ssh-keys"]; n != 1 {
		t.Errorf("the plan listed the project's keys %d times, want once", n)
	}
	if logins != devices {
		t.Errorf("the plan logged in %d times to %d devices, want once each", logins, devices)
	}
}
