package metal

import (
	"context"
	"net/http"
	"reflect"
	"testing"
)

func TestListProjectDevicesWithTags(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		body := deviceBody()
		body["tags"] = []any{"web", "prod"}
		meta := map[string]any{"current_page": n, "last_page": 2}
		writeJSON(w, 200, map[string]any{"devices": []any{body}, "meta": meta})
	})
	devs, err := newTestClient(t, f, nil).ListProjectDevicesWithTags(context.Background(), projectID, DeviceFilter{Tag: "web", PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 2 || !reflect.DeepEqual(devs[1].Tags, []string{"web", "prod"}) || devs[1].PublicIPv4() != "147.75.1.2" ||
		!reflect.DeepEqual(devs[0].SSHKeyIDs, []string{keyID, otherKeyID}) {
		t.Errorf("devices = %+v, want 2 parsed devices with tags", devs)
	}
	seen := f.seen()
	if len(seen) != 2 || seen[0].Path != "/metal/v1/projects/"+projectID+"/devices" ||
		seen[0].RawQuery != "per_page=1&tag=web" || seen[1].RawQuery != "page=2&per_page=1&tag=web" {
		t.Errorf("requests %+v", seen)
	}
	if _, err := newTestClient(t, f, nil).ListProjectDevicesWithTags(context.Background(), "nope", DeviceFilter{}); err == nil {
		t.Error("a project id that is no UUID was sent")
	}
}
