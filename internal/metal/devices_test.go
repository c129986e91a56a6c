package metal

import (
	"context"
	"net/http"
	"reflect"
	"testing"
)

const otherKeyID = "7c6b5a49-3827-4165-a4b3-c2d1e0f9a8b7"

func deviceBody() map[string]any {
	return map[string]any{
		"id": deviceID, "hostname": "web-1", "state": "active", "href": "/metal/v1/devices/" + deviceID,
		"created_at": "2024-01-02T03:04:05Z",
		"project":    map[string]any{"href": "/metal/v1/projects/" + projectID},
		"ip_addresses": []any{
			map[string]any{"address": "10.0.0.5", "address_family": 4, "public": false, "management": true},
			map[string]any{"address": "2604:1380::1", "address_family": 6, "public": true, "management": true},
			map[string]any{"address": "147.75.1.2", "address_family": 4, "public": true, "management": true},
			map[string]any{"address": "147.75.9.9", "address_family": 4, "public": true},
		},
		"root_password": "pw-Root-123",
		"ssh_keys": []any{
			map[string]any{"href": "/metal/v1/ssh-keys/" + keyID},
			map[string]any{"href": "/metal/v1/ssh-keys/" + otherKeyID},
		},
		"ssh_host_key": "ssh-ed25519 AAAAhost",
		"ssh_port":     2222,
	}
}

func TestGetDeviceParsing(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, deviceBody()) })
	d, err := newTestClient(t, f, nil).GetDevice(context.Background(), deviceID)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.seen()[0].Path; got != "/metal/v1/devices/"+deviceID {
		t.Errorf("path = %s", got)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"PublicIPv4", d.PublicIPv4(), "147.75.1.2"},
		{"PublicIPv6", d.PublicIPv6(), "2604:1380::1"},
		{"RootPassword", d.RootPassword, "pw-Root-123"},
		{"SSHKeyIDs", d.SSHKeyIDs, []string{keyID, otherKeyID}},
		{"ProjectID", d.ProjectID, projectID},
		{"Hostname", d.Hostname, "web-1"},
		{"State", d.State, "active"},
		{"SSHPort", d.SSHPort, 2222},
		{"CreatedAt", d.CreatedAt, "2024-01-02T03:04:05Z"},
		{"addresses", len(d.IPAddresses), 4},
		{"private address", d.IPAddresses[0], IPAddress{Address: "10.0.0.5", AddressFamily: 4, Management: true}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestDeviceWithoutOptionalFields(t *testing.T) {
	body := deviceBody()
	for _, k := range []string{"root_password", "ssh_keys", "ssh_host_key", "ssh_port", "project"} {
		delete(body, k)
	}
	body["ip_addresses"] = []any{map[string]any{"address": "10.0.0.5", "address_family": 4, "public": false}}
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, body) })
	d, err := newTestClient(t, f, nil).GetDevice(context.Background(), deviceID)
	if err != nil {
		t.Fatal(err)
	}
	if d.PublicIPv4() != "" || d.PublicIPv6() != "" || d.RootPassword != "" || d.SSHKeyIDs != nil || d.SSHPort != 0 || d.ProjectID != "" {
		t.Errorf("device = %+v, want empty optional fields", d)
	}
}

func TestListProjectDevices(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		meta := map[string]any{"current_page": n, "last_page": 2}
		writeJSON(w, 200, map[string]any{"devices": []any{deviceBody()}, "meta": meta})
	})
	devs, err := newTestClient(t, f, nil).ListProjectDevices(context.Background(), projectID, ListOptions{PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || devs[1].PublicIPv4() != "147.75.1.2" {
		t.Errorf("devices = %+v, want 2 parsed devices", devs)
	}
	seen := f.seen()
	if seen[0].Path != "/metal/v1/projects/"+projectID+"/devices" || seen[1].RawQuery != "page=2&per_page=1" {
		t.Errorf("requests %s?%s then %s?%s", seen[0].Path, seen[0].RawQuery, seen[1].Path, seen[1].RawQuery)
	}
}

func TestGetProject(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, map[string]any{"id": projectID, "name": "infra"})
	})
	c := newTestClient(t, f, nil)
	p, err := c.GetProject(context.Background(), projectID)
	if err != nil {
		t.Fatal(err)
	}
	if *p != (Project{ID: projectID, Name: "infra"}) {
		t.Errorf("project = %+v", p)
	}
	if got := f.seen()[0].Path; got != "/metal/v1/projects/"+projectID {
		t.Errorf("project path = %s", got)
	}
}

func TestUndecodableSuccessIsAmbiguous(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id": 12`))
	})
	_, err := newTestClient(t, f, nil).CreateSSHKey(context.Background(), Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "l", Key: "k"})
	if err == nil || !IsAmbiguous(err) || !IsStatus(err, http.StatusCreated) {
		t.Errorf("error = %v, want an ambiguous 201", err)
	}
}
