package mockapi

import (
	"fmt"
	"slices"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/tfstate"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// SeedSummary says what SeedFromState took from a state file.
type SeedSummary struct {
	Projects, SSHKeys, Devices, Attachments int      // how many were seeded (created or brought in line)
	Skipped                                 []string // resources of types the mock does not read, by address
	Notes                                   []string // what could not be taken as the state says, and why
}

// SeedFromState rebuilds the platform's view from a Terraform state file
// (format 4) written by this provider, the archived packethost/packet
// provider or equinix v4 and earlier (see package tfstate), so that the
// configuration that wrote it plans with no changes against the mock:
// projects, SSH keys (same ids, labels, key material, fingerprints,
// timestamps and owner) and devices (same ids, hostnames, project,
// settings and addresses as far as the state knows them), with the lines of
// packet_device_key_attachment resources on the devices' machines.
//
// What exists already is brought in line, so several states that share a
// project can be seeded one after the other, and seeding one twice changes
// nothing. The token's user (the mock's first user) is who wrote the state:
// while it still has the built-in DefaultUserID, it takes the id of the
// first unknown user whose personal keys a state holds, and joins every
// project a state names. A further unknown user is added without a token.
func (s *Server) SeedFromState(state []byte) (SeedSummary, error) {
	c, err := tfstate.Read(state)
	if err != nil {
		return SeedSummary{}, err
	}
	sum := SeedSummary{Skipped: c.Skipped, Notes: slices.Clone(c.Notes)}
	note := func(format string, args ...any) { sum.Notes = append(sum.Notes, fmt.Sprintf(format, args...)) }

	s.mu.Lock()
	s.seedUsersLocked(c, note)
	sum.Projects = s.seedProjectsLocked(c, note)
	sum.SSHKeys = s.seedKeysLocked(c, note)
	news, olds := s.planDevicesLocked(c, note)
	err = s.persistLocked()
	s.mu.Unlock()
	if err != nil {
		return sum, err
	}
	sum.Devices, sum.Attachments, err = s.seedDevices(c, news, olds, note)
	return sum, err
}

// seedUsersLocked makes the owners of the state's personal keys users.
func (s *Server) seedUsersLocked(c *tfstate.Contents, note func(string, ...any)) {
	for _, k := range c.Keys {
		if k.UserID == "" || s.data.hasUser(k.UserID) || !validUUID(k.UserID) {
			continue
		}
		if len(s.data.Users) > 0 && s.data.Users[0].ID == DefaultUserID {
			s.data.renameUser(DefaultUserID, k.UserID)
			note("user %s: the state's owner of personal keys is the token's user", k.UserID)
			continue
		}
		s.data.Users = append(s.data.Users, userRecord{ID: k.UserID, FullName: "from a state file", CreatedAt: s.now()})
		note("user %s: added without a token, so its personal keys (%s) are seen by no one; give it a token with --seed to use them", k.UserID, k.From)
	}
}

// seedProjectsLocked creates or updates every project the state names and
// makes the token's user a member.
func (s *Server) seedProjectsLocked(c *tfstate.Contents, note func(string, ...any)) int {
	known := map[string]tfstate.Project{}
	var ids []string
	add := func(id string) {
		if id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, p := range c.Projects {
		known[p.ID] = p
		add(p.ID)
	}
	for _, k := range c.Keys {
		add(k.ProjectID)
	}
	for _, d := range c.Devices {
		add(d.ProjectID)
	}
	n := 0
	for _, id := range ids {
		if !validUUID(id) {
			note("project %q: not a UUID, not seeded", id)
			continue
		}
		i := s.data.projectIndex(id)
		if i < 0 {
			s.data.Projects = append(s.data.Projects, projectRecord{ID: id, CreatedAt: s.now(), UpdatedAt: s.now()})
			i = len(s.data.Projects) - 1
		}
		p := &s.data.Projects[i]
		if st, ok := known[id]; ok {
			p.Name, p.OrganizationID, p.PaymentMethodID, p.BackendTransfer = orDefault(st.Name, p.Name), st.OrganizationID, st.PaymentMethodID, st.BackendTransfer
			p.CreatedAt, p.UpdatedAt = orNow(st.Created, p.CreatedAt), orNow(st.Updated, p.UpdatedAt)
		}
		if p.Name == "" {
			p.Name = "project " + id[:8]
			note("project %s: the state has no name for it (no project resource), so it is called %q", id, p.Name)
		}
		if len(s.data.Users) > 0 && !slices.Contains(p.Members, s.data.Users[0].ID) {
			p.Members = append(p.Members, s.data.Users[0].ID)
		}
		n++
	}
	return n
}

// seedKeysLocked puts every key of the state in the store as the state has it.
func (s *Server) seedKeysLocked(c *tfstate.Contents, note func(string, ...any)) int {
	n := 0
	for _, k := range c.Keys {
		key, why := s.keyFromState(k)
		if why != "" {
			note("%s: %s, not seeded", k.From, why)
			continue
		}
		if key.Fingerprint != k.Fingerprint && k.Fingerprint != "" {
			note("%s: the state's fingerprint %s is not the key's (%s); the state's is served", k.From, k.Fingerprint, key.Fingerprint)
			key.Fingerprint = k.Fingerprint
		}
		s.data.putKey(key)
		n++
	}
	return n
}

// keyFromState is the stored form of a state's key, or why there is none.
// Key material the API would not take as it is (an RFC 4716 block, say)
// is stored as the one OpenSSH line the provider would have sent.
func (s *Server) keyFromState(k tfstate.Key) (SSHKey, string) {
	if !validUUID(k.ID) {
		return SSHKey{}, fmt.Sprintf("id %q is not a UUID", k.ID)
	}
	material := k.PublicKey
	fp, err := checkPublicKey(material)
	if err != nil {
		parsed, perr := sshkey.Parse([]byte(material), sshkey.Options{})
		if perr != nil {
			return SSHKey{}, "its public_key is not a key: " + perr.Error()
		}
		material, fp = parsed.Line(), parsed.FingerprintMD5()
	}
	key := SSHKey{
		ID: k.ID, Label: orDefault(k.Label, k.ID), Key: material, Fingerprint: fp, Tags: nonNil(slices.Clone(k.Tags)),
		ProjectID: k.ProjectID, UserID: k.UserID, CreatedAt: orNow(k.Created, s.now()), UpdatedAt: orNow(k.Updated, s.now()),
	}
	if err := s.checkOwner(key); err != nil {
		return SSHKey{}, "its owner cannot be seeded (" + err.Error() + ")"
	}
	return key, ""
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t.UTC()
}

// renameUser gives a user another id everywhere it is named.
func (st *store) renameUser(from, to string) {
	for i := range st.Users {
		if st.Users[i].ID == from {
			st.Users[i].ID = to
		}
	}
	for i := range st.Projects {
		for j, m := range st.Projects[i].Members {
			if m == from {
				st.Projects[i].Members[j] = to
			}
		}
	}
	for i := range st.Keys {
		if st.Keys[i].UserID == from {
			st.Keys[i].UserID = to
		}
	}
}
