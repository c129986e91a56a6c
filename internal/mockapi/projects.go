package mockapi

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Projects as the earlier providers' own tests use them: create, read,
// rename, delete. The mock has no organizations or payment methods; their
// ids are kept and shown as hrefs so a provider reads back what it sent.

// projectCreateBody is ProjectCreateFromRootInput as far as the mock cares.
type projectCreateBody struct {
	Name            string   `json:"name"`
	OrganizationID  string   `json:"organization_id"`
	PaymentMethodID string   `json:"payment_method_id"`
	Tags            []string `json:"tags"`
}

// projectUpdateBody is ProjectUpdateInput; nil means "keep".
type projectUpdateBody struct {
	Name            *string   `json:"name"`
	PaymentMethodID *string   `json:"payment_method_id"`
	BackendTransfer *bool     `json:"backend_transfer_enabled"`
	Tags            *[]string `json:"tags"`
}

// checkProjectName applies the spec's rules: 1 to 80 characters, none
// encoded in more than 3 bytes.
func checkProjectName(name string) error {
	n := utf8.RuneCountInString(name)
	if strings.TrimSpace(name) == "" || n > 80 {
		return errorf(http.StatusUnprocessableEntity, "name must be 1 to 80 characters long")
	}
	for _, r := range name {
		if utf8.RuneLen(r) > 3 {
			return errorf(http.StatusUnprocessableEntity, "name cannot contain characters encoded in more than 3 bytes (such as emojis)")
		}
	}
	return nil
}

func checkOptionalUUID(field, v string) error {
	if v != "" && !validUUID(v) {
		return errorf(http.StatusUnprocessableEntity, "%s must be a UUID", field)
	}
	return nil
}

// defaultOrganization stands for the user's default organization, which the
// API puts a project in when none is given: a stable id per user.
func defaultOrganization(userID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("packet-mock/organization/"+userID)).String()
}

func (s *Server) createProject(c *call) error {
	var body projectCreateBody
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	if err := checkProjectName(body.Name); err != nil {
		return err
	}
	if err := checkOptionalUUID("organization_id", body.OrganizationID); err != nil {
		return err
	}
	if err := checkOptionalUUID("payment_method_id", body.PaymentMethodID); err != nil {
		return err
	}
	now := s.now()
	p := projectRecord{
		ID: uuid.NewString(), Name: body.Name, Members: []string{c.user.ID},
		OrganizationID: orDefault(body.OrganizationID, defaultOrganization(c.user.ID)), PaymentMethodID: body.PaymentMethodID,
		Tags: nonNil(slices.Clone(body.Tags)), CreatedAt: now, UpdatedAt: now,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data.Projects = append(s.data.Projects, p)
	if err := s.persistLocked(); err != nil {
		return err
	}
	writeJSON(c.w, http.StatusCreated, s.viewProject(p))
	return nil
}

func (s *Server) updateProject(c *call) error {
	var body projectUpdateBody
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	if body.Name != nil {
		if err := checkProjectName(*body.Name); err != nil {
			return err
		}
	}
	if body.PaymentMethodID != nil {
		if err := checkOptionalUUID("payment_method_id", *body.PaymentMethodID); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.data.projectIndex(c.params["id"])
	if i < 0 || !slices.Contains(s.data.Projects[i].Members, c.user.ID) {
		return notFound()
	}
	p := &s.data.Projects[i]
	if body.Name != nil {
		p.Name = *body.Name
	}
	if body.PaymentMethodID != nil {
		p.PaymentMethodID = *body.PaymentMethodID
	}
	if body.BackendTransfer != nil {
		p.BackendTransfer = *body.BackendTransfer
	}
	if body.Tags != nil {
		p.Tags = nonNil(slices.Clone(*body.Tags))
	}
	p.UpdatedAt = s.now()
	if err := s.persistLocked(); err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, s.viewProject(*p))
	return nil
}

// deleteProject removes a project and its keys. A project that still has
// devices is kept (422): deleting it would strand running machines.
func (s *Server) deleteProject(c *call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := c.params["id"]
	if !s.data.isMember(c.user.ID, id) {
		return notFound()
	}
	if n := len(s.data.devicesOf(id)); n > 0 {
		return errorf(http.StatusUnprocessableEntity, "the project still has %d device(s): delete them first", n)
	}
	s.data.deleteProject(id)
	if err := s.persistLocked(); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// getBGPConfig answers as the API does for a project without BGP: an empty
// object (both earlier providers read it on every project refresh).
func (s *Server) getBGPConfig(c *call) error {
	if _, err := s.visibleProject(c); err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, struct{}{})
	return nil
}
