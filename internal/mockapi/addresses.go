package mockapi

import (
	"net"
	"net/netip"
)

// ipRecord is an address a device was seeded with (from a state file);
// devices created through the API get the mock's default addresses.
type ipRecord struct {
	Address    string `json:"address"`
	Family     int    `json:"address_family"`
	Public     bool   `json:"public"`
	CIDR       int    `json:"cidr"`
	Gateway    string `json:"gateway,omitempty"`
	Management bool   `json:"management"`
}

// view renders the address as the API does; netmask and network follow
// from the address and its prefix length.
func (ip ipRecord) view(deviceID string, n int) ipJSON {
	out := ipJSON{
		ID: ipID(deviceID, n), Address: ip.Address, AddressFamily: ip.Family, Cidr: ip.CIDR, Gateway: ip.Gateway,
		Network: ip.Address, Public: ip.Public, Management: ip.Management, Enabled: true,
	}
	if a, err := netip.ParseAddr(ip.Address); err == nil {
		if p, err := a.Prefix(ip.CIDR); err == nil {
			out.Network = p.Addr().String()
			out.Netmask = net.IP(net.CIDRMask(ip.CIDR, a.BitLen())).String()
		}
	}
	return out
}
