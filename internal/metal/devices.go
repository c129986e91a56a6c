package metal

import (
	"context"
	"net/http"
)

// IPAddress is one address assigned to a device.
type IPAddress struct {
	Address       string
	AddressFamily int
	Public        bool
	Management    bool
}

// Device is the part of a device the provider uses.
type Device struct {
	ID, Hostname, State, ProjectID, Href string
	IPAddresses                          []IPAddress
	RootPassword                         string   // empty once the API stops showing it (after 24 h)
	SSHKeyIDs                            []string // keys the platform put on the device at provisioning
	SSHPort                              int      // mock extension; 0 when absent
	CreatedAt                            string
}

// PublicIPv4 returns the first public IPv4 address, or "".
func (d *Device) PublicIPv4() string { return d.firstPublic(4) }

// PublicIPv6 returns the first public IPv6 address, or "".
func (d *Device) PublicIPv6() string { return d.firstPublic(6) }

func (d *Device) firstPublic(family int) string {
	for _, ip := range d.IPAddresses {
		if ip.Public && ip.AddressFamily == family {
			return ip.Address
		}
	}
	return ""
}

type ipAddressJSON struct {
	Address       string `json:"address"`
	AddressFamily int    `json:"address_family"`
	Public        bool   `json:"public"`
	Management    bool   `json:"management"`
}

type deviceJSON struct {
	ID           string          `json:"id"`
	Hostname     string          `json:"hostname"`
	State        string          `json:"state"`
	Href         string          `json:"href"`
	Project      *hrefJSON       `json:"project"`
	IPAddresses  []ipAddressJSON `json:"ip_addresses"`
	RootPassword string          `json:"root_password"`
	SSHKeys      []hrefJSON      `json:"ssh_keys"`
	SSHPort      int             `json:"ssh_port"`
	CreatedAt    string          `json:"created_at"`
}

func (d *deviceJSON) toDevice() Device {
	dev := Device{
		ID: d.ID, Hostname: d.Hostname, State: d.State, Href: d.Href,
		ProjectID: d.Project.id(), RootPassword: d.RootPassword,
		SSHPort: d.SSHPort, CreatedAt: d.CreatedAt,
	}
	for _, ip := range d.IPAddresses {
		dev.IPAddresses = append(dev.IPAddresses, IPAddress(ip))
	}
	for i := range d.SSHKeys {
		if id := d.SSHKeys[i].id(); id != "" {
			dev.SSHKeyIDs = append(dev.SSHKeyIDs, id)
		}
	}
	return dev
}

// GetDevice reads one device; a missing device is an error for which IsNotFound is true.
func (c *Client) GetDevice(ctx context.Context, id string) (*Device, error) {
	d, err := c.getProjectDevice(ctx, id)
	if err != nil {
		return nil, err
	}
	return &d.Device, nil
}

// getProjectDevice is GetDevice with the device's tags, which a device
// snapshot keeps for its List.
func (c *Client) getProjectDevice(ctx context.Context, id string) (*ProjectDevice, error) {
	if err := validateID("device", id); err != nil {
		return nil, err
	}
	var out projectDeviceJSON
	if err := c.call(ctx, http.MethodGet, "devices/"+id, nil, &out); err != nil {
		return nil, err
	}
	return &ProjectDevice{Device: out.toDevice(), Tags: out.Tags}, nil
}

// ListProjectDevices lists a project's devices, all pages.
func (c *Client) ListProjectDevices(ctx context.Context, projectID string, opts ListOptions) ([]Device, error) {
	if err := validateID("project", projectID); err != nil {
		return nil, err
	}
	q := pagingQuery(opts.PerPage)
	if opts.Search != "" {
		q.Set("search", opts.Search)
	}
	raw, err := listAll[deviceJSON](ctx, c, "projects/"+projectID+"/devices", q, "devices")
	if err != nil {
		return nil, err
	}
	devices := make([]Device, 0, len(raw))
	for i := range raw {
		devices = append(devices, raw[i].toDevice())
	}
	return devices, nil
}
