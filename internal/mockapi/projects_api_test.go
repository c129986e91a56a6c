package mockapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/packethost/packngo"
)

func newPackngo(t *testing.T, e *env, token string) *packngo.Client {
	t.Helper()
	c, err := packngo.NewClient(
		packngo.WithAuth("consumer", token),
		packngo.WithBaseURL(e.base+"/"),
		packngo.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestProjectLifecycleWithPackngo: a module's test that makes its own
// project, as the earlier providers' acceptance tests do, creates, reads,
// renames and deletes it with packngo's ProjectService (POST, GET, PATCH,
// DELETE /projects), and reads its BGP config as their project Read does.
func TestProjectLifecycleWithPackngo(t *testing.T) {
	e := newEnv(t, Options{})
	c := newPackngo(t, e, DefaultToken)
	org := "5d2f0a34-1f7c-4a3e-9d2a-6b0c7e8f9a10"
	p, _, err := c.Projects.Create(&packngo.ProjectCreateRequest{Name: "tf-test", OrganizationID: org})
	if err != nil {
		t.Fatalf("Projects.Create: %v", err)
	}
	if !validUUID(p.ID) || p.Name != "tf-test" || !strings.HasSuffix(p.Organization.URL, "/"+org) {
		t.Fatalf("created = %+v", p)
	}
	got, _, err := c.Projects.Get(p.ID, nil)
	if err != nil || got.Name != "tf-test" || len(got.Users) != 1 || !strings.HasSuffix(got.Users[0].URL, DefaultUserID) {
		t.Fatalf("Projects.Get = %+v, %v", got, err)
	}
	if _, _, err := c.BGPConfig.Get(p.ID, nil); err != nil {
		t.Errorf("BGPConfig.Get: %v", err)
	}
	name, pm, transfer := "renamed", "0e9f8d7c-6b5a-4938-8271-605f4e3d2c1b", true
	up, _, err := c.Projects.Update(p.ID, &packngo.ProjectUpdateRequest{Name: &name, PaymentMethodID: &pm, BackendTransfer: &transfer})
	if err != nil || up.Name != name || !strings.HasSuffix(up.PaymentMethod.URL, "/"+pm) || !up.BackendTransfer {
		t.Fatalf("Projects.Update = %+v, %v", up, err)
	}
	// The new project is a place for keys and devices like any other.
	k, _, err := c.SSHKeys.Create(&packngo.SSHKeyCreateRequest{Label: "k", Key: newKeyLine(t, "k"), ProjectID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Projects.Create(&packngo.ProjectCreateRequest{Name: ""}); err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("a project without a name: %v, want 422", err)
	}
	if _, err := c.Projects.Delete(p.ID); err != nil {
		t.Fatalf("Projects.Delete: %v", err)
	}
	if _, _, err := c.Projects.Get(p.ID, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("Get after delete: %v", err)
	}
	if _, ok := e.srv.SSHKey(k.ID); ok {
		t.Error("the deleted project's key is still stored")
	}
}

// TestProjectAccess: only members see, change or delete a project; a
// read-only token may not create one; a project with devices is kept.
func TestProjectAccess(t *testing.T) {
	e := newEnv(t, Options{})
	var p projectJSON
	e.expect(e.do("POST", "/projects", DefaultToken, map[string]any{"name": "mine"}), http.StatusCreated).decode(t, &p)
	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
		e.expect(e.do(m, "/projects/"+p.ID, OtherToken, map[string]any{"name": "theirs"}), http.StatusNotFound)
	}
	e.expect(e.do("POST", "/projects", ReadOnlyToken, map[string]any{"name": "x"}), http.StatusForbidden)
	e.expect(e.do("PUT", "/projects/"+p.ID, DefaultToken, map[string]any{"name": ""}), http.StatusUnprocessableEntity)
	e.expect(e.do("POST", "/projects", DefaultToken, map[string]any{"name": "x", "organization_id": "nope"}), http.StatusUnprocessableEntity)
	e.expect(e.do("POST", "/projects/"+p.ID+"/devices", DefaultToken, map[string]any{"hostname": "d", "plan": "c3.small.x86", "metro": "sv", "operating_system": "ubuntu_22_04"}), http.StatusCreated)
	if res := e.expect(e.do("DELETE", "/projects/"+p.ID, DefaultToken, nil), http.StatusUnprocessableEntity); !strings.Contains(res.errorText(t), "device") {
		t.Errorf("deleting a project with a device: %s", res.body)
	}
	var other projectListJSON
	e.expect(e.do("GET", "/projects", OtherToken, nil), http.StatusOK).decode(t, &other)
	for _, op := range other.Projects {
		if op.ID == p.ID {
			t.Error("another user lists the new project")
		}
	}
}
