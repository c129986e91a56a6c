package metal

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// Every list asks for PageSize items a page unless told otherwise: the
// API's default page is 10, so a list without per_page costs ten times the
// requests.
func TestEveryListAsksForAFullPage(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 200, map[string]any{"devices": []any{}, "ssh_keys": []any{}})
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	lists := map[string]func() error{
		"ListSSHKeys(project)": func() error {
			_, err := c.ListSSHKeys(ctx, Owner{Kind: OwnerProject, ID: projectID}, ListOptions{})
			return err
		},
		"ListSSHKeys(user, search)": func() error {
			_, err := c.ListSSHKeys(ctx, Owner{Kind: OwnerUser}, ListOptions{Search: "SHA256:x"})
			return err
		},
		"ListProjectDevices": func() error {
			_, err := c.ListProjectDevices(ctx, projectID, ListOptions{})
			return err
		},
		"ListProjectDevicesWithTags": func() error {
			_, err := c.ListProjectDevicesWithTags(ctx, projectID, DeviceFilter{Tag: "web"})
			return err
		},
		"KeySnapshots.List": func() error {
			_, err := NewKeySnapshots(c, 0).List(ctx, Owner{Kind: OwnerProject, ID: projectID})
			return err
		},
		"DeviceSnapshots.List": func() error {
			_, err := NewDeviceSnapshots(c, 0).List(ctx, projectID)
			return err
		},
	}
	for name, list := range lists {
		before := f.hits()
		if err := list(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen := f.seen()[before:]
		if len(seen) != 1 {
			t.Fatalf("%s made %d requests, want 1", name, len(seen))
		}
		q, _ := url.ParseQuery(seen[0].RawQuery)
		if got := q.Get("per_page"); got != strconv.Itoa(PageSize) {
			t.Errorf("%s asked for per_page %q (query %q), want %d", name, got, seen[0].RawQuery, PageSize)
		}
	}
}

// Against the mock, which pages a project's devices by 10 when no page
// size is given (as the API does), a listing of 12 devices is one request.
func TestDeviceListingOfMoreThanTheDefaultPageIsOneRequest(t *testing.T) {
	mock := mockapi.NewTestServer(t, mockapi.Options{})
	for i := range 12 {
		if _, err := mock.CreateDevice(mockapi.SeedDevice{Hostname: "node-" + strconv.Itoa(i), ProjectID: mockapi.DefaultProjectID, NoSSHKeys: true}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := New(Config{Token: mockapi.DefaultToken, BaseURL: mock.URL(), Version: testVersion, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	mock.ResetRequests()
	devices, err := c.ListProjectDevices(context.Background(), mockapi.DefaultProjectID, ListOptions{})
	if err != nil || len(devices) != 12 {
		t.Fatalf("ListProjectDevices = %d devices, %v; want 12", len(devices), err)
	}
	if n := mock.Requests()[routeListDevices]; n != 1 {
		t.Errorf("listing 12 devices took %d requests, want 1", n)
	}
}
