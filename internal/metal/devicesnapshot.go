package metal

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultDeviceSnapshotTTL is how long a snapshot of a project's devices
// answers reads before it is listed again: long enough for one plan of
// thousands of attachments, short enough that a long run never serves a
// device's state or addresses minutes old.
const DefaultDeviceSnapshotTTL = 30 * time.Second

// DeviceSnapshots answers device reads from per-project snapshots of the
// device list, so refreshing N attachments on the devices of one project
// costs ⌈devices/1000⌉ list requests instead of N GETs. Use one per provider
// process (per Client):
//
//   - Get answers from the snapshot of the device's project, listing the
//     project on first use (all pages; concurrent Gets share one listing)
//     and whenever the snapshot is older than the TTL. A device missing from
//     the snapshot is confirmed with one GET, so a gone device still gives
//     the error IsNotFound is true for.
//   - A device id alone does not say which project to list. The first Get of
//     a device no listing has shown GETs it, which answers that Get and
//     names the project, and then lists the project once for its other
//     devices; Gets of other unknown devices that come meanwhile wait for
//     that one discovery before they GET anything themselves. So a fleet in
//     one project costs one GET and its listing, whatever the parallelism.
//     A project hint in the call would save the GET, but the callers that
//     matter know only the device id (an attachment's state, packet_device
//     by id), and a wrong hint would need the GET anyway.
//   - Get never returns the root password (RootPassword is always empty):
//     the API shows it for 24 hours after provisioning and again after a
//     reinstall, so a listed one may be gone or replaced by the time it is
//     used. GetFresh is for what decides how to log in: it GETs a device
//     the first time it is asked for it (concurrent callers share that
//     GET) and answers later calls with what that GET said, so one
//     operation reads each device's password from the API exactly once,
//     whatever the number of its attachments. The GET also refreshes the
//     snapshot (without the password).
//   - List returns a copy of a project's snapshot, with tags, for the
//     device data sources.
//
// The provider never writes devices, so nothing but the TTL and GetFresh
// renews a snapshot. It is safe for concurrent use.
type DeviceSnapshots struct {
	client  *Client
	ttl     time.Duration
	now     func() time.Time
	perPage int // 0: PageSize

	flight      singleflight.Group // listings, by project id
	freshFlight singleflight.Group // GetFresh reads, by device id

	mu        sync.Mutex
	projects  map[string]*deviceSnapshot // by project id
	projectOf map[string]string          // device id → its project, as last listed or read
	finding   chan struct{}              // closed when the discovery in flight ends; nil when none is
	readFresh map[string]Device          // device id → what GetFresh read, password included
}

// deviceSnapshot is one project's devices as of taken, in the API's order,
// without root passwords.
type deviceSnapshot struct {
	taken    time.Time
	devices  listing[ProjectDevice]
	unlisted error // the project cannot be listed (403/404): every Get is a GET until the TTL is over
}

// NewDeviceSnapshots reads devices through c. A ttl of 0 or less takes DefaultDeviceSnapshotTTL.
func NewDeviceSnapshots(c *Client, ttl time.Duration) *DeviceSnapshots {
	if ttl <= 0 {
		ttl = DefaultDeviceSnapshotTTL
	}
	return &DeviceSnapshots{
		client: c, ttl: ttl, now: time.Now,
		projects: map[string]*deviceSnapshot{}, projectOf: map[string]string{}, readFresh: map[string]Device{},
	}
}

// Get returns device id, as GetDevice does but without its root password,
// from the snapshot of its project.
func (s *DeviceSnapshots) Get(ctx context.Context, id string) (*Device, error) {
	if err := validateID("device", id); err != nil {
		return nil, err
	}
	project, known := s.project(id)
	if !known {
		if err := s.awaitDiscovery(ctx); err != nil {
			return nil, err
		}
		if project, known = s.project(id); !known {
			return s.discover(ctx, id)
		}
	}
	snap, err := s.snapshot(ctx, project)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	d, found := snap.get(id)
	s.mu.Unlock()
	if found {
		return d, nil
	}
	// Not in the snapshot: deleted, made since it was taken, or moved.
	d, err = s.read(ctx, id)
	if err != nil {
		return nil, err
	}
	d.RootPassword = ""
	return d, nil
}

// GetFresh is GetDevice, root password included, read from the API once
// per device for the life of s (one operation), never from a listing. A
// failed read is not kept: the next call reads again.
func (s *DeviceSnapshots) GetFresh(ctx context.Context, id string) (*Device, error) {
	if d, ok := s.freshlyRead(id); ok {
		return d, nil
	}
	d, err := shared(ctx, &s.freshFlight, id, func(ctx context.Context) (*Device, error) {
		// A read that ended between freshlyRead and now left its answer.
		if d, ok := s.freshlyRead(id); ok {
			return d, nil
		}
		d, err := s.read(ctx, id)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.readFresh[id] = cloneDevice(*d)
		s.mu.Unlock()
		return d, nil
	})
	if err != nil {
		return nil, err
	}
	c := cloneDevice(*d) // callers of one read share its answer
	return &c, nil
}

// freshlyRead returns a copy of what GetFresh read of device id, if it did.
func (s *DeviceSnapshots) freshlyRead(id string) (*Device, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.readFresh[id]
	if !ok {
		return nil, false
	}
	d = cloneDevice(d)
	return &d, true
}

// List returns all devices of a project with their tags, from the snapshot.
func (s *DeviceSnapshots) List(ctx context.Context, projectID string) ([]ProjectDevice, error) {
	if err := validateID("project", projectID); err != nil {
		return nil, err
	}
	snap, err := s.snapshot(ctx, projectID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if snap.unlisted != nil {
		return nil, snap.unlisted
	}
	return snap.devices.all(), nil
}

// project returns the project a listing or a read last put device id in.
func (s *DeviceSnapshots) project(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projectOf[id]
	return p, ok
}

// awaitDiscovery waits for the discovery in flight, if any: it may list the
// project of the device the caller wants.
func (s *DeviceSnapshots) awaitDiscovery(ctx context.Context) error {
	s.mu.Lock()
	wait := s.finding
	s.mu.Unlock()
	if wait == nil {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wait:
		return nil
	}
}

// discover reads a device no listing has shown and then lists its project.
// Only one discovery at a time is waited for; a Get that waited once and
// still finds its device unknown discovers alongside, so devices of many
// projects are never read one project after the other.
func (s *DeviceSnapshots) discover(ctx context.Context, id string) (*Device, error) {
	s.mu.Lock()
	var done chan struct{}
	if s.finding == nil {
		done = make(chan struct{})
		s.finding = done
	}
	s.mu.Unlock()
	if done != nil {
		defer func() {
			s.mu.Lock()
			s.finding = nil
			s.mu.Unlock()
			close(done)
		}()
	}
	d, err := s.read(ctx, id)
	if err != nil {
		return nil, err
	}
	d.RootPassword = ""
	if d.ProjectID != "" {
		// For the project's other devices. This Get has its answer, so a
		// failed listing is not its failure: the next Get lists again.
		_, _ = s.snapshot(ctx, d.ProjectID)
	}
	return d, nil
}

// read GETs device id and keeps what it says in the snapshot of its project.
func (s *DeviceSnapshots) read(ctx context.Context, id string) (*Device, error) {
	d, err := s.client.getProjectDevice(ctx, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if IsNotFound(err) {
		delete(s.projectOf, id)
	}
	if err != nil {
		return nil, err
	}
	if d.ProjectID != "" {
		s.projectOf[id] = d.ProjectID
		if snap := s.fresh(d.ProjectID); snap != nil {
			snap.put(cloneProjectDevice(*d))
		}
	}
	return &d.Device, nil
}

// fresh returns the project's snapshot if it is listed and within the TTL. s.mu is held.
func (s *DeviceSnapshots) fresh(projectID string) *deviceSnapshot {
	snap := s.projects[projectID]
	if snap == nil || snap.unlisted != nil || s.now().Sub(snap.taken) >= s.ttl {
		return nil
	}
	return snap
}

// snapshot returns the project's snapshot within the TTL, listing the
// project's devices if there is none. Concurrent callers share one listing;
// a caller whose ctx ends stops waiting without failing the others.
func (s *DeviceSnapshots) snapshot(ctx context.Context, projectID string) (*deviceSnapshot, error) {
	s.mu.Lock()
	snap := s.projects[projectID]
	if snap != nil && s.now().Sub(snap.taken) < s.ttl {
		s.mu.Unlock()
		return snap, nil
	}
	s.mu.Unlock()

	return shared(ctx, &s.flight, projectID, func(ctx context.Context) (*deviceSnapshot, error) {
		return s.fetch(ctx, projectID)
	})
}

// fetch lists the project's devices and keeps the snapshot.
func (s *DeviceSnapshots) fetch(ctx context.Context, projectID string) (*deviceSnapshot, error) {
	taken := s.now() // the devices are at least this old
	devices, err := s.client.ListProjectDevicesWithTags(ctx, projectID, DeviceFilter{PerPage: s.perPage})
	snap := &deviceSnapshot{taken: taken}
	switch {
	case IsStatus(err, http.StatusForbidden) || IsNotFound(err):
		// Listing is refused but single devices may still be readable:
		// read them one by one, as without a snapshot, until the TTL is over.
		snap.unlisted = err
	case err != nil:
		return nil, err
	default:
		for i := range devices {
			devices[i].RootPassword = ""
		}
		snap.devices = newListing(devices)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.projects[projectID] = snap
	for _, d := range snap.devices.items {
		s.projectOf[d.ID] = projectID
	}
	return snap, nil
}

// get returns a copy of device id; false if the snapshot lacks it (or is unlisted).
func (snap *deviceSnapshot) get(id string) (*Device, bool) {
	if snap.unlisted != nil {
		return nil, false
	}
	d, ok := snap.devices.get(id)
	if !ok {
		return nil, false
	}
	return &d.Device, true
}

// put adds d without its root password, or replaces the device with its id.
func (snap *deviceSnapshot) put(d ProjectDevice) {
	d.RootPassword = ""
	snap.devices.put(d)
}

func (d ProjectDevice) listID() string        { return d.ID }
func (d ProjectDevice) cloned() ProjectDevice { return cloneProjectDevice(d) }

func cloneProjectDevice(d ProjectDevice) ProjectDevice {
	d.Device = cloneDevice(d.Device)
	d.Tags = slices.Clone(d.Tags)
	return d
}

func cloneDevice(d Device) Device {
	d.IPAddresses = slices.Clone(d.IPAddresses)
	d.SSHKeyIDs = slices.Clone(d.SSHKeyIDs)
	return d
}
