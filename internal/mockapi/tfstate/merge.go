package tfstate

// A thing the state names twice (a resource and a data source reading it)
// is one thing: the first entry wins, later ones only fill what it lacks.

func (c *Contents) addKey(k Key) {
	for i := range c.Keys {
		if c.Keys[i].ID == k.ID {
			fill(&c.Keys[i].Label, k.Label)
			fill(&c.Keys[i].PublicKey, k.PublicKey)
			fill(&c.Keys[i].Fingerprint, k.Fingerprint)
			return
		}
	}
	c.Keys = append(c.Keys, k)
}

func (c *Contents) addProject(p Project) {
	for i := range c.Projects {
		if c.Projects[i].ID == p.ID {
			fill(&c.Projects[i].Name, p.Name)
			fill(&c.Projects[i].OrganizationID, p.OrganizationID)
			fill(&c.Projects[i].PaymentMethodID, p.PaymentMethodID)
			return
		}
	}
	c.Projects = append(c.Projects, p)
}

func (c *Contents) addDevice(d Device) {
	for i := range c.Devices {
		o := &c.Devices[i]
		if o.ID != d.ID {
			continue
		}
		if d.Managed && !o.Managed { // the resource's settings win
			*o, d = d, *o
		}
		for _, f := range []struct {
			dst *string
			src string
		}{
			{&o.Hostname, d.Hostname}, {&o.ProjectID, d.ProjectID}, {&o.Plan, d.Plan}, {&o.Metro, d.Metro},
			{&o.Facility, d.Facility}, {&o.OS, d.OS}, {&o.BillingCycle, d.BillingCycle}, {&o.RootPassword, d.RootPassword},
		} {
			fill(f.dst, f.src)
		}
		if len(o.Addresses) == 0 {
			o.Addresses = d.Addresses
		}
		if o.SSHKeyIDs == nil {
			o.SSHKeyIDs = d.SSHKeyIDs
		}
		if o.Created.IsZero() {
			o.Created = d.Created
		}
		return
	}
	c.Devices = append(c.Devices, d)
}

func fill(dst *string, src string) {
	if *dst == "" {
		*dst = src
	}
}
