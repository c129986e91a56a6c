package mockapi

import (
	"crypto/sha256"
	"fmt"

	"github.com/google/uuid"
)

type portDataJSON struct {
	MAC    string `json:"mac,omitempty"`
	Bonded bool   `json:"bonded"`
}

type portJSON struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Type        string       `json:"type"`
	NetworkType string       `json:"network_type,omitempty"`
	Data        portDataJSON `json:"data"`
	Href        string       `json:"href"`
}

// networkPorts are a device's ports in the platform's default layer 3
// mode: bond0 over eth0 and eth1, all bonded (clients derive the network
// type from them, and no ports would read as layer2-individual).
func networkPorts(deviceID string) []portJSON {
	port := func(name, typ string) portJSON {
		id := uuid.NewSHA1(uuid.NameSpaceURL, []byte("packet-mock/port/"+deviceID+"/"+name)).String()
		p := portJSON{ID: id, Name: name, Type: typ, Data: portDataJSON{Bonded: true}, Href: APIPrefix + "/ports/" + id}
		if typ == "NetworkBondPort" {
			p.NetworkType = "layer3"
		} else {
			sum := sha256.Sum256([]byte(id))
			p.Data.MAC = fmt.Sprintf("0c:c4:7a:%02x:%02x:%02x", sum[0], sum[1], sum[2])
		}
		return p
	}
	return []portJSON{port("bond0", "NetworkBondPort"), port("eth0", "NetworkPort"), port("eth1", "NetworkPort")}
}
