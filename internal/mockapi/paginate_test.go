package mockapi

import (
	"fmt"
	"testing"
)

// The lists whose spec response carries "meta" (a project's devices, the
// projects) are paged as the API pages them: by per_page 10 when the
// request gives no page size, so a client that forgets per_page pays for
// it in requests. The key lists, which the spec does not page, come whole.
func TestListsPageAsTheSpecSays(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range defaultPerPage + 2 {
		if _, err := e.srv.CreateDevice(SeedDevice{Hostname: fmt.Sprintf("web-%02d", i), ProjectID: DefaultProjectID}); err != nil {
			t.Fatal(err)
		}
		e.createProjectKey(fmt.Sprintf("key-%02d", i), newKeyLine(t, "c"))
		e.expect(e.do("POST", "/projects", DefaultToken, map[string]string{"name": fmt.Sprintf("p-%02d", i)}), 201)
	}
	const n = defaultPerPage + 2

	devicesPath := "/projects/" + DefaultProjectID + "/devices"
	var devices deviceListJSON
	e.expect(e.do("GET", devicesPath, DefaultToken, nil), 200).decode(t, &devices)
	if m := devices.Meta; len(devices.Devices) != defaultPerPage || m == nil || m.CurrentPage != 1 || m.LastPage != 2 || m.Total != n || m.Next == nil {
		t.Errorf("devices without per_page: %d devices, meta %+v; want the first %d and a next page", len(devices.Devices), m, defaultPerPage)
	} else {
		devices = deviceListJSON{}
		e.expect(e.do("GET", m.Next.Href[len(APIPrefix):], DefaultToken, nil), 200).decode(t, &devices)
		if len(devices.Devices) != 2 || devices.Meta.Next != nil {
			t.Errorf("the devices' next page: %d devices, meta %+v; want the last 2", len(devices.Devices), devices.Meta)
		}
	}
	devices = deviceListJSON{}
	e.expect(e.do("GET", devicesPath+"?per_page=1000", DefaultToken, nil), 200).decode(t, &devices)
	if len(devices.Devices) != n || devices.Meta.Next != nil {
		t.Errorf("devices with per_page=1000: %d devices, meta %+v; want all %d on one page", len(devices.Devices), devices.Meta, n)
	}

	var projects projectListJSON
	e.expect(e.do("GET", "/projects", DefaultToken, nil), 200).decode(t, &projects)
	if m := projects.Meta; len(projects.Projects) != defaultPerPage || m == nil || m.Total <= defaultPerPage || m.Next == nil {
		t.Errorf("projects without per_page: %d projects, meta %+v; want the first %d and a next page", len(projects.Projects), m, defaultPerPage)
	}

	for _, path := range []string{"/projects/" + DefaultProjectID + "/ssh-keys", "/ssh-keys"} {
		var keys sshKeyListJSON
		e.expect(e.do("GET", path, DefaultToken, nil), 200).decode(t, &keys)
		if keys.Meta != nil || (path != "/ssh-keys" && len(keys.SSHKeys) != n) {
			t.Errorf("GET %s without per_page: %d keys, meta %+v; want all, unpaged", path, len(keys.SSHKeys), keys.Meta)
		}
	}
}
