package mockapi

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
	"github.com/packethost/terraform-provider-packet/internal/mockapi/tfstate"
)

// planDevicesLocked brings the devices a state names into the store's
// terms: records to create (their machines are started afterwards, outside
// the lock) and, for devices that exist already, the attachment lines their
// machines still lack.
func (s *Server) planDevicesLocked(c *tfstate.Contents, note func(string, ...any)) (news []*deviceRecord, lines map[string][]string) {
	lines = map[string][]string{}
	devices := slices.Clone(c.Devices)
	for _, a := range c.Attachments {
		if !slices.ContainsFunc(devices, func(d tfstate.Device) bool { return d.ID == a.DeviceID }) {
			devices = append(devices, tfstate.Device{From: a.From, ID: a.DeviceID})
		}
	}
	for _, d := range devices {
		if !validUUID(d.ID) {
			note("%s: device id %q is not a UUID, not seeded", d.From, d.ID)
			continue
		}
		attached, provisioned := attachmentLines(c, d.ID, note)
		if rec, ok := s.data.device(d.ID); ok {
			s.updateDeviceLocked(rec, d)
			rec.SSHKeyIDs = appendMissing(rec.SSHKeyIDs, provisioned...)
			for _, l := range attached {
				if !hasLine(rec.AuthorizedKeys, l) {
					rec.AuthorizedKeys += l + "\n"
				}
			}
			lines[d.ID] = attached
			continue
		}
		rec := s.newDeviceLocked(c, d, note)
		if rec == nil {
			continue
		}
		rec.SSHKeyIDs = appendMissing(rec.SSHKeyIDs, provisioned...)
		var text strings.Builder
		for _, id := range rec.SSHKeyIDs {
			if k, ok := s.data.key(id); ok {
				text.WriteString(strings.TrimSpace(k.Key) + "\n") // as cloud-init writes it
			} else {
				note("device %s: key %s was put on it (so says the state) but is not in the state, so not on its machine", d.ID, id)
			}
		}
		for _, l := range attached {
			if !hasLine(text.String(), l) {
				text.WriteString(l + "\n")
			}
		}
		rec.AuthorizedKeys = text.String()
		news = append(news, rec)
	}
	return news, lines
}

// newDeviceLocked is the record of a device the store does not have yet.
func (s *Server) newDeviceLocked(c *tfstate.Contents, d tfstate.Device, note func(string, ...any)) *deviceRecord {
	now := s.now()
	rec := &deviceRecord{
		ID: d.ID, Hostname: d.Hostname, ProjectID: d.ProjectID, RootPassword: orDefault(d.RootPassword, newPassword()),
		SSHKeyIDs: nonNil(slices.Clone(d.SSHKeyIDs)), CreatedAt: orNow(d.Created, now), UpdatedAt: orNow(d.Updated, now),
	}
	s.updateDeviceLocked(rec, d)
	if rec.Hostname == "" {
		rec.Hostname = "mock-" + d.ID[:8]
		note("device %s: the state has no hostname for it, so it is %q", d.ID, rec.Hostname)
	}
	if rec.ProjectID == "" {
		rec.ProjectID = s.projectForAttachedLocked(c, d.ID)
		if rec.ProjectID == "" {
			note("device %s (%s): the state names no project for it and the token's user has none, not seeded", d.ID, d.From)
			return nil
		}
		note("device %s: the state names no project for it (no device resource or data source); it is in project %s", d.ID, rec.ProjectID)
	}
	return rec
}

// updateDeviceLocked takes what the state says of a device into its record.
func (s *Server) updateDeviceLocked(rec *deviceRecord, d tfstate.Device) {
	for _, f := range []struct {
		dst *string
		src string
	}{
		{&rec.Hostname, d.Hostname}, {&rec.Plan, d.Plan}, {&rec.Metro, d.Metro}, {&rec.Facility, d.Facility}, {&rec.OS, d.OS},
		{&rec.BillingCycle, d.BillingCycle}, {&rec.Description, d.Description}, {&rec.IPXEScriptURL, d.IPXEScriptURL}, {&rec.UserData, d.UserData},
	} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	if _, ok := s.data.project(d.ProjectID); ok {
		rec.ProjectID = d.ProjectID
	}
	rec.Plan, rec.Metro, rec.OS = orDefault(rec.Plan, "c3.small.x86"), orDefault(rec.Metro, "sv"), orDefault(rec.OS, "ubuntu_22_04")
	rec.BillingCycle = orDefault(rec.BillingCycle, "hourly")
	if d.Managed || d.Tags != nil { // a data source or an attachment knows no settings
		rec.Tags = slices.Clone(d.Tags)
	}
	rec.Tags = nonNil(rec.Tags)
	if d.Managed {
		rec.AlwaysPXE, rec.Locked = d.AlwaysPXE, d.Locked
	}
	if len(d.Addresses) > 0 {
		rec.IPs = rec.IPs[:0]
		for _, a := range d.Addresses {
			rec.IPs = append(rec.IPs, ipRecord{Address: a.Address, Family: a.Family, Public: a.Public, CIDR: a.CIDR, Gateway: a.Gateway, Management: a.Management})
		}
	}
}

// projectForAttachedLocked places a device the state knows only from an
// attachment: in the project of the attached key when that is a project
// key, else in the token's user's first project.
func (s *Server) projectForAttachedLocked(c *tfstate.Contents, deviceID string) string {
	for _, a := range c.Attachments {
		if k, ok := s.data.key(a.KeyID); ok && a.DeviceID == deviceID && k.ProjectID != "" {
			return k.ProjectID
		}
	}
	for _, p := range s.data.Projects {
		if len(s.data.Users) > 0 && slices.Contains(p.Members, s.data.Users[0].ID) {
			return p.ID
		}
	}
	return ""
}

// attachmentLines are the lines the state's attachments wrote on a device
// (for a pre-existing line, the key itself), and the attached keys the
// state says the platform had put there.
func attachmentLines(c *tfstate.Contents, deviceID string, note func(string, ...any)) (lines, provisioned []string) {
	for _, a := range c.Attachments {
		if a.DeviceID != deviceID {
			continue
		}
		if a.Provisioned {
			provisioned = append(provisioned, a.KeyID)
		}
		if !rootsDefaultFile(a) {
			note("%s: its line is in %s's %q, which the mock's machines do not have (only root's .ssh/authorized_keys): not placed", a.From, orDefault(a.User, "root"), a.Path)
			continue
		}
		line := strings.TrimSpace(a.Line)
		if line == "" {
			line = strings.TrimSpace(a.PublicKey)
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines, provisioned
}

func rootsDefaultFile(a tfstate.Attachment) bool {
	switch a.Path {
	case "", ".ssh/authorized_keys", "~/.ssh/authorized_keys", "/root/.ssh/authorized_keys":
	default:
		return false
	}
	return a.User == "" || a.User == rootUserName
}

// rootUserName is the only user of the mock's machines.
const rootUserName = "root"

// hasLine reports whether text has a line that is line or, for a line of a
// bare key, one that holds the same key.
func hasLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	if pub, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(line)); err == nil && len(opts) == 0 {
		return authorizedkeys.Parse([]byte(text)).Contains(pub)
	}
	return false
}

func appendMissing(ids []string, more ...string) []string {
	for _, id := range more {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// seedDevices starts the machines of new devices, adds the attachment lines
// to existing ones and says what a client will find different from the
// state: a pinned host key the machine does not have, an address where the
// machine does not listen.
func (s *Server) seedDevices(c *tfstate.Contents, news []*deviceRecord, lines map[string][]string, note func(string, ...any)) (devices, attachments int, err error) {
	for _, rec := range news {
		m, err := s.provision(rec)
		if err != nil {
			return devices, attachments, err
		}
		s.mu.Lock()
		if _, exists := s.data.device(rec.ID); exists {
			s.mu.Unlock()
			if m != nil {
				_ = m.Close()
			}
			note("device %s: created meanwhile through the API, left as it is", rec.ID)
			continue
		}
		s.data.addDevice(rec)
		if m != nil {
			s.machines[rec.ID] = m
		}
		err = s.persistLocked()
		s.mu.Unlock()
		if err != nil {
			return devices, attachments, err
		}
		devices++
	}
	for id, add := range lines {
		devices++
		if m, ok := s.Machine(id); ok {
			if err := appendToMachine(m, add); err != nil {
				return devices, attachments, fmt.Errorf("device %s: %w", id, err)
			}
		}
	}
	for _, a := range c.Attachments {
		m, ok := s.Machine(a.DeviceID)
		if !ok {
			continue
		}
		attachments++
		if a.PinnedHostKey != "" && keyPart(a.PinnedHostKey) != keyPart(m.HostKey()) {
			note("%s: its pinned_host_key is not the host key of the mock's machine for device %s (%s): the attachment will refuse to connect until it is re-pinned", a.From, a.DeviceID, keyPart(m.HostKey()))
		}
	}
	s.noteUnreachableAddresses(c, note)
	return devices, attachments, nil
}

// appendToMachine adds the lines a machine's authorized_keys lacks.
func appendToMachine(m Machine, add []string) error {
	cur, err := m.AuthorizedKeys()
	if err != nil {
		cur = nil
	}
	text := string(cur)
	for _, l := range add {
		if !hasLine(text, l) {
			if text != "" && !strings.HasSuffix(text, "\n") {
				text += "\n"
			}
			text += l + "\n"
		}
	}
	if text == string(cur) {
		return nil
	}
	return m.SetAuthorizedKeys([]byte(text))
}

// noteUnreachableAddresses: a seeded device shows the state's addresses,
// but its machine listens on the mock's own host.
func (s *Server) noteUnreachableAddresses(c *tfstate.Contents, note func(string, ...any)) {
	for _, d := range c.Devices {
		m, ok := s.Machine(d.ID)
		if !ok {
			continue
		}
		for _, a := range d.Addresses {
			if a.Family == 4 && a.Public && a.Management && a.Address != m.Host() {
				note("device %s: its public address is the state's %s, but its simulated machine listens on %s port %d (set the attachment's ssh.host to reach it)", d.ID, a.Address, m.Host(), m.Port())
			}
		}
	}
}

// keyPart is "type base64" of an OpenSSH public key line.
func keyPart(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return line
	}
	return f[0] + " " + f[1]
}
