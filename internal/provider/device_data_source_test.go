package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// listedMachine is a simulated machine that only reports where it listens:
// enough for the API to show ssh_host_key and ssh_port, no SSH server.
type listedMachine struct {
	port    int
	hostKey string
}

func (m listedMachine) Host() string                    { return "127.0.0.1" }
func (m listedMachine) Port() int                       { return m.port }
func (m listedMachine) HostKey() string                 { return m.hostKey }
func (m listedMachine) AuthorizedKeys() ([]byte, error) { return nil, nil }
func (m listedMachine) SetAuthorizedKeys([]byte) error  { return nil }
func (m listedMachine) Close() error                    { return nil }

// expectLookupsFromListings checks that device lookups were answered from
// listings of pages requests each: per provider process one listing and at
// most the one GET that finds the project. Processes are not counted, so
// it checks GETs ≤ listings (reading each device by GET gives more GETs).
func expectLookupsFromListings(t *testing.T, mock *mockapi.Server, pages int) {
	t.Helper()
	counts := mock.Requests()
	lists, gets := counts["GET /projects/{id}/devices"], counts["GET /devices/{id}"]
	if lists == 0 || lists%pages != 0 || gets > lists/pages {
		t.Errorf("%d device list requests (%d per listing) and %d device GETs; want at least one listing and no more GETs "+
			"than listings; all counts %v", lists, pages, gets, counts)
	}
}

// TestAccDeviceDataSource_lookupsShareTheProjectListing: five devices of
// one project looked up by id and by hostname cost one listing and at most
// one GET per run, not a GET each.
func TestAccDeviceDataSource_lookupsShareTheProjectListing(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	var config strings.Builder
	config.WriteString(providerBlock(mock))
	var checks []statecheck.StateCheck
	for i := range 5 {
		dev, err := mock.CreateDevice(mockapi.SeedDevice{Hostname: fmt.Sprintf("node-%d", i), ProjectID: mockapi.DefaultProjectID, NoSSHKeys: true})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&config, "data \"packet_device\" \"n%d\" {\n  id = %q\n}\n", i, dev.ID)
		checks = append(checks, statecheck.ExpectKnownValue(fmt.Sprintf("data.packet_device.n%d", i), tfjsonpath.New("hostname"),
			knownvalue.StringExact(dev.Hostname)))
	}
	fmt.Fprintf(&config, "data \"packet_device\" \"by_hostname\" {\n  project_id = %q\n  hostname   = \"node-3\"\n}\n", mockapi.DefaultProjectID)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps:                    []resource.TestStep{{Config: config.String(), ConfigStateChecks: checks}},
	})
	expectLookupsFromListings(t, mock, 1)
}

func TestAccDeviceDataSource_byIDAndHostnameShowsProvisionedKeys(t *testing.T) {
	t.Parallel()
	hostKey := newTestKey(t, "")
	mock := testMock(t, mockapi.Options{
		Provisioner: func(mockapi.MachineSpec) (mockapi.Machine, error) {
			return listedMachine{port: 2222, hostKey: hostKey.Line}, nil
		},
	})
	keys := seedKeys(t, mock, inDefaultProject, "deploy", "on-web-1", "not-on-it")
	dev, err := mock.CreateDevice(mockapi.SeedDevice{
		Hostname: "web-1", ProjectID: mockapi.DefaultProjectID, ProjectSSHKeys: []string{keys[1].ID, keys[0].ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A hostname the search also finds ("web-1" is in it): must not match.
	if _, err := mock.CreateDevice(mockapi.SeedDevice{Hostname: "web-10", ProjectID: mockapi.DefaultProjectID}); err != nil {
		t.Fatal(err)
	}
	// Created after the device: the platform did not put it there.
	seedKeys(t, mock, inDefaultProject, "later")
	if dev.RootPassword == "" {
		t.Fatal("the mock gave the new device no root password; the no-secret check would prove nothing")
	}
	wantKeyIDs := []string{keys[0].ID, keys[1].ID}
	if keys[1].ID < keys[0].ID {
		wantKeyIDs = []string{keys[1].ID, keys[0].ID}
	}

	var checks []statecheck.StateCheck
	for _, addr := range []string{"data.packet_device.by_id", "data.packet_device.by_hostname"} {
		str := func(attr, want string) statecheck.StateCheck {
			return statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), knownvalue.StringExact(want))
		}
		checks = append(checks,
			str("id", dev.ID),
			str("hostname", "web-1"),
			str("project_id", mockapi.DefaultProjectID),
			str("state", "active"),
			str("public_ipv4", "127.0.0.1"),
			str("public_ipv6", "::1"),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("ssh_port"), knownvalue.Int64Exact(2222)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("ssh_key_ids"), exactStrings(wantKeyIDs...)),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("created"), knownvalue.NotNull()),
		)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(mock) + fmt.Sprintf(`
data "packet_device" "by_id" {
  id = %q
}

data "packet_device" "by_hostname" {
  project_id = %q
  hostname   = "WEB-1"
}
`, dev.ID, mockapi.DefaultProjectID),
			ConfigStateChecks: checks,
			Check: resource.ComposeTestCheckFunc(
				acctest.NoSecretInState(acctest.Secret{Name: "the device's root password", Value: dev.RootPassword}),
			),
		}},
	})
	// One listing per run for both lookups, and no extra call for the keys.
	expectLookupsFromListings(t, mock, 1)
	if n := mock.Requests()["GET /devices/{id}/ssh-keys"]; n != 0 {
		t.Errorf("%d GET /devices/{id}/ssh-keys requests; the device's own JSON has the key ids", n)
	}
}

func TestAccDeviceDataSource_withoutMachineDefaultsAndErrors(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	bare, err := mock.CreateDevice(mockapi.SeedDevice{Hostname: "bare", ProjectID: mockapi.DefaultProjectID, NoSSHKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	var twins []mockapi.Device
	for range 2 {
		d, err := mock.CreateDevice(mockapi.SeedDevice{Hostname: "twin", ProjectID: mockapi.DefaultProjectID})
		if err != nil {
			t.Fatal(err)
		}
		twins = append(twins, d)
	}
	byHostname := func(hostname string) string {
		return providerBlock(mock) + fmt.Sprintf(`
data "packet_device" "test" {
  project_id = %q
  hostname   = %q
}
`, mockapi.DefaultProjectID, hostname)
	}
	const (
		addr            = "data.packet_device.test"
		missingDeviceID = "00000000-0000-4000-8000-000000000001"
	)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      byHostname("twin"),
				ExpectError: errorLike(fmt.Sprintf(`2 devices in project %s have hostname "twin"`, mockapi.DefaultProjectID)),
			},
			{Config: byHostname("twin"), ExpectError: errorLike(fmt.Sprintf(`id %s, hostname "twin", state active`, twins[0].ID))},
			{Config: byHostname("twin"), ExpectError: errorLike(fmt.Sprintf(`id %s, hostname "twin", state active`, twins[1].ID))},
			{
				Config:      byHostname("tw"),
				ExpectError: errorLike(fmt.Sprintf(`No device in project %s has hostname "tw". Devices whose hostname contains it (id, hostname, state): - id %s`, mockapi.DefaultProjectID, twins[0].ID)),
			},
			{
				Config:      providerBlock(mock) + fmt.Sprintf(`data "packet_device" "test" { id = %q }`, missingDeviceID),
				ExpectError: errorLike("There is no device with id " + missingDeviceID + ", or this API token cannot see it."),
			},
			{
				Config:      providerBlock(mock) + `data "packet_device" "test" { hostname = "bare" }`,
				ExpectError: errorLike("Invalid Attribute Combination"),
			},
			{
				Config: providerBlock(mock) + fmt.Sprintf(`data "packet_device" "test" {
  id       = %q
  hostname = "bare"
}`, bare.ID),
				ExpectError: errorLike("Invalid Attribute Combination"),
			},
			{
				Config: byHostname("bare"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(bare.ID)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("ssh_port"), knownvalue.Int64Exact(22)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("ssh_key_ids"), knownvalue.ListSizeExact(0)),
				},
			},
		},
	})
}
