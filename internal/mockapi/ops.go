package mockapi

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// apiError is an error with the HTTP status the API answers for it.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

func notFound() *apiError { return errorf(http.StatusNotFound, "Not found") }

func validUUID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

func (s *Server) now() time.Time { return s.clock().UTC() }

func (s *Server) applySeed(seed *Seed) error {
	now := s.now()
	s.mu.Lock()
	for _, u := range seed.Users {
		if !validUUID(u.ID) || u.Token == "" {
			s.mu.Unlock()
			return fmt.Errorf("seed: user %q needs a UUID id and a token", u.ID)
		}
		s.data.Users = append(s.data.Users, userRecord{ID: u.ID, Email: u.Email, FullName: u.FullName, Token: u.Token, ReadOnly: u.ReadOnly, CreatedAt: now})
	}
	for _, p := range seed.Projects {
		if !validUUID(p.ID) {
			s.mu.Unlock()
			return fmt.Errorf("seed: project %q needs a UUID id", p.ID)
		}
		for _, m := range p.Members {
			if !s.data.hasUser(m) {
				s.mu.Unlock()
				return fmt.Errorf("seed: project %s: unknown member %s", p.ID, m)
			}
		}
		s.data.Projects = append(s.data.Projects, projectRecord{ID: p.ID, Name: p.Name, Members: slices.Clone(p.Members), CreatedAt: now})
	}
	s.mu.Unlock()
	for _, k := range seed.SSHKeys {
		if _, err := s.createKey(SSHKey{ID: k.ID, Label: k.Label, Key: k.Key, ProjectID: k.ProjectID, UserID: k.UserID, Tags: k.Tags}); err != nil {
			return fmt.Errorf("seed: ssh key %q: %w", k.Label, err)
		}
	}
	for _, d := range seed.Devices {
		if _, err := s.CreateDevice(d); err != nil {
			return fmt.Errorf("seed: device %q: %w", d.Hostname, err)
		}
	}
	return nil
}

// createKey validates and stores a new key, as POST does.
func (s *Server) createKey(k SSHKey) (SSHKey, error) {
	if strings.TrimSpace(k.Label) == "" {
		return SSHKey{}, errorf(http.StatusUnprocessableEntity, "label is required")
	}
	fp, err := checkPublicKey(k.Key)
	if err != nil {
		return SSHKey{}, errorf(http.StatusUnprocessableEntity, "%s", err)
	}
	k.Fingerprint = fp
	if k.ID == "" {
		k.ID = uuid.NewString()
	} else if !validUUID(k.ID) {
		return SSHKey{}, errorf(http.StatusUnprocessableEntity, "id must be a UUID")
	}
	k.Tags = nonNil(k.Tags)
	k.CreatedAt = s.now()
	k.UpdatedAt = k.CreatedAt

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOwner(k); err != nil {
		return SSHKey{}, err
	}
	if _, exists := s.data.key(k.ID); exists {
		return SSHKey{}, errorf(http.StatusUnprocessableEntity, "ssh key %s already exists", k.ID)
	}
	if s.data.hasDuplicate(k) {
		return SSHKey{}, errorf(http.StatusUnprocessableEntity, "key with fingerprint %s already exists", k.Fingerprint)
	}
	s.data.putKey(k)
	return k.clone(), s.persistLocked()
}

func (s *Server) checkOwner(k SSHKey) error {
	switch {
	case (k.ProjectID == "") == (k.UserID == ""):
		return errorf(http.StatusUnprocessableEntity, "a key belongs to exactly one project or user")
	case k.ProjectID != "":
		if _, ok := s.data.project(k.ProjectID); !ok {
			return notFound()
		}
	default:
		if !s.data.hasUser(k.UserID) {
			return notFound()
		}
	}
	return nil
}

// keyUpdate holds the fields a PATCH/PUT may change; nil means "keep".
type keyUpdate struct {
	Label *string   `json:"label"`
	Key   *string   `json:"key"`
	Tags  *[]string `json:"tags"`
}

// updateKey applies an update for a caller who may see the key.
func (s *Server) updateKey(callerID, id string, up keyUpdate) (SSHKey, error) {
	var fp string
	if up.Key != nil {
		var err error
		if fp, err = checkPublicKey(*up.Key); err != nil {
			return SSHKey{}, errorf(http.StatusUnprocessableEntity, "%s", err)
		}
	}
	if up.Label != nil && strings.TrimSpace(*up.Label) == "" {
		return SSHKey{}, errorf(http.StatusUnprocessableEntity, "label must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.data.key(id)
	if !ok || !s.data.canSeeKey(callerID, k) {
		return SSHKey{}, notFound()
	}
	k = k.clone()
	if up.Label != nil {
		k.Label = *up.Label
	}
	if up.Tags != nil {
		k.Tags = nonNil(slices.Clone(*up.Tags))
	}
	if up.Key != nil {
		k.Key, k.Fingerprint = *up.Key, fp
		if s.data.hasDuplicate(k) {
			return SSHKey{}, errorf(http.StatusUnprocessableEntity, "key with fingerprint %s already exists", fp)
		}
	}
	k.UpdatedAt = s.now()
	s.data.putKey(k)
	return k.clone(), s.persistLocked()
}

// SSHKeys returns copies of all stored keys, oldest first.
func (s *Server) SSHKeys() []SSHKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data.keysWhere(func(SSHKey) bool { return true })
}

// SSHKey returns a copy of one stored key.
func (s *Server) SSHKey(id string) (SSHKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.data.key(id)
	return k.clone(), ok
}

// PutSSHKey inserts or replaces a key behind the API's back (drift tests).
// An empty ID gets a UUID, an empty Fingerprint is computed, zero times are
// set to now. The key must parse and the owner must exist; duplicate
// fingerprints are allowed here on purpose.
func (s *Server) PutSSHKey(k SSHKey) (SSHKey, error) {
	fp, err := checkPublicKey(k.Key)
	if err != nil {
		return SSHKey{}, err
	}
	k = k.clone()
	if k.Fingerprint == "" {
		k.Fingerprint = fp
	}
	if k.ID == "" {
		k.ID = uuid.NewString()
	}
	now := s.now()
	if k.CreatedAt.IsZero() {
		k.CreatedAt = now
	}
	if k.UpdatedAt.IsZero() {
		k.UpdatedAt = now
	}
	k.Tags = nonNil(k.Tags)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOwner(k); err != nil {
		return SSHKey{}, err
	}
	s.data.putKey(k)
	return k.clone(), s.persistLocked()
}

// DeleteSSHKey removes a key behind the API's back; false if it was not there.
func (s *Server) DeleteSSHKey(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.data.deleteKey(id) {
		return false
	}
	s.logPersistError(s.persistLocked())
	return true
}

// deviceInput is what device creation takes, from the API or from Go.
type deviceInput struct {
	SeedDevice
	Plan, Metro, Facility, OS string
	Tags                      []string
	deviceSettings
}

// CreateDevice creates a device the way POST /projects/{id}/devices does
// (same checks, same key snapshot, same provisioning).
func (s *Server) CreateDevice(d SeedDevice) (Device, error) {
	rec, err := s.createDevice("", deviceInput{SeedDevice: d})
	if err != nil {
		return Device{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deviceCopy(rec), nil
}

// createDevice snapshots the keys, starts the machine outside the lock (it may
// be slow) and then stores the device. callerID is "" for Go callers.
func (s *Server) createDevice(callerID string, in deviceInput) (*deviceRecord, error) {
	now := s.now()
	rec := &deviceRecord{
		ID: in.ID, Hostname: in.Hostname, ProjectID: in.ProjectID,
		Plan: orDefault(in.Plan, "c3.small.x86"), Metro: orDefault(in.Metro, "sv"), Facility: in.Facility,
		OS: orDefault(in.OS, "ubuntu_22_04"), Tags: nonNil(slices.Clone(in.Tags)),
		CreatedAt: in.CreatedAt.UTC(), UpdatedAt: now, RootPassword: newPassword(),
		deviceSettings: in.deviceSettings,
	}
	rec.BillingCycle = orDefault(rec.BillingCycle, "hourly")
	if rec.ID == "" {
		rec.ID = uuid.NewString()
	} else if !validUUID(rec.ID) {
		return nil, errorf(http.StatusUnprocessableEntity, "id must be a UUID")
	}
	if in.CreatedAt.IsZero() {
		rec.CreatedAt = now
	}
	if rec.Hostname == "" {
		rec.Hostname = "mock-" + rec.ID[:8]
	}

	s.mu.Lock()
	keys, err := s.snapshotKeys(callerID, in.SeedDevice)
	if err == nil {
		if _, exists := s.data.device(rec.ID); exists {
			err = errorf(http.StatusUnprocessableEntity, "device %s already exists", rec.ID)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, k := range keys {
		rec.SSHKeyIDs = append(rec.SSHKeyIDs, k.ID)
		lines = append(lines, strings.TrimSpace(k.Key)+"\n") // as cloud-init writes it
	}
	rec.SSHKeyIDs = nonNil(rec.SSHKeyIDs)
	rec.AuthorizedKeys = strings.Join(lines, "")

	machine, err := s.provision(rec)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, exists := s.data.device(rec.ID); exists { // lost a race for the same id
		if machine != nil {
			_ = machine.Close()
		}
		return nil, errorf(http.StatusUnprocessableEntity, "device %s already exists", rec.ID)
	}
	s.data.addDevice(rec)
	if machine != nil {
		s.machines[rec.ID] = machine
	}
	return rec, s.persistLocked()
}

func (s *Server) provision(rec *deviceRecord) (Machine, error) {
	if s.opts.Provisioner == nil {
		return nil, nil
	}
	m, err := s.opts.Provisioner(MachineSpec{
		DeviceID: rec.ID, Hostname: rec.Hostname, RootPassword: rec.RootPassword,
		AuthorizedKeys: []byte(rec.AuthorizedKeys), Clock: s.clock,
	})
	if err != nil {
		return nil, errorf(http.StatusInternalServerError, "provisioning device %s failed: %v", rec.ID, err)
	}
	return m, nil
}

// snapshotKeys picks the keys a new device gets, as cloud-init would install
// them. Caller holds s.mu.
func (s *Server) snapshotKeys(callerID string, d SeedDevice) ([]SSHKey, error) {
	p, ok := s.data.project(d.ProjectID)
	if !ok || (callerID != "" && !slices.Contains(p.Members, callerID)) {
		return nil, notFound()
	}
	if d.NoSSHKeys {
		if len(d.ProjectSSHKeys) > 0 || len(d.UserSSHKeys) > 0 {
			return nil, errorf(http.StatusUnprocessableEntity, "no_ssh_keys cannot be combined with project_ssh_keys or user_ssh_keys")
		}
		return nil, nil
	}
	if len(d.ProjectSSHKeys) == 0 && len(d.UserSSHKeys) == 0 {
		return s.data.keysWhere(func(k SSHKey) bool {
			return k.ProjectID == p.ID || (k.UserID != "" && slices.Contains(p.Members, k.UserID))
		}), nil
	}
	for _, id := range d.ProjectSSHKeys {
		k, ok := s.data.key(id)
		if !ok || k.ProjectID != p.ID {
			return nil, errorf(http.StatusUnprocessableEntity, "project_ssh_keys: %s is not an ssh key of project %s", id, p.ID)
		}
	}
	for _, id := range d.UserSSHKeys {
		if !slices.Contains(p.Members, id) {
			return nil, errorf(http.StatusUnprocessableEntity, "user_ssh_keys: %s is not a member of project %s", id, p.ID)
		}
	}
	return s.data.keysWhere(func(k SSHKey) bool {
		return slices.Contains(d.ProjectSSHKeys, k.ID) || (k.UserID != "" && slices.Contains(d.UserSSHKeys, k.UserID))
	}), nil
}

// Device returns a copy of a stored device.
func (s *Server) Device(id string) (Device, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.data.device(id)
	if !ok {
		return Device{}, false
	}
	return s.deviceCopy(d), true
}

// DeleteDevice removes a device and closes its machine; false if not there.
func (s *Server) DeleteDevice(id string) bool {
	s.mu.Lock()
	if !s.data.deleteDevice(id) {
		s.mu.Unlock()
		return false
	}
	m := s.machines[id]
	delete(s.machines, id)
	s.logPersistError(s.persistLocked())
	s.mu.Unlock()
	if m != nil {
		_ = m.Close()
	}
	return true
}

// deviceState is "provisioning" for Options.ProvisioningTime, then "active".
func (s *Server) deviceState(d *deviceRecord) string {
	if s.clock().Sub(d.CreatedAt) < s.opts.ProvisioningTime {
		return "provisioning"
	}
	return "active"
}

func (s *Server) deviceCopy(d *deviceRecord) Device {
	return Device{
		ID: d.ID, Hostname: d.Hostname, ProjectID: d.ProjectID, State: s.deviceState(d),
		RootPassword: d.RootPassword, SSHKeyIDs: slices.Clone(d.SSHKeyIDs), CreatedAt: d.CreatedAt,
	}
}

func newPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b) // never fails on supported platforms
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
