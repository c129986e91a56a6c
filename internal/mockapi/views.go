package mockapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// JSON shapes of the API, as in the spec's components/schemas.

type hrefJSON struct {
	Href string `json:"href"`
}

type sshKeyJSON struct {
	ID          string   `json:"id"`
	Label       string   `json:"label"`
	Key         string   `json:"key"`
	Fingerprint string   `json:"fingerprint"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
	Href        string   `json:"href"`
	Tags        []string `json:"tags"`
	// Owner is what packngo reads, Entity what the spec names; both are served.
	Owner  hrefJSON `json:"owner"`
	Entity hrefJSON `json:"entity"`
}

type sshKeyListJSON struct {
	SSHKeys []sshKeyJSON `json:"ssh_keys"`
	Meta    *metaJSON    `json:"meta,omitempty"`
}

type userJSON struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FullName  string `json:"full_name"`
	Href      string `json:"href"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

type projectJSON struct {
	ID              string     `json:"id"`
	Name            string     `json:"name"`
	Href            string     `json:"href"`
	CreatedAt       string     `json:"created_at"`
	UpdatedAt       string     `json:"updated_at"`
	Members         []hrefJSON `json:"members"`
	SSHKeys         []hrefJSON `json:"ssh_keys"`
	Devices         []hrefJSON `json:"devices"`
	Tags            []string   `json:"tags"`
	Type            string     `json:"type"`
	Organization    idHrefJSON `json:"organization"`
	PaymentMethod   *hrefJSON  `json:"payment_method,omitempty"`
	BackendTransfer bool       `json:"backend_transfer_enabled"`
}

// idHrefJSON is a reference that names the id too, as included objects do.
type idHrefJSON struct {
	ID   string `json:"id"`
	Href string `json:"href"`
}

type projectListJSON struct {
	Projects []projectJSON `json:"projects"`
	Meta     *metaJSON     `json:"meta,omitempty"`
}

type ipJSON struct {
	ID            string `json:"id"`
	Address       string `json:"address"`
	AddressFamily int    `json:"address_family"`
	Cidr          int    `json:"cidr"`
	Netmask       string `json:"netmask"`
	Gateway       string `json:"gateway"`
	Network       string `json:"network"`
	Public        bool   `json:"public"`
	Management    bool   `json:"management"`
	Enabled       bool   `json:"enabled"`
	Href          string `json:"href"`
}

type slugJSON struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type metroJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type facilityJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

type deviceJSON struct {
	ID              string          `json:"id"`
	ShortID         string          `json:"short_id"`
	Hostname        string          `json:"hostname"`
	State           string          `json:"state"`
	Href            string          `json:"href"`
	CreatedAt       string          `json:"created_at"`
	UpdatedAt       string          `json:"updated_at"`
	Locked          bool            `json:"locked"`
	Tags            []string        `json:"tags"`
	IPAddresses     []ipJSON        `json:"ip_addresses"`
	RootPassword    string          `json:"root_password,omitempty"`
	SSHKeys         []hrefJSON      `json:"ssh_keys"`
	Project         idHrefJSON      `json:"project"` // the id too, as with ?include=project: the earlier providers read it
	BillingCycle    string          `json:"billing_cycle,omitempty"`
	Description     string          `json:"description,omitempty"`
	AlwaysPXE       bool            `json:"always_pxe"`
	IPXEScriptURL   string          `json:"ipxe_script_url,omitempty"`
	UserData        string          `json:"userdata,omitempty"`
	CustomData      json.RawMessage `json:"customdata"`
	NetworkPorts    []portJSON      `json:"network_ports"`
	Plan            slugJSON        `json:"plan"`
	OperatingSystem slugJSON        `json:"operating_system"`
	Metro           metroJSON       `json:"metro"`
	Facility        *facilityJSON   `json:"facility,omitempty"`
	// Mock extensions (not in the spec): how to reach the simulated machine.
	SSHHostKey string `json:"ssh_host_key,omitempty"`
	SSHPort    int    `json:"ssh_port,omitempty"`
}

type deviceListJSON struct {
	Devices []deviceJSON `json:"devices"`
	Meta    *metaJSON    `json:"meta,omitempty"`
}

// rootPasswordLifetime is how long the platform shows a new device's root password.
const rootPasswordLifetime = 24 * time.Hour

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func keyHref(id string) string     { return APIPrefix + "/ssh-keys/" + id }
func userHref(id string) string    { return APIPrefix + "/users/" + id }
func projectHref(id string) string { return APIPrefix + "/projects/" + id }
func deviceHref(id string) string  { return APIPrefix + "/devices/" + id }

func viewKey(k SSHKey) sshKeyJSON {
	owner := projectHref(k.ProjectID)
	if k.UserID != "" {
		owner = userHref(k.UserID)
	}
	return sshKeyJSON{
		ID: k.ID, Label: k.Label, Key: k.Key, Fingerprint: k.Fingerprint,
		CreatedAt: rfc3339(k.CreatedAt), UpdatedAt: rfc3339(k.UpdatedAt), Href: keyHref(k.ID),
		Tags: nonNil(k.Tags), Owner: hrefJSON{owner}, Entity: hrefJSON{owner},
	}
}

func viewKeys(keys []SSHKey) []sshKeyJSON {
	out := make([]sshKeyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, viewKey(k))
	}
	return out
}

func viewUser(u userRecord) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, FullName: u.FullName, Href: userHref(u.ID), CreatedAt: rfc3339(u.CreatedAt), UpdatedAt: rfc3339(u.CreatedAt)}
}

// viewProject renders a project. Caller holds s.mu.
func (s *Server) viewProject(p projectRecord) projectJSON {
	updated := p.UpdatedAt
	if updated.IsZero() {
		updated = p.CreatedAt
	}
	org := p.OrganizationID
	if org == "" && len(p.Members) > 0 {
		org = defaultOrganization(p.Members[0])
	}
	out := projectJSON{
		ID: p.ID, Name: p.Name, Href: projectHref(p.ID), CreatedAt: rfc3339(p.CreatedAt), UpdatedAt: rfc3339(updated),
		Members: []hrefJSON{}, SSHKeys: []hrefJSON{}, Devices: []hrefJSON{}, Tags: nonNil(slices.Clone(p.Tags)),
		Type: "default", Organization: idHrefJSON{ID: org, Href: APIPrefix + "/organizations/" + org}, BackendTransfer: p.BackendTransfer,
	}
	if p.PaymentMethodID != "" {
		out.PaymentMethod = &hrefJSON{APIPrefix + "/payment-methods/" + p.PaymentMethodID}
	}
	for _, m := range p.Members {
		out.Members = append(out.Members, hrefJSON{userHref(m)})
	}
	for _, k := range s.data.keysWhere(func(k SSHKey) bool { return k.ProjectID == p.ID }) {
		out.SSHKeys = append(out.SSHKeys, hrefJSON{keyHref(k.ID)})
	}
	for _, d := range s.data.devicesOf(p.ID) {
		out.Devices = append(out.Devices, hrefJSON{deviceHref(d.ID)})
	}
	return out
}

// viewDevice renders a device. Caller holds s.mu.
func (s *Server) viewDevice(d *deviceRecord) deviceJSON {
	publicV4 := "127.0.0.1"
	m := s.machines[d.ID]
	if m != nil {
		publicV4 = m.Host()
	}
	out := deviceJSON{
		ID: d.ID, ShortID: d.ID[:8], Hostname: d.Hostname, State: s.deviceState(d), Href: deviceHref(d.ID),
		CreatedAt: rfc3339(d.CreatedAt), UpdatedAt: rfc3339(d.UpdatedAt), Tags: nonNil(d.Tags),
		IPAddresses: []ipJSON{
			{ID: ipID(d.ID, 1), Address: publicV4, AddressFamily: 4, Cidr: 31, Netmask: "255.255.255.254", Gateway: publicV4, Network: publicV4, Public: true, Management: true, Enabled: true},
			{ID: ipID(d.ID, 2), Address: "::1", AddressFamily: 6, Cidr: 127, Netmask: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", Gateway: "::1", Network: "::1", Public: true, Management: true, Enabled: true},
			{ID: ipID(d.ID, 3), Address: "10.0.0.2", AddressFamily: 4, Cidr: 31, Netmask: "255.255.255.254", Gateway: "10.0.0.1", Network: "10.0.0.2", Public: false, Management: true, Enabled: true},
		},
		SSHKeys:         []hrefJSON{},
		Project:         idHrefJSON{ID: d.ProjectID, Href: projectHref(d.ProjectID)},
		BillingCycle:    d.BillingCycle,
		Description:     d.Description,
		Locked:          d.Locked,
		AlwaysPXE:       d.AlwaysPXE,
		IPXEScriptURL:   d.IPXEScriptURL,
		UserData:        d.UserData,
		CustomData:      json.RawMessage("{}"),
		NetworkPorts:    networkPorts(d.ID),
		Plan:            slugJSON{Slug: d.Plan, Name: d.Plan},
		OperatingSystem: slugJSON{Slug: d.OS, Name: d.OS},
		Metro:           metroJSON{Code: d.Metro, Name: d.Metro},
	}
	if len(d.IPs) > 0 {
		out.IPAddresses = out.IPAddresses[:0]
		for i, ip := range d.IPs {
			out.IPAddresses = append(out.IPAddresses, ip.view(d.ID, i+1))
		}
	}
	for i := range out.IPAddresses {
		out.IPAddresses[i].Href = APIPrefix + "/ips/" + out.IPAddresses[i].ID
	}
	if len(d.CustomData) > 0 {
		out.CustomData = d.CustomData
	}
	if d.Facility != "" {
		out.Facility = &facilityJSON{Code: d.Facility, Name: d.Facility}
	}
	if s.clock().Sub(d.CreatedAt) < rootPasswordLifetime {
		out.RootPassword = d.RootPassword
	}
	for _, k := range s.data.existingKeys(d) {
		out.SSHKeys = append(out.SSHKeys, hrefJSON{keyHref(k.ID)})
	}
	if m != nil {
		out.SSHPort = m.Port()
		if advertisesHostKey(m) {
			out.SSHHostKey = m.HostKey()
		}
	}
	return out
}

// ipID gives each of a device's addresses a stable UUID.
func ipID(deviceID string, n int) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "%s/ip/%d", deviceID, n)).String()
}
