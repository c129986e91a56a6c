package mockapi

import (
	"cmp"
	"slices"
	"time"
)

// The records below are the store's own; everything handed out of the
// package is a copy (see clone methods), so callers can never race with it.

type userRecord struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	FullName  string    `json:"full_name"`
	Token     string    `json:"token"`
	ReadOnly  bool      `json:"read_only,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type projectRecord struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Members         []string  `json:"members"`
	OrganizationID  string    `json:"organization_id,omitempty"`
	PaymentMethodID string    `json:"payment_method_id,omitempty"`
	BackendTransfer bool      `json:"backend_transfer,omitempty"`
	Tags            []string  `json:"tags,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"` // zero in state files from before updates existed
}

// SSHKey is a stored key as tests see it. Exactly one of ProjectID and UserID
// is set: it is the key's owner.
type SSHKey struct {
	ID          string    `json:"id"`
	Label       string    `json:"label"`
	Key         string    `json:"key"`
	Fingerprint string    `json:"fingerprint"`
	Tags        []string  `json:"tags,omitempty"`
	ProjectID   string    `json:"project_id,omitempty"`
	UserID      string    `json:"user_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func (k SSHKey) clone() SSHKey {
	k.Tags = slices.Clone(k.Tags)
	return k
}

// sameOwner reports whether two keys live under the same project or user.
func (k SSHKey) sameOwner(o SSHKey) bool {
	return k.ProjectID == o.ProjectID && k.UserID == o.UserID
}

// Device is a stored device as tests see it. SSHKeyIDs is the snapshot taken
// at creation, including keys deleted since. RootPassword is always set here,
// even after the API stops showing it.
type Device struct {
	ID           string    `json:"id"`
	Hostname     string    `json:"hostname"`
	ProjectID    string    `json:"project_id"`
	State        string    `json:"state"`
	RootPassword string    `json:"root_password"`
	SSHKeyIDs    []string  `json:"ssh_key_ids"`
	CreatedAt    time.Time `json:"created_at"`
}

type deviceRecord struct {
	ID           string   `json:"id"`
	Hostname     string   `json:"hostname"`
	ProjectID    string   `json:"project_id"`
	RootPassword string   `json:"root_password"`
	Plan         string   `json:"plan"`
	Metro        string   `json:"metro"`
	Facility     string   `json:"facility,omitempty"`
	OS           string   `json:"operating_system"`
	Tags         []string `json:"tags,omitempty"`
	deviceSettings
	SSHKeyIDs []string   `json:"ssh_key_ids"`
	IPs       []ipRecord `json:"ip_addresses,omitempty"` // seeded from a state; none: the mock's defaults
	// AuthorizedKeys is the authorized_keys text written at provisioning time.
	AuthorizedKeys string    `json:"authorized_keys"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// store is the mock's data. It is not safe on its own: Server.mu guards it.
type store struct {
	Users    []userRecord    `json:"users"`
	Projects []projectRecord `json:"projects"`
	Keys     []SSHKey        `json:"ssh_keys"`
	Devices  []*deviceRecord `json:"devices"`
	keyIndex map[string]int  // id → position in Keys
	devIndex map[string]int  // id → position in Devices
}

func newStore() *store {
	return &store{keyIndex: map[string]int{}, devIndex: map[string]int{}}
}

// reindex rebuilds the id indexes after a load or a removal.
func (st *store) reindex() {
	st.keyIndex = make(map[string]int, len(st.Keys))
	for i, k := range st.Keys {
		st.keyIndex[k.ID] = i
	}
	st.devIndex = make(map[string]int, len(st.Devices))
	for i, d := range st.Devices {
		st.devIndex[d.ID] = i
	}
}

func (st *store) userByToken(token string) (userRecord, bool) {
	for _, u := range st.Users {
		if u.Token == token {
			return u, true
		}
	}
	return userRecord{}, false
}

func (st *store) hasUser(id string) bool {
	for _, u := range st.Users {
		if u.ID == id {
			return true
		}
	}
	return false
}

func (st *store) project(id string) (projectRecord, bool) {
	if i := st.projectIndex(id); i >= 0 {
		return st.Projects[i], true
	}
	return projectRecord{}, false
}

func (st *store) projectIndex(id string) int {
	return slices.IndexFunc(st.Projects, func(p projectRecord) bool { return p.ID == id })
}

// deleteProject removes a project and the keys it owns.
func (st *store) deleteProject(id string) {
	st.Projects = slices.DeleteFunc(st.Projects, func(p projectRecord) bool { return p.ID == id })
	st.Keys = slices.DeleteFunc(st.Keys, func(k SSHKey) bool { return k.ProjectID == id })
	st.reindex()
}

func (st *store) isMember(userID, projectID string) bool {
	p, ok := st.project(projectID)
	return ok && slices.Contains(p.Members, userID)
}

// canSeeKey: a user sees their personal keys and their projects' keys.
func (st *store) canSeeKey(userID string, k SSHKey) bool {
	if k.UserID != "" {
		return k.UserID == userID
	}
	return st.isMember(userID, k.ProjectID)
}

func (st *store) key(id string) (SSHKey, bool) {
	i, ok := st.keyIndex[id]
	if !ok {
		return SSHKey{}, false
	}
	return st.Keys[i], true
}

func (st *store) keysWhere(keep func(SSHKey) bool) []SSHKey {
	var out []SSHKey
	for _, k := range st.Keys {
		if keep(k) {
			out = append(out, k.clone())
		}
	}
	return out
}

// hasDuplicate reports another key under the same owner with the same fingerprint.
func (st *store) hasDuplicate(k SSHKey) bool {
	for _, o := range st.Keys {
		if o.ID != k.ID && o.Fingerprint == k.Fingerprint && o.sameOwner(k) {
			return true
		}
	}
	return false
}

// putKey inserts or replaces a key, keeping insertion order for lists.
func (st *store) putKey(k SSHKey) {
	if i, ok := st.keyIndex[k.ID]; ok {
		st.Keys[i] = k
		return
	}
	st.keyIndex[k.ID] = len(st.Keys)
	st.Keys = append(st.Keys, k)
}

func (st *store) deleteKey(id string) bool {
	i, ok := st.keyIndex[id]
	if !ok {
		return false
	}
	st.Keys = slices.Delete(st.Keys, i, i+1)
	st.reindex()
	return true
}

func (st *store) device(id string) (*deviceRecord, bool) {
	i, ok := st.devIndex[id]
	if !ok {
		return nil, false
	}
	return st.Devices[i], true
}

func (st *store) addDevice(d *deviceRecord) {
	st.devIndex[d.ID] = len(st.Devices)
	st.Devices = append(st.Devices, d)
}

func (st *store) deleteDevice(id string) bool {
	i, ok := st.devIndex[id]
	if !ok {
		return false
	}
	st.Devices = slices.Delete(st.Devices, i, i+1)
	st.reindex()
	return true
}

// existingKeys returns the snapshot keys of a device that still exist.
func (st *store) existingKeys(d *deviceRecord) []SSHKey {
	var out []SSHKey
	for _, id := range d.SSHKeyIDs {
		if k, ok := st.key(id); ok {
			out = append(out, k.clone())
		}
	}
	return out
}

// devicesOf lists a project's devices oldest first.
func (st *store) devicesOf(projectID string) []*deviceRecord {
	var out []*deviceRecord
	for _, d := range st.Devices {
		if d.ProjectID == projectID {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b *deviceRecord) int { return cmp.Compare(a.CreatedAt.UnixNano(), b.CreatedAt.UnixNano()) })
	return out
}
