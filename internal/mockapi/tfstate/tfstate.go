// Package tfstate reads, from a Terraform state file (format version 4),
// what packet-mock needs to stand in for the retired platform: the
// projects, SSH keys and devices the state knows, written by this provider,
// the archived packethost/packet provider or equinix v4 and earlier. It
// takes what the state says and nothing else: resources of other types
// are listed in Skipped, values it cannot read in Notes.
package tfstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Contents is what a state file tells about the platform.
type Contents struct {
	Projects    []Project
	Keys        []Key
	Devices     []Device
	Attachments []Attachment
	Skipped     []string // addresses of resources whose type is not read
	Notes       []string // values that could not be read
}

// Project is a project the state names. From is the address of the
// resource it was read from; a project known only as the project_id of a
// key or device has no resource of its own and no name.
type Project struct {
	From, ID, Name                  string
	OrganizationID, PaymentMethodID string
	BackendTransfer                 bool
	Created, Updated                time.Time
}

// Key is an SSH key; exactly one of ProjectID and UserID is its owner.
type Key struct {
	From, ID, Label, PublicKey, Fingerprint string
	ProjectID, UserID                       string
	Tags                                    []string
	Created, Updated                        time.Time
}

// Device is a device with what the state knows of it. Managed says it was
// read from a device resource, which holds all its settings (tags, locked,
// always_pxe); a data source holds only some.
type Device struct {
	Managed                                            bool
	From, ID, Hostname, ProjectID                      string
	Plan, Metro, Facility, OS, BillingCycle            string
	Description, IPXEScriptURL, UserData, RootPassword string
	AlwaysPXE, Locked                                  bool
	Tags, SSHKeyIDs                                    []string
	Addresses                                          []Address
	Created, Updated                                   time.Time
}

// Address is one of a device's IP addresses.
type Address struct {
	Address    string
	Family     int
	Public     bool
	CIDR       int
	Gateway    string
	Management bool
}

// Attachment is a packet_device_key_attachment: the line it wrote on the
// device. Line is empty when the line was there before (pre_existing).
type Attachment struct {
	From, DeviceID, KeyID, PublicKey, Line string
	Provisioned                            bool
	User, Path                             string // ssh.user and ssh.authorized_keys_path, "" for the defaults
	PinnedHostKey                          string
}

type stateFile struct {
	Version   *int `json:"version"`
	Resources []struct {
		Module    string `json:"module"`
		Mode      string `json:"mode"`
		Type      string `json:"type"`
		Name      string `json:"name"`
		Instances []struct {
			IndexKey   json.RawMessage `json:"index_key"`
			Attributes attrs           `json:"attributes"`
		} `json:"instances"`
	} `json:"resources"`
}

// Read parses a state file.
func Read(data []byte) (*Contents, error) {
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("not a Terraform state file: %w", err)
	}
	if st.Version == nil {
		return nil, errors.New("not a Terraform state file: no \"version\"")
	}
	if *st.Version != 4 {
		return nil, fmt.Errorf("state format version %d: only version 4 (Terraform 0.12 and later) is read", *st.Version)
	}
	c := &Contents{}
	for _, r := range st.Resources {
		read, known := readers[r.Mode+" "+r.Type]
		for _, inst := range r.Instances {
			from := address(r.Module, r.Mode, r.Type, r.Name, inst.IndexKey)
			if !known {
				c.Skipped = append(c.Skipped, from)
				continue
			}
			read(c, from, inst.Attributes)
		}
	}
	sort.Strings(c.Skipped)
	return c, nil
}

// address is the resource instance's address as Terraform prints it.
func address(module, mode, typ, name string, index json.RawMessage) string {
	a := typ + "." + name
	if mode == "data" {
		a = "data." + a
	}
	if module != "" {
		a = module + "." + a
	}
	if len(index) > 0 && string(index) != "null" {
		a += "[" + string(index) + "]"
	}
	return a
}
