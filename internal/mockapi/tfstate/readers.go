package tfstate

// readers map "mode type" to what the resource tells. Data sources of
// devices and keys count: they name things the configuration reads, which
// must exist for it to plan.
var readers = map[string]func(*Contents, string, attrs){
	// This provider.
	"managed packet_project_ssh_key":       readProjectKey,
	"managed packet_user_ssh_key":          readUserKey,
	"managed packet_ssh_key":               readUserKey, // also the archived provider's personal key
	"managed packet_device_key_attachment": readAttachment,
	"data packet_project_ssh_key":          readProjectKey,
	"data packet_user_ssh_key":             readUserKey,
	"data packet_device":                   readDevice, // this provider's and the archived one's
	// The archived packethost/packet provider.
	"managed packet_device":  readDeviceResource,
	"managed packet_project": readProject,
	"data packet_project":    readProject,
	// equinix/equinix v4 and earlier.
	"managed equinix_metal_ssh_key":         readUserKey,
	"managed equinix_metal_project_ssh_key": readProjectKey,
	"managed equinix_metal_device":          readDeviceResource,
	"managed equinix_metal_project":         readProject,
	"data equinix_metal_project_ssh_key":    readProjectKey,
	"data equinix_metal_device":             readDevice,
	"data equinix_metal_project":            readProject,
}

func readKey(c *Contents, from string, a attrs) Key {
	return Key{
		From: from, ID: a.str("id"), Label: a.str("name"), PublicKey: a.str("public_key"), Fingerprint: a.str("fingerprint"),
		Tags: a.strs("tags"), Created: c.when(from, a, "created"), Updated: c.when(from, a, "updated"),
	}
}

func readProjectKey(c *Contents, from string, a attrs) {
	k := readKey(c, from, a)
	k.ProjectID = firstOf(a.str("project_id"), a.str("owner_id"))
	c.addKey(k)
}

// readUserKey reads a personal key: its owner_id is the user.
func readUserKey(c *Contents, from string, a attrs) {
	if a.str("project_id") != "" {
		readProjectKey(c, from, a)
		return
	}
	k := readKey(c, from, a)
	k.UserID = a.str("owner_id")
	c.addKey(k)
}

func readProject(c *Contents, from string, a attrs) {
	c.addProject(Project{
		From: from, ID: firstOf(a.str("id"), a.str("project_id")), Name: a.str("name"),
		OrganizationID: a.str("organization_id"), PaymentMethodID: a.str("payment_method_id"),
		BackendTransfer: a.boolean("backend_transfer"), Created: c.when(from, a, "created"), Updated: c.when(from, a, "updated"),
	})
}

func readDeviceResource(c *Contents, from string, a attrs) { c.addDevice(device(c, from, a, true)) }

func readDevice(c *Contents, from string, a attrs) { c.addDevice(device(c, from, a, false)) }

func device(c *Contents, from string, a attrs, managed bool) Device {
	facility := a.str("deployed_facility")
	if fs := a.strs("facilities"); facility == "" && len(fs) > 0 && fs[0] != "any" {
		facility = fs[0]
	}
	return Device{
		Managed: managed, From: from, ID: a.str("id"), Hostname: a.str("hostname"), ProjectID: a.str("project_id"),
		Plan: a.str("plan"), Metro: a.str("metro"), Facility: firstOf(facility, a.str("facility")), OS: a.str("operating_system"),
		BillingCycle: a.str("billing_cycle"), Description: a.str("description"), IPXEScriptURL: a.str("ipxe_script_url"),
		UserData: a.str("user_data"), RootPassword: a.str("root_password"), AlwaysPXE: a.boolean("always_pxe"), Locked: a.boolean("locked"),
		Tags: a.strs("tags"), SSHKeyIDs: a.strs("ssh_key_ids"), Addresses: addresses(a),
		Created: c.when(from, a, "created"), Updated: c.when(from, a, "updated"),
	}
}

func readAttachment(c *Contents, from string, a attrs) {
	ssh := a.object("ssh")
	c.Attachments = append(c.Attachments, Attachment{
		From: from, DeviceID: a.str("device_id"), KeyID: a.str("ssh_key_id"), PublicKey: a.str("public_key"),
		Line: a.str("authorized_keys_line"), Provisioned: a.boolean("provisioned"),
		User: ssh.str("user"), Path: ssh.str("authorized_keys_path"), PinnedHostKey: a.str("pinned_host_key"),
	})
}

// addresses reads the earlier providers' "network" list, marking the
// addresses they also show as access_* (the management ones), or else the
// access_* or public_* attributes alone (this provider's data source).
func addresses(a attrs) []Address {
	access := map[string]bool{}
	for _, name := range []string{"access_public_ipv4", "access_private_ipv4", "access_public_ipv6"} {
		if v := a.str(name); v != "" {
			access[v] = true
		}
	}
	var out []Address
	for _, n := range a.objects("network") {
		addr := n.str("address")
		if addr == "" {
			continue
		}
		out = append(out, Address{Address: addr, Family: n.integer("family"), Public: n.boolean("public"), CIDR: n.integer("cidr"),
			Gateway: n.str("gateway"), Management: len(access) == 0 || access[addr]})
	}
	if len(out) > 0 {
		return out
	}
	for _, f := range []struct {
		names  []string
		family int
		public bool
		cidr   int
	}{
		{[]string{"access_public_ipv4", "public_ipv4"}, 4, true, 31},
		{[]string{"access_public_ipv6", "public_ipv6"}, 6, true, 127},
		{[]string{"access_private_ipv4"}, 4, false, 31},
	} {
		for _, name := range f.names {
			if v := a.str(name); v != "" {
				out = append(out, Address{Address: v, Family: f.family, Public: f.public, CIDR: f.cidr, Management: true})
				break
			}
		}
	}
	return out
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
