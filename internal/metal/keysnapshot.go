package metal

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultKeySnapshotTTL is how long a snapshot of an owner's keys answers
// reads before it is listed again: long enough for one plan of thousands of
// keys, short enough that a long run never serves minutes-old keys.
const DefaultKeySnapshotTTL = 30 * time.Second

// KeySnapshots answers key reads from per-owner snapshots of the list
// endpoint, so refreshing N keys of one project costs ⌈N/1000⌉ list requests
// instead of N GETs. Use one per provider process (per Client), and make
// every key write through it, so that no read after a write sees the key as
// it was before:
//
//   - Get lists the owner's keys on first use (all pages; concurrent Gets of
//     one owner share one listing) and whenever the snapshot is older than
//     the TTL. A key missing from the snapshot is confirmed with one GET, so
//     a gone key still gives the error IsNotFound is true for.
//   - Create, Update and Delete call the API and then put the answer into
//     the snapshot (or take the key out), with no request of their own.
//   - List returns a copy of the owner's snapshot, for list data sources.
//
// It is safe for concurrent use.
type KeySnapshots struct {
	client *Client
	ttl    time.Duration
	now    func() time.Time

	flight singleflight.Group

	mu     sync.Mutex
	owners map[string]*keySnapshot // by ownerKey
	writes uint64                  // bumped by every write: listings begun before a write are not kept
}

// keySnapshot is one owner's keys as of taken, in the API's order.
type keySnapshot struct {
	taken    time.Time
	keys     listing[SSHKey]
	unlisted bool // the owner cannot be listed (403/404): every Get is a GET until the TTL is over
}

// NewKeySnapshots reads keys through c. A ttl of 0 or less takes DefaultKeySnapshotTTL.
func NewKeySnapshots(c *Client, ttl time.Duration) *KeySnapshots {
	if ttl <= 0 {
		ttl = DefaultKeySnapshotTTL
	}
	return &KeySnapshots{client: c, ttl: ttl, now: time.Now, owners: map[string]*keySnapshot{}}
}

// ownerKey names an owner's snapshot: user keys are always the caller's own,
// whatever user id was given. ok is false for an owner that cannot be listed
// (a project key whose project is not known, as right after an import).
func ownerKey(owner Owner) (key string, ok bool) {
	switch owner.Kind {
	case OwnerUser:
		return "user", true
	case OwnerProject:
		if validateID("project", owner.ID) != nil {
			return "", false
		}
		return "project/" + owner.ID, true
	}
	return "", false
}

// Get returns key id of owner, as GetSSHKey does, from the owner's snapshot.
func (s *KeySnapshots) Get(ctx context.Context, owner Owner, id string) (*SSHKey, error) {
	name, ok := ownerKey(owner)
	if !ok {
		return s.client.GetSSHKey(ctx, id)
	}
	snap, err := s.snapshot(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	k, found := snap.get(id)
	writes := s.writes
	s.mu.Unlock()
	if found {
		return k, nil
	}
	// Not in the snapshot: made or deleted since it was taken, or not this owner's.
	got, err := s.client.GetSSHKey(ctx, id)
	if err == nil && sameOwner(got.Owner, owner) {
		s.mu.Lock()
		if s.writes == writes && s.owners[name] == snap && !snap.unlisted {
			snap.keys.put(*cloneKey(*got))
		}
		s.mu.Unlock()
	}
	return got, err
}

// List returns all of owner's keys, from the snapshot.
func (s *KeySnapshots) List(ctx context.Context, owner Owner) ([]SSHKey, error) {
	name, ok := ownerKey(owner)
	if !ok {
		return s.client.ListSSHKeys(ctx, owner, ListOptions{})
	}
	snap, err := s.snapshot(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	out, listed := snap.all()
	s.mu.Unlock()
	if !listed {
		return s.client.ListSSHKeys(ctx, owner, ListOptions{}) // for the API's own error
	}
	return out, nil
}

// Create is CreateSSHKey; the new key joins the owner's snapshot.
func (s *KeySnapshots) Create(ctx context.Context, owner Owner, in SSHKeyCreate) (*SSHKey, error) {
	created, err := s.client.CreateSSHKey(ctx, owner, in)
	s.afterWrite(func() {
		if err != nil {
			return // the snapshot lacks a key the create may have made: a Get of it is confirmed with a GET
		}
		if snap := s.fresh(owner); snap != nil {
			snap.keys.put(*cloneKey(*created))
		}
	})
	return created, err
}

// Update is UpdateSSHKey; the snapshot holds the updated key. After a failed
// update the key is taken out of every snapshot, as it may have changed.
func (s *KeySnapshots) Update(ctx context.Context, id string, in SSHKeyUpdate) (*SSHKey, error) {
	updated, err := s.client.UpdateSSHKey(ctx, id, in)
	s.afterWrite(func() {
		if err != nil {
			s.forget(id)
			return
		}
		for _, snap := range s.owners {
			if snap.keys.has(id) {
				snap.keys.put(*cloneKey(*updated))
			}
		}
	})
	return updated, err
}

// Delete is DeleteSSHKey; the key leaves every snapshot, whatever the outcome.
func (s *KeySnapshots) Delete(ctx context.Context, id string) error {
	err := s.client.DeleteSSHKey(ctx, id)
	s.afterWrite(func() { s.forget(id) })
	return err
}

// afterWrite applies a write's outcome to the snapshots and marks listings
// in flight as older than the write.
func (s *KeySnapshots) afterWrite(apply func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	apply()
}

// fresh returns owner's snapshot if it is listed and within the TTL. s.mu is held.
func (s *KeySnapshots) fresh(owner Owner) *keySnapshot {
	name, ok := ownerKey(owner)
	if !ok {
		return nil
	}
	snap := s.owners[name]
	if snap == nil || snap.unlisted || s.now().Sub(snap.taken) >= s.ttl {
		return nil
	}
	return snap
}

// forget takes key id out of every snapshot. s.mu is held.
func (s *KeySnapshots) forget(id string) {
	for _, snap := range s.owners {
		snap.keys.remove(id)
	}
}

// snapshot returns the owner's snapshot within the TTL, listing the owner's
// keys if there is none. Concurrent callers share one listing; a caller whose
// ctx ends stops waiting without failing the others.
func (s *KeySnapshots) snapshot(ctx context.Context, owner Owner, name string) (*keySnapshot, error) {
	s.mu.Lock()
	snap := s.owners[name]
	if snap != nil && s.now().Sub(snap.taken) < s.ttl {
		s.mu.Unlock()
		return snap, nil
	}
	writes := s.writes
	s.mu.Unlock()

	// The write count is part of the flight's name: a Get after a write never
	// joins a listing that began before it.
	flightName := name + "@" + strconv.FormatUint(writes, 10)
	return shared(ctx, &s.flight, flightName, func(ctx context.Context) (*keySnapshot, error) {
		return s.fetch(ctx, owner, name, writes)
	})
}

// fetch lists the owner's keys and keeps the snapshot unless a write
// happened meanwhile (then it serves only the callers that asked before).
func (s *KeySnapshots) fetch(ctx context.Context, owner Owner, name string, writes uint64) (*keySnapshot, error) {
	taken := s.now() // the keys are at least this old
	keys, err := s.client.ListSSHKeys(ctx, owner, ListOptions{})
	snap := &keySnapshot{taken: taken}
	switch {
	case IsStatus(err, http.StatusForbidden) || IsNotFound(err):
		// Listing is refused but single keys may still be readable: read
		// them one by one, as without a snapshot, and say so once per TTL.
		snap.unlisted = true
	case err != nil:
		return nil, err
	default:
		snap.keys = newListing(keys)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writes == writes {
		s.owners[name] = snap
	}
	return snap, nil
}

// get returns a copy of key id; false if the snapshot lacks it (or is unlisted).
func (snap *keySnapshot) get(id string) (*SSHKey, bool) {
	if snap.unlisted {
		return nil, false
	}
	k, ok := snap.keys.get(id)
	if !ok {
		return nil, false
	}
	return &k, true
}

// all returns a copy of the keys; false if the owner could not be listed.
func (snap *keySnapshot) all() ([]SSHKey, bool) {
	if snap.unlisted {
		return nil, false
	}
	return snap.keys.all(), true
}

func (k SSHKey) listID() string { return k.ID }
func (k SSHKey) cloned() SSHKey { return *cloneKey(k) }

// sameOwner reports whether a key's owner (as the API sent it) is owner.
func sameOwner(got, owner Owner) bool {
	a, okA := ownerKey(got)
	b, okB := ownerKey(owner)
	return okA && okB && a == b
}

// cloneKey copies k so a caller cannot change the snapshot through its tags.
func cloneKey(k SSHKey) *SSHKey {
	k.Tags = slices.Clone(k.Tags)
	return &k
}
