package mockapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/packethost/packngo"
)

// TestDeviceLifecycleWithPackngo: a device created through packngo with the
// fields the earlier providers send is provisioning, then active, reads
// back what was asked (what their Read stores in state: project id, plan,
// facility, billing cycle, PXE settings, tags, network type) and deletes.
func TestDeviceLifecycleWithPackngo(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := newEnv(t, Options{Clock: clock.Now, ProvisioningTime: 5 * time.Minute})
	c := newPackngo(t, e, DefaultToken)
	terminate := packngo.Timestamp{Time: clock.Now().Add(48 * time.Hour)}
	d, _, err := c.Devices.Create(&packngo.DeviceCreateRequest{
		Hostname: "web-1", Plan: "c3.small.x86", Facility: []string{"sv15", "any"}, OS: "custom_ipxe", ProjectID: DefaultProjectID,
		BillingCycle: "hourly", Description: "a test box", IPXEScriptURL: "https://boot.example/ipxe", AlwaysPXE: true,
		UserData: "#!ipxe", CustomData: `{"role":"web"}`, Tags: []string{"a", "b"}, Features: map[string]string{"tpm": "preferred"},
		IPAddresses: []packngo.IPAddressCreateRequest{{AddressFamily: 4, Public: false}}, SpotInstance: true, SpotPriceMax: 1.5,
		TerminationTime: &terminate, PublicIPv4SubnetSize: 31, HardwareReservationID: "",
	})
	if err != nil {
		t.Fatalf("Devices.Create: %v", err)
	}
	if d.State != "provisioning" {
		t.Errorf("state right after create = %q, want provisioning", d.State)
	}
	clock.Advance(5 * time.Minute)
	got, _, err := c.Devices.Get(d.ID, &packngo.GetOptions{Includes: []string{"project"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]any{
		"state":           {got.State, "active"},
		"project id":      {got.Project.ID, DefaultProjectID},
		"plan":            {got.Plan.Slug, "c3.small.x86"},
		"facility":        {got.Facility.Code, "sv15"},
		"os":              {got.OS.Slug, "custom_ipxe"},
		"billing cycle":   {got.BillingCycle, "hourly"},
		"description":     {deref(got.Description), "a test box"},
		"ipxe script url": {got.IPXEScriptURL, "https://boot.example/ipxe"},
		"always pxe":      {got.AlwaysPXE, true},
		"userdata":        {got.UserData, "#!ipxe"},
		"customdata":      {got.CustomData["role"], "web"},
		"tags":            {strings.Join(got.Tags, ","), "a,b"},
		"network type":    {got.GetNetworkType(), packngo.NetworkTypeL3},
	}
	for what, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", what, v[0], v[1])
		}
	}
	if _, err := c.Devices.Delete(d.ID, false); err != nil {
		t.Fatalf("Devices.Delete: %v", err)
	}
	if _, _, err := c.Devices.Get(d.ID, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Get after delete: %v", err)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestDeviceCreateWithTheSpecShape: the body the equinix SDK sends
// (DeviceCreateInMetroInput: customdata as an object, features as a list,
// spot price as a number, ssh_keys, storage) is accepted; the device is
// polled until active and deleted with ?force_delete=, as that SDK does.
func TestDeviceCreateWithTheSpecShape(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := newEnv(t, Options{Clock: clock.Now, ProvisioningTime: time.Minute})
	body := `{
		"metro": "da", "plan": "m3.small.x86", "operating_system": "ubuntu_24_04", "hostname": "spec-1",
		"billing_cycle": "hourly", "always_pxe": false, "description": "from the spec", "locked": false,
		"customdata": {"role": "db", "n": 2}, "userdata": "#cloud-config", "tags": ["x"],
		"features": ["tpm"], "hardware_reservation_id": "", "ipxe_script_url": "",
		"ip_addresses": [{"address_family": 4, "public": true, "cidr": 31}, {"address_family": 4, "public": false}],
		"network_frozen": false, "no_ssh_keys": false, "private_ipv4_subnet_size": 28, "public_ipv4_subnet_size": 31,
		"project_ssh_keys": [], "user_ssh_keys": [], "ssh_keys": [], "spot_instance": false, "spot_price_max": 0.25,
		"storage": {"disks": [], "raid": [], "filesystems": []}, "termination_time": "2026-09-03T16:32:00+03:00",
		"firmware_set_id": "a1b2c3d4-e5f6-4789-8abc-def012345678"
	}`
	var d deviceJSON
	e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/devices", DefaultToken, body), http.StatusCreated).decode(t, &d)
	for d.State != "active" {
		if d.State != "provisioning" {
			t.Fatalf("state %q while polling", d.State)
		}
		clock.Advance(20 * time.Second)
		e.expect(e.do("GET", "/devices/"+d.ID+"?include=project", DefaultToken, nil), http.StatusOK).decode(t, &d)
	}
	var raw map[string]any
	e.expect(e.do("GET", "/devices/"+d.ID, DefaultToken, nil), http.StatusOK).decode(t, &raw)
	custom, _ := json.Marshal(raw["customdata"])
	if d.Metro.Code != "da" || d.BillingCycle != "hourly" || d.Description != "from the spec" || d.UserData != "#cloud-config" ||
		string(custom) != `{"n":2,"role":"db"}` || d.Project.ID != DefaultProjectID {
		t.Errorf("device = %+v, customdata %s", d, custom)
	}
	e.expect(e.do("DELETE", "/devices/"+d.ID+"?force_delete=false", DefaultToken, nil), http.StatusNoContent)
	e.expect(e.do("GET", "/devices/"+d.ID, DefaultToken, nil), http.StatusNotFound)
	e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/devices", DefaultToken, `{"hostname": "bad", "customdata": "not an object"}`), http.StatusUnprocessableEntity)
}
