package metal

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// The mock's route keys for device requests.
const (
	routeListDevices = "GET /projects/{id}/devices"
	routeGetDevice   = "GET /devices/{id}"
)

// deviceFixture is a mock holding n devices of the default project, with a
// client and its device snapshots on a clock the test moves.
type deviceFixture struct {
	*mockFixture
	devices *DeviceSnapshots
	ids     []string
}

func newDeviceFixture(t *testing.T, n int, opts mockapi.Options) *deviceFixture {
	t.Helper()
	f := &deviceFixture{mockFixture: newMockFixture(t, opts)}
	for i := range n {
		f.ids = append(f.ids, f.addDevice(t, mockapi.DefaultProjectID, fmt.Sprintf("node-%02d", i)))
	}
	f.devices = NewDeviceSnapshots(f.client, 30*time.Second)
	f.devices.now = f.now
	f.mock.ResetRequests()
	return f
}

func (f *deviceFixture) addDevice(t *testing.T, projectID, hostname string) string {
	t.Helper()
	d, err := f.mock.CreateDevice(mockapi.SeedDevice{Hostname: hostname, ProjectID: projectID, NoSSHKeys: true})
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func (f *deviceFixture) get(t *testing.T, id string) *Device {
	t.Helper()
	d, err := f.devices.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return d
}

// The fleet shape of issue 24: 25 attachments on each of 20 devices.
func TestDeviceSnapshotsFleetCostsListingsAndOneGET(t *testing.T) {
	for _, perPage := range []int{1000, 8} {
		t.Run(fmt.Sprint(perPage), func(t *testing.T) {
			f := newDeviceFixture(t, 20, mockapi.Options{})
			f.devices.perPage = perPage
			for round := range 25 {
				for i, id := range f.ids {
					d := f.get(t, id)
					if d.ID != id || d.Hostname != fmt.Sprintf("node-%02d", i) || d.ProjectID != mockapi.DefaultProjectID {
						t.Fatalf("round %d: Get(%s) = %+v; want node-%02d of the project", round, id, d, i)
					}
				}
			}
			pages := (20 + perPage - 1) / perPage
			f.requestsAre(t, map[string]int{routeListDevices: pages, routeGetDevice: 1})
		})
	}
}

// As terraform calls it: ten at a time, so the first Gets of unknown
// devices come together and must wait for one discovery, not GET each.
func TestDeviceSnapshotsConcurrentFleetCostsOneGET(t *testing.T) {
	f := newDeviceFixture(t, 20, mockapi.Options{})
	f.devices.perPage = 8
	f.mock.SetFaults(mockapi.Faults{LatencyMin: 20 * time.Millisecond, LatencyMax: 20 * time.Millisecond})
	lookups := make(chan string, 500)
	for range 25 {
		for _, id := range f.ids {
			lookups <- id
		}
	}
	close(lookups)
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for range 10 {
		wg.Go(func() {
			for id := range lookups {
				d, err := f.devices.Get(t.Context(), id)
				if err == nil && d.ID != id {
					err = fmt.Errorf("Get(%s) returned device %s", id, d.ID)
				}
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.requestsAre(t, map[string]int{routeListDevices: 3, routeGetDevice: 1})
}

// GetFresh reads each device once per operation (one DeviceSnapshots),
// however many callers ask and however concurrently: 20 devices asked for
// 5 times each at once are 20 GETs, each answering with the password.
func TestDeviceSnapshotsGetFreshIsOneGETPerDevice(t *testing.T) {
	f := newDeviceFixture(t, 20, mockapi.Options{})
	for _, id := range f.ids {
		f.get(t, id)
	}
	f.mock.ResetRequests()
	var wg sync.WaitGroup
	errs := make(chan error, 5*len(f.ids))
	for range 5 {
		for _, id := range f.ids {
			wg.Go(func() {
				d, err := f.devices.GetFresh(t.Context(), id)
				want, _ := f.mock.Device(id)
				switch {
				case err != nil:
					errs <- err
				case d.ID != id || want.RootPassword == "" || d.RootPassword != want.RootPassword:
					errs <- fmt.Errorf("GetFresh(%s) = %+v; want the device with root password %q", id, d, want.RootPassword)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f.requestsAre(t, map[string]int{routeGetDevice: 20})
	// What GetFresh read is not served as the password by Get.
	for _, id := range f.ids {
		if d := f.get(t, id); d.RootPassword != "" {
			t.Fatalf("Get(%s) gave a root password; only GetFresh may", id)
		}
	}
	f.requestsAre(t, map[string]int{routeGetDevice: 20})
}

// A GetFresh that failed is not kept: the next caller reads again.
func TestDeviceSnapshotsGetFreshKeepsNoFailure(t *testing.T) {
	f := newDeviceFixture(t, 1, mockapi.Options{})
	f.mock.SetFaults(mockapi.Faults{ErrorRateByRoute: map[string]float64{routeGetDevice: 1}})
	if _, err := f.devices.GetFresh(t.Context(), f.ids[0]); err == nil {
		t.Fatal("GetFresh succeeded while every device GET fails")
	}
	f.mock.SetFaults(mockapi.Faults{})
	if d, err := f.devices.GetFresh(t.Context(), f.ids[0]); err != nil || d.RootPassword == "" {
		t.Fatalf("GetFresh after the failure = %+v, %v; want the device read again, with its password", d, err)
	}
}

// The root password is shown for 24 hours: no listing or Get serves it,
// and the next operation's fresh read after that has none, whatever an
// earlier operation read.
func TestDeviceSnapshotsNeverServeAStalePassword(t *testing.T) {
	var mu sync.Mutex
	mockNow := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return mockNow }
	f := newDeviceFixture(t, 2, mockapi.Options{Clock: clock})
	for _, id := range f.ids {
		if d := f.get(t, id); d.RootPassword != "" {
			t.Fatalf("Get(%s) gave the root password from a snapshot (the discovery GET or the listing)", id)
		}
	}
	if d, err := f.devices.GetFresh(t.Context(), f.ids[1]); err != nil || d.RootPassword == "" {
		t.Fatalf("GetFresh within 24 hours = %+v, %v; want the root password", d, err)
	}
	mu.Lock()
	mockNow = mockNow.Add(25 * time.Hour)
	mu.Unlock()
	next := NewDeviceSnapshots(f.devices.client, 0)
	if d, err := next.GetFresh(t.Context(), f.ids[1]); err != nil || d.RootPassword != "" {
		t.Fatalf("GetFresh of the next operation after 24 hours = %+v, %v; want no root password (the API no longer shows it)", d, err)
	}
}

func TestDeviceSnapshotsAnswerAsGetDoes(t *testing.T) {
	f := newDeviceFixture(t, 3, mockapi.Options{})
	want, err := f.devices.client.GetDevice(t.Context(), f.ids[2])
	if err != nil {
		t.Fatal(err)
	}
	want.RootPassword = ""
	f.get(t, f.ids[0]) // the discovery: f.ids[2] comes from the listing
	got := f.get(t, f.ids[2])
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("from the snapshot:\n%+v\nfrom GET:\n%+v", got, want)
	}
	got.IPAddresses[0].Address = "changed by the caller"
	if again := f.get(t, f.ids[2]); again.IPAddresses[0].Address == "changed by the caller" {
		t.Fatal("a caller changed the snapshot through the addresses it was given")
	}
}

func TestDeviceSnapshotsConfirmAMissingDeviceWithOneGET(t *testing.T) {
	f := newDeviceFixture(t, 5, mockapi.Options{})
	f.get(t, f.ids[0])
	gone := uuid.NewString()
	if _, err := f.devices.Get(t.Context(), gone); !IsNotFound(err) {
		t.Fatalf("Get of a device that does not exist: %v; want an error IsNotFound is true for", err)
	}
	f.requestsAre(t, map[string]int{routeListDevices: 1, routeGetDevice: 2})

	// A device made after the listing is found by one GET, then served
	// from the snapshot.
	made := f.addDevice(t, mockapi.DefaultProjectID, "made-in-the-portal")
	f.mock.ResetRequests()
	for range 3 {
		if d := f.get(t, made); d.Hostname != "made-in-the-portal" || d.RootPassword != "" {
			t.Fatalf("Get = %+v; want the device made in the portal, without its password", d)
		}
	}
	f.requestsAre(t, map[string]int{routeGetDevice: 1})
}

func TestDeviceSnapshotsExpire(t *testing.T) {
	f := newDeviceFixture(t, 3, mockapi.Options{})
	f.get(t, f.ids[0])
	f.mock.DeleteDevice(f.ids[1])
	f.advance(29 * time.Second)
	if _, err := f.devices.Get(t.Context(), f.ids[1]); err != nil {
		t.Fatalf("within the TTL the listing answers: %v", err)
	}
	f.requestsAre(t, map[string]int{routeListDevices: 1, routeGetDevice: 1})
	f.advance(time.Second)
	if _, err := f.devices.Get(t.Context(), f.ids[1]); !IsNotFound(err) {
		t.Fatalf("Get after the TTL of a device deleted meanwhile: %v; want not found", err)
	}
	// Listed again, missing from it, confirmed gone by its GET.
	f.requestsAre(t, map[string]int{routeListDevices: 2, routeGetDevice: 2})
}

func TestDeviceSnapshotsOneListingPerProject(t *testing.T) {
	const second = "5b0e1f3a-7c2d-4e6f-8a9b-0c1d2e3f4a5b"
	seed := mockapi.DefaultSeed()
	seed.Projects = append(seed.Projects, mockapi.SeedProject{ID: second, Name: "second", Members: []string{mockapi.DefaultUserID}})
	f := newDeviceFixture(t, 4, mockapi.Options{Seed: seed})
	for i := range 4 {
		f.ids = append(f.ids, f.addDevice(t, second, fmt.Sprintf("second-%d", i)))
	}
	f.mock.ResetRequests()
	for range 3 {
		for i, id := range f.ids {
			want := mockapi.DefaultProjectID
			if i >= 4 {
				want = second
			}
			if d := f.get(t, id); d.ProjectID != want {
				t.Fatalf("Get(%s) = project %s; want %s", id, d.ProjectID, want)
			}
		}
	}
	f.requestsAre(t, map[string]int{routeListDevices: 2, routeGetDevice: 2})
}

func TestDeviceSnapshotsList(t *testing.T) {
	f := newDeviceFixture(t, 0, mockapi.Options{})
	post := func(hostname string, tags ...string) {
		body := fmt.Sprintf(`{"hostname":%q,"plan":"c3.small.x86","metro":"sv","operating_system":"ubuntu_22_04","tags":["%s"]}`,
			hostname, strings.Join(tags, `","`))
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost,
			f.mock.URL()+"projects/"+mockapi.DefaultProjectID+"/devices", strings.NewReader(body))
		req.Header.Set("X-Auth-Token", mockapi.DefaultToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST a device: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	post("web-1", "web", "prod")
	post("db-1", "db")
	f.mock.ResetRequests()
	for range 2 {
		got, err := f.devices.List(t.Context(), mockapi.DefaultProjectID)
		if err != nil || len(got) != 2 {
			t.Fatalf("List = %d devices, %v; want 2", len(got), err)
		}
		if got[0].Hostname != "web-1" || strings.Join(got[0].Tags, ",") != "web,prod" || got[0].RootPassword != "" {
			t.Fatalf("List[0] = %+v; want web-1 with its tags and no root password", got[0])
		}
		got[0].Tags[0] = "changed by the caller"
	}
	// The devices are known now: Get needs no discovery.
	got, _ := f.devices.List(t.Context(), mockapi.DefaultProjectID)
	f.get(t, got[1].ID)
	f.requestsAre(t, map[string]int{routeListDevices: 1})

	if _, err := f.devices.List(t.Context(), mockapi.OtherProjectID); !IsNotFound(err) && !IsStatus(err, http.StatusForbidden) {
		t.Fatalf("List of a project this token cannot see: %v; want the API's refusal", err)
	}
}

func TestDeviceSnapshotsUnlistableProjectFallsBackToGET(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch r.URL.Path {
		case "/metal/v1/projects/" + projectID + "/devices":
			writeJSON(w, http.StatusForbidden, apiErrors("You are not authorized to view this project"))
		case "/metal/v1/devices/" + deviceID:
			writeJSON(w, http.StatusOK, deviceBody())
		default:
			writeJSON(w, http.StatusNotFound, apiErrors("Not found"))
		}
	})
	devices := NewDeviceSnapshots(newTestClient(t, api, nil), time.Minute)
	for range 3 {
		d, err := devices.Get(t.Context(), deviceID)
		if err != nil || d.Hostname != "web-1" || d.RootPassword != "" {
			t.Fatalf("Get from a project that cannot be listed = %+v, %v; want the device read by GET, no password", d, err)
		}
	}
	var gets, lists int
	for _, r := range api.seen() {
		if strings.HasSuffix(r.Path, "/devices") {
			lists++
		} else {
			gets++
		}
	}
	if gets != 3 || lists != 1 {
		t.Fatalf("%d GETs and %d listings; want 3 and 1 (the refusal is kept for the TTL)", gets, lists)
	}
	if _, err := devices.List(t.Context(), projectID); !IsStatus(err, http.StatusForbidden) {
		t.Fatalf("List of a project that cannot be listed: %v; want the API's refusal", err)
	}
}

func TestDeviceSnapshotsFailedListingIsNotKept(t *testing.T) {
	f := newDeviceFixture(t, 3, mockapi.Options{})
	f.mock.SetFaults(mockapi.Faults{ErrorRateByRoute: map[string]float64{routeListDevices: 1}})
	// The discovery's own GET answers it even when the listing fails.
	if d, err := f.devices.Get(t.Context(), f.ids[0]); err != nil || d.ID != f.ids[0] {
		t.Fatalf("Get while every listing fails = %+v, %v; want the device its GET read", d, err)
	}
	if _, err := f.devices.Get(t.Context(), f.ids[0]); err == nil {
		t.Fatal("Get of a known device succeeded while every listing fails")
	}
	f.mock.SetFaults(mockapi.Faults{})
	f.mock.ResetRequests()
	for _, id := range f.ids {
		f.get(t, id)
	}
	f.requestsAre(t, map[string]int{routeListDevices: 1})
}

func TestDeviceSnapshotsCallerGivesUpAlone(t *testing.T) {
	f := newDeviceFixture(t, 2, mockapi.Options{})
	f.get(t, f.ids[0])
	f.advance(time.Minute) // the next Gets list again
	f.mock.SetFaults(mockapi.Faults{LatencyMin: 200 * time.Millisecond, LatencyMax: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := f.devices.Get(ctx, f.ids[0])
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // the cancelled caller leads the listing
	other := make(chan error, 1)
	go func() {
		_, err := f.devices.Get(t.Context(), f.ids[1])
		other <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled Get succeeded")
	}
	if err := <-other; err != nil {
		t.Fatalf("another caller of the same listing failed with the cancelled one: %v", err)
	}
}
