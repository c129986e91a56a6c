package provider

import (
	"fmt"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// Route keys of the device reads (see mockapi.Server.Requests).
const (
	routeGetDevice          = "GET /devices/{id}"
	routeListProjectDevices = "GET /projects/{id}/devices"
)

// fleet is the "all of them" recipe of issue 24 on mock devices of one
// project: every key labelled "portal" attached to every device, through
// the CLI, with the devices' SSH counters at hand.
type fleet struct {
	t       *testing.T
	f       *deviceFixture
	devices int
	stats   []func() sshserver.Stats
	cli     *acctest.Workdir
}

// newFleet makes devices devices and keys portal keys; attachmentSSH is
// the attachments' ssh block ("" for the provider's key) and provider the
// provider block.
func newFleet(t *testing.T, devices, keys int, provider func(*deviceFixture) string, attachmentSSH string) *fleet {
	t.Helper()
	acctest.Required(t)
	f := newDeviceFixture(t)
	fl := &fleet{t: t, f: f, devices: devices, stats: []func() sshserver.Stats{f.sshStats(t)}}
	for i := 1; i < devices; i++ {
		d, err := f.mock.CreateDevice(mockapi.SeedDevice{Hostname: fmt.Sprintf("web-%d", i+1), ProjectID: mockapi.DefaultProjectID})
		must(t, err)
		m, _ := f.mock.Machine(d.ID)
		counted, ok := m.(interface{ Stats() sshserver.Stats })
		if !ok {
			t.Fatalf("device %s does not count its SSH connections", d.ID)
		}
		fl.stats = append(fl.stats, counted.Stats)
	}
	for i := range keys {
		f.portalKey(t, newTestKey(t, fmt.Sprintf("fleet-%d", i)))
	}
	fl.cli = newTerraformCLI(t, fmt.Sprintf(`
terraform {
  required_providers {
    packet = { source = %[1]q }
  }
}
%[2]s
data "packet_devices" "all" {
  project_id = %[3]q
}
data "packet_project_ssh_keys" "fleet" {
  project_id = %[3]q
  name_regex = "^portal$"
}
locals {
  pairs = { for p in setproduct(data.packet_devices.all.ids, data.packet_project_ssh_keys.fleet.keys[*].id) : "${p[0]}/${p[1]}" => p }
}
resource "packet_device_key_attachment" "fleet" {
  for_each   = local.pairs
  device_id  = each.value[0]
  ssh_key_id = each.value[1]
  %[4]s
}
`, providerAddress, provider(f), mockapi.DefaultProjectID, attachmentSSH))
	fl.cli.Run("init", "-input=false", "-no-color")
	return fl
}

// fleetCost is what one CLI command cost the API and the devices.
type fleetCost struct {
	requests            map[string]int
	connections, logins int
	took                time.Duration
}

// run runs one CLI command and measures it.
func (fl *fleet) run(args ...string) fleetCost {
	fl.t.Helper()
	var c fleetCost
	fl.f.mock.ResetRequests()
	for _, s := range fl.stats {
		c.connections -= s().Connections
		c.logins -= s().Logins
	}
	start := time.Now()
	fl.cli.Run(args...)
	c.took = time.Since(start)
	c.requests = fl.f.mock.Requests()
	for _, s := range fl.stats {
		c.connections += s().Connections
		c.logins += s().Logins
	}
	return c
}

func (fl *fleet) apply() fleetCost {
	fl.t.Helper()
	return fl.run("apply", "-auto-approve", "-input=false", "-no-color")
}

// noChangePlan fails the test if the plan has changes (exit code 2).
func (fl *fleet) noChangePlan() fleetCost {
	fl.t.Helper()
	return fl.run("plan", "-input=false", "-no-color", "-detailed-exitcode")
}

// Issue 24's Done-when at full size (20 devices × 25 keys = 500
// attachments): a no-change plan lists the project's devices ⌈20/page⌉
// times and its keys once, GETs no device, makes no other request and
// connects once to each device; an apply from empty GETs each device at
// most once.
func TestAccDeviceKeyAttachment_fleetCostsListingsNotGets(t *testing.T) {
	t.Parallel()
	const devices, keys = 20, 25
	fl := newFleet(t, devices, keys, (*deviceFixture).providerWithKey, "")

	c := fl.apply()
	t.Logf("apply of %d attachments from empty: %v, %d SSH connections, %s", devices*keys, c.requests, c.connections, c.took)
	if n := c.requests[routeGetDevice]; n > devices {
		t.Errorf("apply from empty made %d device GETs for %d devices", n, devices)
	}

	c = fl.noChangePlan()
	t.Logf("no-change plan of %d attachments: %v, %d SSH connections, %s", devices*keys, c.requests, c.connections, c.took)
	if err := requestsAre(fl.f.mock, map[string]int{
		routeListProjectDevices: (devices + metal.PageSize - 1) / metal.PageSize,
		routeListProjectKeys:    1,
	}); err != nil {
		t.Error(err)
	}
	if c.connections != devices || c.logins != devices {
		t.Errorf("the plan made %d SSH connections (%d logins) to %d devices, want one each", c.connections, c.logins, devices)
	}
}

// Logging in with the root password reads each device fresh from the API
// (the password is shown for 24 hours, so no listing may answer it), and
// once per device per operation however many of its attachments log in:
// a no-change plan of 3 devices × 4 keys makes exactly 3 device GETs.
func TestAccDeviceKeyAttachment_fleetReadsRootPasswordOncePerDevice(t *testing.T) {
	t.Parallel()
	const devices, keys = 3, 4
	fl := newFleet(t, devices, keys, (*deviceFixture).providerWithoutKey, "ssh = { use_root_password = true }")

	c := fl.apply()
	t.Logf("apply of %d attachments from empty: %v, %d SSH logins", devices*keys, c.requests, c.logins)
	// Each operation (the plan and the apply of `terraform apply`) lists the
	// project's keys once, so the key listings count the operations.
	if n, ops := c.requests[routeGetDevice], c.requests[routeListProjectKeys]; n > devices*ops {
		t.Errorf("apply from empty read devices %d times in %d operations for %d devices, want at most once per device per operation", n, ops, devices)
	}
	c = fl.noChangePlan()
	t.Logf("no-change plan of %d attachments: %v, %d SSH logins", devices*keys, c.requests, c.logins)
	if n := c.requests[routeGetDevice]; n != devices {
		t.Errorf("the plan read devices %d times for %d devices logging in with the root password, want once each", n, devices)
	}
	if c.logins != devices {
		t.Errorf("the plan logged in %d times to %d devices, want once each", c.logins, devices)
	}
}
