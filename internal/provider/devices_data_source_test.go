package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// testClock is a clock a test moves forward, to take devices from
// "provisioning" to "active".
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// createTaggedDevice creates a device through the mock's API, which (unlike
// the Go seed) takes tags, as the real API does.
func createTaggedDevice(t *testing.T, mock *mockapi.Server, hostname string, keyIDs []string, tags ...string) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"hostname": hostname, "plan": "c3.small.x86", "metro": "sv", "operating_system": "ubuntu_22_04",
		"tags": tags, "project_ssh_keys": keyIDs, "no_ssh_keys": len(keyIDs) == 0,
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost,
		mock.URL()+"projects/"+mockapi.DefaultProjectID+"/devices", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", mockapi.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated || out.ID == "" {
		t.Fatalf("creating %s: status %d, %v", hostname, resp.StatusCode, err)
	}
	return out.ID
}

// operatorFleet is a mock whose devices are provisioned (on SSH servers)
// with the operator's project key, as a CI runner reaches them.
type operatorFleet struct {
	mock     *mockapi.Server
	operator testKey
	keyID    string // the operator's project key in the API
}

func newOperatorFleet(t *testing.T) *operatorFleet {
	t.Helper()
	mock := testMock(t, mockapi.Options{Provisioner: mockapi.SSHProvisioner})
	operator := newTestKey(t, "operator@ci")
	key, err := mock.PutSSHKey(mockapi.SSHKey{Label: "operator", Key: operator.Line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	return &operatorFleet{mock: mock, operator: operator, keyID: key.ID}
}

// device creates a device with these tags that the operator can log in to.
func (f *operatorFleet) device(t *testing.T, hostname string, tags ...string) string {
	t.Helper()
	return createTaggedDevice(t, f.mock, hostname, []string{f.keyID}, tags...)
}

// machine is the device's simulated machine.
func (f *operatorFleet) machine(t *testing.T, id string) mockapi.Machine {
	t.Helper()
	m, ok := f.mock.Machine(id)
	if !ok {
		t.Fatalf("device %s has no machine", id)
	}
	return m
}

func devicesConfig(name, filters string) string {
	return fmt.Sprintf(`
data "packet_devices" %q {
  project_id = %q
  %s
}
`, name, mockapi.DefaultProjectID, filters)
}

func TestAccDevicesDataSource_filtersAndOrder(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	mock := testMock(t, mockapi.Options{Clock: clock.Now, ProvisioningTime: time.Hour})
	keys := seedKeys(t, mock, inDefaultProject, "deploy", "ops")
	keyIDs := []string{keys[0].ID, keys[1].ID}
	if keyIDs[1] < keyIDs[0] {
		keyIDs[0], keyIDs[1] = keyIDs[1], keyIDs[0]
	}
	// Created out of order; all active once the clock moves on, but web-c.
	webB := createTaggedDevice(t, mock, "web-b", nil, "web", "prod")
	db1 := createTaggedDevice(t, mock, "db-1", nil, "db", "prod")
	webA := createTaggedDevice(t, mock, "web-a", []string{keys[1].ID, keys[0].ID}, "web")
	clock.Advance(2 * time.Hour)
	webC := createTaggedDevice(t, mock, "web-c", nil, "web")
	// Another project's device, which this token cannot see either way.
	if _, err := mock.CreateDevice(mockapi.SeedDevice{Hostname: "web-x", ProjectID: mockapi.OtherProjectID}); err != nil {
		t.Fatal(err)
	}

	ids := func(name string, want ...string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("data.packet_devices."+name, tfjsonpath.New("ids"), exactStrings(want...))
	}
	hostnames := func(name string, want ...string) statecheck.StateCheck {
		items := make([]knownvalue.Check, len(want))
		for i, h := range want {
			items[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"hostname": knownvalue.StringExact(h)})
		}
		return statecheck.ExpectKnownValue("data.packet_devices."+name, tfjsonpath.New("devices"), knownvalue.ListExact(items))
	}
	webAItem := knownvalue.ObjectExact(map[string]knownvalue.Check{
		"id":          knownvalue.StringExact(webA),
		"project_id":  knownvalue.StringExact(mockapi.DefaultProjectID),
		"hostname":    knownvalue.StringExact("web-a"),
		"state":       knownvalue.StringExact("active"),
		"public_ipv4": knownvalue.StringExact("127.0.0.1"),
		"public_ipv6": knownvalue.StringExact("::1"),
		"ssh_key_ids": exactStrings(keyIDs...),
		"ssh_port":    knownvalue.Int64Exact(22),
		"created":     knownvalue.StringExact("2026-01-02T03:04:05Z"),
		"tags":        knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("web")}),
	})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(mock) +
				devicesConfig("all", "") +
				devicesConfig("by_regex", `hostname_regex = "^web-[ab]$"`) +
				devicesConfig("by_tag", `tag = "prod"`) +
				devicesConfig("active_web", "tag = \"web\"\n  state = \"active\"") +
				devicesConfig("provisioning", `state = "provisioning"`) +
				devicesConfig("none", `hostname_regex = "^nothing$"`),
			ConfigStateChecks: []statecheck.StateCheck{
				ids("all", db1, webA, webB, webC),
				hostnames("all", "db-1", "web-a", "web-b", "web-c"),
				statecheck.ExpectKnownValue("data.packet_devices.all", tfjsonpath.New("devices").AtSliceIndex(1), webAItem),
				ids("by_regex", webA, webB),
				ids("by_tag", db1, webB),
				ids("active_web", webA, webB),
				ids("provisioning", webC),
				statecheck.ExpectKnownValue("data.packet_devices.provisioning", tfjsonpath.New("devices").AtSliceIndex(0).AtMapKey("state"),
					knownvalue.StringExact("provisioning")),
				ids("none"),
				hostnames("none"),
			},
		}},
	})
}

// TestAccDevicesDataSource_readsAllPages: 1001 devices are two pages of
// 1000, so two requests per listing, and the lookup by id in the same
// configuration is answered from it.
func TestAccDevicesDataSource_readsAllPages(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	var last mockapi.Device
	for i := range 1001 {
		d, err := mock.CreateDevice(mockapi.SeedDevice{Hostname: fmt.Sprintf("node-%04d", i), ProjectID: mockapi.DefaultProjectID, NoSSHKeys: true})
		if err != nil {
			t.Fatal(err)
		}
		last = d
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(mock) + devicesConfig("all", "") + fmt.Sprintf(`
data "packet_device" "anchor" {
  id = %q
}
`, last.ID),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.packet_devices.all", tfjsonpath.New("ids"), knownvalue.ListSizeExact(1001)),
				statecheck.ExpectKnownValue("data.packet_devices.all", tfjsonpath.New("ids").AtSliceIndex(1000), knownvalue.StringExact(last.ID)),
			},
		}},
	})
	expectLookupsFromListings(t, mock, 2)
}

func TestAccDevicesDataSource_badInputAtPlan(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	const missingProject = "00000000-0000-4000-8000-000000000002"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      providerBlock(mock) + devicesConfig("x", `hostname_regex = "web-(["`),
				PlanOnly:    true,
				ExpectError: errorLike(`Invalid regular expression`),
			},
			{
				Config:      providerBlock(mock) + devicesConfig("x", `state = "running"`),
				PlanOnly:    true,
				ExpectError: errorLike(`Attribute state value must be one of`),
			},
			{
				Config:      providerBlock(mock) + devicesConfig("x", `tag = ""`),
				PlanOnly:    true,
				ExpectError: errorLike(`Attribute tag string length must be at least 1`),
			},
			{
				Config:      providerBlock(mock) + fmt.Sprintf("data \"packet_devices\" \"x\" {\n  project_id = %q\n}\n", missingProject),
				PlanOnly:    true,
				ExpectError: errorLike("There is no project with id " + missingProject + ", or this API token cannot see it."),
			},
		},
	})
	if n := mock.Requests()["GET /projects/{id}/devices"]; n != 1 {
		t.Errorf("%d device list requests; want 1 (the missing project), none for input refused at plan", n)
	}
}

// TestDeviceDataSource_hasNoHostKey: the public API has no host-key field
// (DESIGN §5), so packet_device shows none, though the mock sends one.
func TestDeviceDataSource_hasNoHostKey(t *testing.T) {
	for _, ds := range []datasource.DataSource{NewDeviceDataSource(), NewDevicesDataSource()} {
		var resp datasource.SchemaResponse
		ds.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
		attrs := resp.Schema.Attributes
		if len(attrs) == 0 {
			t.Fatal("empty schema")
		}
		if _, ok := attrs["ssh_host_key"]; ok {
			t.Errorf("%T has ssh_host_key", ds)
		}
	}
}

// TestAccDevicesDataSource_exampleAttachesToAllOfThem runs the packet_devices
// example with the terraform CLI: one new key on every active "web" device
// of the project (five), none on the others; destroy takes it off all five
// again. terraform-plugin-testing cannot hold for_each resources in its
// state checks, so the CLI is run directly against the in-process provider.
func TestAccDevicesDataSource_exampleAttachesToAllOfThem(t *testing.T) {
	t.Parallel()
	fleet := newOperatorFleet(t)
	mock, operator := fleet.mock, fleet.operator
	var web []string
	for i := range 5 {
		web = append(web, fleet.device(t, fmt.Sprintf("web-%d", i), "web"))
	}
	db := fleet.device(t, "db-1", "db")
	authorizedKeys := func(id string) []byte {
		m := fleet.machine(t, id)
		b, err := m.AuthorizedKeys()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	original := map[string][]byte{}
	for _, id := range append([]string{db}, web...) {
		original[id] = authorizedKeys(id)
	}
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "data-sources", "packet_devices", "data-source.tf"))
	if err != nil {
		t.Fatal(err)
	}
	newKey := newTestKey(t, "deploy@ci")
	blob := []byte(strings.Fields(newKey.Line)[1])
	tf := newCLIRun(t, string(example)+`
terraform {
  required_providers {
    packet = { source = "registry.terraform.io/packethost/packet" } # the full address: OpenTofu reads a bare one as its own registry
  }
}

variable "operator_key" {
  type      = string
  sensitive = true
}
`+acctest.ProviderBlock{AuthToken: mockapi.DefaultToken, APIURL: mock.URL(), MaxRetries: 5,
		SSH: "private_key = var.operator_key\nagent = false"}.String(), map[string]string{
		"project_id":   mockapi.DefaultProjectID,
		"public_key":   newKey.Line,
		"operator_key": operator.PrivatePEM,
	})

	tf.Run("apply", "-auto-approve")
	for _, id := range web {
		if n := bytes.Count(authorizedKeys(id), blob); n != 1 {
			t.Errorf("web device %s has the new key %d times, want once", id, n)
		}
	}
	if bytes.Contains(authorizedKeys(db), blob) {
		t.Error("the db device, which is not tagged web, got the key")
	}
	if out := tf.Run("output", "-json", "web_servers"); strings.Count(out, `"127.0.0.1"`) != 5 {
		t.Errorf("web_servers = %s, want five hosts", out)
	}
	tf.Run("destroy", "-auto-approve")
	for id, want := range original {
		if got := authorizedKeys(id); !bytes.Equal(got, want) {
			t.Errorf("after destroy device %s's authorized_keys is not as provisioned:\n%s", id, got)
		}
	}
}
