package mockapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

func (s *Server) getCurrentUser(c *call) error {
	writeJSON(c.w, http.StatusOK, viewUser(c.user))
	return nil
}

func (s *Server) listProjects(c *call) error {
	s.mu.Lock()
	var all []projectJSON
	for _, p := range s.data.Projects {
		if slices.Contains(p.Members, c.user.ID) {
			all = append(all, s.viewProject(p))
		}
	}
	s.mu.Unlock()
	page, meta, err := paginate(c.r, nonNil(all))
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, projectListJSON{Projects: page, Meta: meta})
	return nil
}

func (s *Server) getProject(c *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.data.project(c.params["id"])
	if !ok || !slices.Contains(p.Members, c.user.ID) {
		return notFound()
	}
	writeJSON(c.w, http.StatusOK, s.viewProject(p))
	return nil
}

// visibleProject checks the caller may see the project in the path.
func (s *Server) visibleProject(c *call) (string, error) {
	id := c.params["id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.data.isMember(c.user.ID, id) {
		return "", notFound()
	}
	return id, nil
}

func (s *Server) listProjectKeys(c *call) error {
	id, err := s.visibleProject(c)
	if err != nil {
		return err
	}
	return s.writeKeyList(c, func(k SSHKey) bool { return k.ProjectID == id })
}

func (s *Server) listUserKeys(c *call) error {
	return s.writeKeyList(c, func(k SSHKey) bool { return k.UserID == c.user.ID })
}

func (s *Server) writeKeyList(c *call, keep func(SSHKey) bool) error {
	term := searchTerm(c.r)
	s.mu.Lock()
	keys := s.data.keysWhere(func(k SSHKey) bool { return keep(k) && keyMatches(k, term) })
	s.mu.Unlock()
	page, meta, err := paginateIfAsked(c.r, keys)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, sshKeyListJSON{SSHKeys: viewKeys(page), Meta: meta})
	return nil
}

// keyCreateBody is SSHKeyCreateInput; instances_ids is accepted and ignored.
type keyCreateBody struct {
	Label string   `json:"label"`
	Key   string   `json:"key"`
	Tags  []string `json:"tags"`
}

func (s *Server) createProjectKey(c *call) error {
	id, err := s.visibleProject(c)
	if err != nil {
		return err
	}
	return s.createKeyFrom(c, SSHKey{ProjectID: id})
}

func (s *Server) createUserKey(c *call) error {
	return s.createKeyFrom(c, SSHKey{UserID: c.user.ID})
}

func (s *Server) createKeyFrom(c *call, owner SSHKey) error {
	var body keyCreateBody
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	owner.Label, owner.Key, owner.Tags = body.Label, body.Key, body.Tags
	k, err := s.createKey(owner)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusCreated, viewKey(k))
	return nil
}

func (s *Server) getKey(c *call) error {
	s.mu.Lock()
	k, ok := s.data.key(c.params["id"])
	visible := ok && s.data.canSeeKey(c.user.ID, k)
	s.mu.Unlock()
	if !visible {
		return notFound()
	}
	writeJSON(c.w, http.StatusOK, viewKey(k))
	return nil
}

func (s *Server) updateKeyHandler(c *call) error {
	var up keyUpdate
	if err := decodeBody(c, &up); err != nil {
		return err
	}
	k, err := s.updateKey(c.user.ID, c.params["id"], up)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, viewKey(k))
	return nil
}

func (s *Server) deleteKeyHandler(c *call) error {
	id := c.params["id"]
	s.mu.Lock()
	k, ok := s.data.key(id)
	if !ok || !s.data.canSeeKey(c.user.ID, k) {
		s.mu.Unlock()
		return notFound()
	}
	s.data.deleteKey(id)
	err := s.persistLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listDevices(c *call) error {
	id, err := s.visibleProject(c)
	if err != nil {
		return err
	}
	term := strings.ToLower(searchTerm(c.r))
	s.mu.Lock()
	all := []deviceJSON{}
	for _, d := range s.data.devicesOf(id) {
		if term == "" || strings.Contains(strings.ToLower(d.Hostname), term) || strings.HasPrefix(d.ID, term) {
			all = append(all, s.viewDevice(d))
		}
	}
	s.mu.Unlock()
	page, meta, err := paginate(c.r, all)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, deviceListJSON{Devices: page, Meta: meta})
	return nil
}

// deviceCreateBody is DeviceCreateInput as far as the mock cares. facility may
// be a string or a list (packngo sends a list).
type deviceCreateBody struct {
	Hostname        string          `json:"hostname"`
	Plan            string          `json:"plan"`
	Metro           string          `json:"metro"`
	Facility        json.RawMessage `json:"facility"`
	OperatingSystem string          `json:"operating_system"`
	ProjectSSHKeys  []string        `json:"project_ssh_keys"`
	UserSSHKeys     []string        `json:"user_ssh_keys"`
	NoSSHKeys       bool            `json:"no_ssh_keys"`
	Tags            []string        `json:"tags"`
	BillingCycle    string          `json:"billing_cycle"`
	Description     string          `json:"description"`
	Locked          bool            `json:"locked"`
	AlwaysPXE       bool            `json:"always_pxe"`
	IPXEScriptURL   string          `json:"ipxe_script_url"`
	UserData        string          `json:"userdata"`
	CustomData      json.RawMessage `json:"customdata"`
}

// settings are the fields the device stores as sent and shows back.
func (b deviceCreateBody) settings() (deviceSettings, error) {
	custom, err := customDataObject(b.CustomData)
	return deviceSettings{
		BillingCycle: b.BillingCycle, Description: b.Description, Locked: b.Locked, AlwaysPXE: b.AlwaysPXE,
		IPXEScriptURL: b.IPXEScriptURL, UserData: b.UserData, CustomData: custom,
	}, err
}

func (b deviceCreateBody) facility() (string, error) {
	if len(b.Facility) == 0 || string(b.Facility) == "null" {
		return "", nil
	}
	var one string
	if json.Unmarshal(b.Facility, &one) == nil {
		return one, nil
	}
	var many []string
	if json.Unmarshal(b.Facility, &many) == nil {
		if len(many) == 0 {
			return "", nil
		}
		return many[0], nil
	}
	return "", errorf(http.StatusUnprocessableEntity, "facility must be a string or a list of strings")
}

func (s *Server) createDeviceHandler(c *call) error {
	var body deviceCreateBody
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	facility, err := body.facility()
	if err != nil {
		return err
	}
	settings, err := body.settings()
	if err != nil {
		return err
	}
	rec, err := s.createDevice(c.user.ID, deviceInput{
		SeedDevice: SeedDevice{
			Hostname: body.Hostname, ProjectID: c.params["id"],
			ProjectSSHKeys: body.ProjectSSHKeys, UserSSHKeys: body.UserSSHKeys, NoSSHKeys: body.NoSSHKeys,
		},
		Plan: body.Plan, Metro: body.Metro, Facility: facility, OS: body.OperatingSystem, Tags: body.Tags,
		deviceSettings: settings,
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	view := s.viewDevice(rec)
	s.mu.Unlock()
	writeJSON(c.w, http.StatusCreated, view)
	return nil
}

// visibleDevice finds a device in one of the caller's projects. Caller holds s.mu.
func (s *Server) visibleDevice(c *call) (*deviceRecord, error) {
	d, ok := s.data.device(c.params["id"])
	if !ok || !s.data.isMember(c.user.ID, d.ProjectID) {
		return nil, notFound()
	}
	return d, nil
}

func (s *Server) getDevice(c *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, err := s.visibleDevice(c)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, s.viewDevice(d))
	return nil
}

func (s *Server) deleteDeviceHandler(c *call) error {
	s.mu.Lock()
	d, err := s.visibleDevice(c)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	// A concurrent delete may win; either way the device is gone.
	s.DeleteDevice(d.ID)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listDeviceKeys(c *call) error {
	s.mu.Lock()
	d, err := s.visibleDevice(c)
	var keys []SSHKey
	if err == nil {
		keys = s.data.existingKeys(d)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	term := searchTerm(c.r)
	keys = slices.DeleteFunc(keys, func(k SSHKey) bool { return !keyMatches(k, term) })
	page, meta, err := paginateIfAsked(c.r, keys)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, sshKeyListJSON{SSHKeys: viewKeys(page), Meta: meta})
	return nil
}
