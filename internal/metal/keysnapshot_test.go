package metal

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// The mock's route keys for key requests.
const (
	routeListProjectKeys = "GET /projects/{id}/ssh-keys"
	routeListUserKeys    = "GET /ssh-keys"
	routeGetKey          = "GET /ssh-keys/{id}"
	routePatchKey        = "PATCH /ssh-keys/{id}"
	routePostProjectKey  = "POST /projects/{id}/ssh-keys"
	routeDeleteKey       = "DELETE /ssh-keys/{id}"
)

var mockProject = Owner{Kind: OwnerProject, ID: mockapi.DefaultProjectID}

// snapshotFixture is a mock holding n keys of the default project, with a
// client and its snapshots on a clock the test moves.
type snapshotFixture struct {
	*mockFixture
	keys *KeySnapshots
	ids  []string
}

func newSnapshotFixture(t *testing.T, n int) *snapshotFixture {
	t.Helper()
	f := &snapshotFixture{mockFixture: newMockFixture(t, mockapi.Options{})}
	for i := range n {
		line, _ := newKeyLine(t)
		k, err := f.mock.PutSSHKey(mockapi.SSHKey{Label: fmt.Sprintf("key-%d", i), Key: line, ProjectID: mockapi.DefaultProjectID})
		if err != nil {
			t.Fatal(err)
		}
		f.ids = append(f.ids, k.ID)
	}
	f.keys = NewKeySnapshots(f.client, 30*time.Second)
	f.keys.now = f.now
	f.mock.ResetRequests()
	return f
}

func (f *snapshotFixture) get(t *testing.T, id string) *SSHKey {
	t.Helper()
	k, err := f.keys.Get(t.Context(), mockProject, id)
	if err != nil {
		t.Fatalf("Get(%s): %v", id, err)
	}
	return k
}

func TestKeySnapshotsReadEveryKeyWithListPagesOnly(t *testing.T) {
	for _, n := range []int{1, 1000, 2500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newSnapshotFixture(t, n)
			for i, id := range f.ids {
				k := f.get(t, id)
				if k.ID != id || k.Label != fmt.Sprintf("key-%d", i) || k.Owner != mockProject || k.Fingerprint == "" {
					t.Fatalf("Get(%s) = %+v; want key-%d of the project", id, k, i)
				}
			}
			pages := (n + 999) / 1000
			f.requestsAre(t, map[string]int{routeListProjectKeys: pages})
		})
	}
}

func TestKeySnapshotsAnswerAsGetDoes(t *testing.T) {
	f := newSnapshotFixture(t, 3)
	if _, err := f.keys.client.UpdateSSHKey(t.Context(), f.ids[1], SSHKeyUpdate{Tags: &[]string{"b", "a"}}); err != nil {
		t.Fatal(err)
	}
	want, err := f.keys.client.GetSSHKey(t.Context(), f.ids[1])
	if err != nil {
		t.Fatal(err)
	}
	got := f.get(t, f.ids[1])
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("from the snapshot:\n%+v\nfrom GET:\n%+v", got, want)
	}
	got.Tags[0] = "changed by the caller"
	if again := f.get(t, f.ids[1]); again.Tags[0] == "changed by the caller" {
		t.Fatal("a caller changed the snapshot through the tags it was given")
	}
}

func TestKeySnapshotsConfirmAMissingKeyWithOneGET(t *testing.T) {
	f := newSnapshotFixture(t, 5)
	f.get(t, f.ids[0])
	gone := uuid.NewString()
	_, err := f.keys.Get(t.Context(), mockProject, gone)
	if !IsNotFound(err) {
		t.Fatalf("Get of a key that does not exist: %v; want an error IsNotFound is true for", err)
	}
	f.requestsAre(t, map[string]int{routeListProjectKeys: 1, routeGetKey: 1})

	// A key made behind the provider's back after the listing is found by
	// that GET, and then served from the snapshot.
	line, _ := newKeyLine(t)
	made, err := f.mock.PutSSHKey(mockapi.SSHKey{Label: "made in the portal", Key: line, ProjectID: mockapi.DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	f.mock.ResetRequests()
	for range 2 {
		if k := f.get(t, made.ID); k.Label != "made in the portal" {
			t.Fatalf("Get = %+v; want the key made in the portal", k)
		}
	}
	f.requestsAre(t, map[string]int{routeGetKey: 1})
}

func TestKeySnapshotsWritesLeaveNoStaleReads(t *testing.T) {
	f := newSnapshotFixture(t, 3)
	ctx := t.Context()
	f.get(t, f.ids[0]) // the snapshot is taken

	label, tags := "renamed", []string{"new"}
	if _, err := f.keys.Update(ctx, f.ids[0], SSHKeyUpdate{Label: &label, Tags: &tags}); err != nil {
		t.Fatal(err)
	}
	if k := f.get(t, f.ids[0]); k.Label != "renamed" || len(k.Tags) != 1 || k.Tags[0] != "new" {
		t.Fatalf("Get after Update = %+v; want the update", k)
	}

	line, _ := newKeyLine(t)
	created, err := f.keys.Create(ctx, mockProject, SSHKeyCreate{Label: "created", Key: line})
	if err != nil {
		t.Fatal(err)
	}
	if k := f.get(t, created.ID); k.Label != "created" {
		t.Fatalf("Get after Create = %+v; want the new key", k)
	}
	listed, err := f.keys.List(ctx, mockProject)
	if err != nil || len(listed) != 4 {
		t.Fatalf("List after Create: %d keys, %v; want 4", len(listed), err)
	}
	f.requestsAre(t, map[string]int{routeListProjectKeys: 1, routePatchKey: 1, routePostProjectKey: 1})

	if err := f.keys.Delete(ctx, f.ids[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.keys.Get(ctx, mockProject, f.ids[1]); !IsNotFound(err) {
		t.Fatalf("Get after Delete: %v; want not found", err)
	}
	if listed, _ := f.keys.List(ctx, mockProject); len(listed) != 3 {
		t.Fatalf("List after Delete: %d keys; want 3", len(listed))
	}
	// The deleted key is confirmed gone with its one GET; nothing is listed again.
	f.requestsAre(t, map[string]int{routeListProjectKeys: 1, routePatchKey: 1, routePostProjectKey: 1,
		routeDeleteKey: 1, routeGetKey: 1})
}

func TestKeySnapshotsFailedUpdateIsReadAgain(t *testing.T) {
	f := newSnapshotFixture(t, 2)
	f.get(t, f.ids[0])
	f.mock.SetFaults(mockapi.Faults{ErrorRateByRoute: map[string]float64{routePatchKey: 1}})
	label := "maybe"
	if _, err := f.keys.Update(t.Context(), f.ids[0], SSHKeyUpdate{Label: &label}); err == nil {
		t.Fatal("Update succeeded against a mock that fails every PATCH")
	}
	f.mock.SetFaults(mockapi.Faults{})
	f.mock.ResetRequests()
	f.get(t, f.ids[0])
	f.requestsAre(t, map[string]int{routeGetKey: 1}) // the key may have changed: read, not served
}

func TestKeySnapshotsExpire(t *testing.T) {
	f := newSnapshotFixture(t, 2)
	f.get(t, f.ids[0])
	label := "changed in the portal"
	if _, err := f.mock.PutSSHKey(withLabel(t, f.mock, f.ids[1], label)); err != nil {
		t.Fatal(err)
	}
	f.advance(29 * time.Second)
	if k := f.get(t, f.ids[1]); k.Label == label {
		t.Fatal("the snapshot was listed again before its TTL was over")
	}
	f.requestsAre(t, map[string]int{routeListProjectKeys: 1})
	f.advance(time.Second)
	if k := f.get(t, f.ids[1]); k.Label != label {
		t.Fatalf("Get after the TTL = %q; want the change made meanwhile", k.Label)
	}
	f.requestsAre(t, map[string]int{routeListProjectKeys: 2})
}

func withLabel(t *testing.T, mock *mockapi.Server, id, label string) mockapi.SSHKey {
	t.Helper()
	k, ok := mock.SSHKey(id)
	if !ok {
		t.Fatalf("no key %s in the mock", id)
	}
	k.Label = label
	return k
}

func TestKeySnapshotsConcurrentGetsShareOneListing(t *testing.T) {
	f := newSnapshotFixture(t, 50)
	f.mock.SetFaults(mockapi.Faults{LatencyMin: 50 * time.Millisecond, LatencyMax: 50 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, len(f.ids))
	for _, id := range f.ids {
		wg.Go(func() {
			k, err := f.keys.Get(t.Context(), mockProject, id)
			if err == nil && k.ID != id {
				err = fmt.Errorf("Get(%s) returned key %s", id, k.ID)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.requestsAre(t, map[string]int{routeListProjectKeys: 1})
}

func TestKeySnapshotsUserKeys(t *testing.T) {
	f := newSnapshotFixture(t, 0)
	line, _ := newKeyLine(t)
	k, err := f.mock.PutSSHKey(mockapi.SSHKey{Label: "mine", Key: line, UserID: mockapi.DefaultUserID})
	if err != nil {
		t.Fatal(err)
	}
	// The user's id or none: the same snapshot (the caller's own keys).
	for _, owner := range []Owner{{Kind: OwnerUser}, {Kind: OwnerUser, ID: mockapi.DefaultUserID}} {
		got, err := f.keys.Get(t.Context(), owner, k.ID)
		if err != nil || got.Label != "mine" || got.Owner.Kind != OwnerUser {
			t.Fatalf("Get(%+v) = %+v, %v; want the personal key", owner, got, err)
		}
	}
	f.requestsAre(t, map[string]int{routeListUserKeys: 1})
}

func TestKeySnapshotsWithoutAProjectReadOneByOne(t *testing.T) {
	f := newSnapshotFixture(t, 1)
	// Right after an import the project is not known yet.
	if k, err := f.keys.Get(t.Context(), Owner{Kind: OwnerProject}, f.ids[0]); err != nil || k.ID != f.ids[0] {
		t.Fatalf("Get without a project = %+v, %v", k, err)
	}
	f.requestsAre(t, map[string]int{routeGetKey: 1})
}

func TestKeySnapshotsUnlistableOwnerFallsBackToGET(t *testing.T) {
	f := newSnapshotFixture(t, 1)
	other := Owner{Kind: OwnerProject, ID: mockapi.OtherProjectID} // not the caller's: listing is refused
	for range 2 {
		if _, err := f.keys.Get(t.Context(), other, f.ids[0]); err != nil {
			t.Fatalf("Get with a project that cannot be listed: %v; want the key read by GET", err)
		}
	}
	f.requestsAre(t, map[string]int{routeListProjectKeys: 1, routeGetKey: 2})
	if _, err := f.keys.List(t.Context(), other); !IsStatus(err, http.StatusNotFound) && !IsStatus(err, http.StatusForbidden) {
		t.Fatalf("List of a project that cannot be listed: %v; want the API's refusal", err)
	}
}

func TestKeySnapshotsListingBegunBeforeAWriteIsNotKept(t *testing.T) {
	id := uuid.NewString()
	listing, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/metal/v1/projects/"+projectID+"/ssh-keys":
			first := false
			once.Do(func() { first = true })
			keys := []any{}
			if first { // the listing that races the delete still holds the key
				close(listing)
				<-release
				keys = append(keys, keyJSON(id))
			}
			writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": keys})
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, http.StatusNotFound, apiErrors("Not found"))
		}
	})
	keys := NewKeySnapshots(newTestClient(t, api, nil), time.Minute)
	owner := Owner{Kind: OwnerProject, ID: projectID}

	before := make(chan error, 1)
	go func() {
		_, err := keys.Get(context.Background(), owner, id)
		before <- err
	}()
	<-listing
	if err := keys.Delete(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-before; err != nil {
		t.Fatalf("the Get that began before the delete: %v", err)
	}
	if _, err := keys.Get(t.Context(), owner, id); !IsNotFound(err) {
		t.Fatalf("Get after the delete: %v; want not found (the older listing must not answer)", err)
	}
}

func TestKeySnapshotsFailedListingIsNotKept(t *testing.T) {
	f := newSnapshotFixture(t, 2)
	f.mock.SetFaults(mockapi.Faults{ErrorRateByRoute: map[string]float64{routeListProjectKeys: 1}})
	if _, err := f.keys.Get(t.Context(), mockProject, f.ids[0]); err == nil {
		t.Fatal("Get succeeded while every listing fails")
	}
	f.mock.SetFaults(mockapi.Faults{})
	f.mock.ResetRequests()
	for _, id := range f.ids {
		f.get(t, id)
	}
	f.requestsAre(t, map[string]int{routeListProjectKeys: 1})
}

func TestKeySnapshotsCallerGivesUpAlone(t *testing.T) {
	f := newSnapshotFixture(t, 2)
	f.mock.SetFaults(mockapi.Faults{LatencyMin: 200 * time.Millisecond, LatencyMax: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := f.keys.Get(ctx, mockProject, f.ids[0])
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // the cancelled caller leads the listing
	other := make(chan error, 1)
	go func() {
		_, err := f.keys.Get(t.Context(), mockProject, f.ids[1])
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
