package metal

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
)

func TestSSHKeyParsingAndOwner(t *testing.T) {
	tests := []struct {
		name string
		edit func(map[string]any)
		want Owner
	}{
		{"owner project", func(m map[string]any) {}, Owner{Kind: OwnerProject, ID: projectID}},
		{"entity user", func(m map[string]any) {
			delete(m, "owner")
			m["entity"] = map[string]any{"href": "/metal/v1/users/" + userID}
		}, Owner{Kind: OwnerUser, ID: userID}},
		{"owner without prefix", func(m map[string]any) {
			m["owner"] = map[string]any{"href": "/users/" + userID}
		}, Owner{Kind: OwnerUser, ID: userID}},
		{"no owner", func(m map[string]any) { delete(m, "owner") }, Owner{}},
		{"unknown owner kind", func(m map[string]any) {
			m["owner"] = map[string]any{"href": "/metal/v1/facilities/" + userID}
		}, Owner{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := keyJSON(keyID)
			tt.edit(body)
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, body) })
			key, err := newTestClient(t, f, nil).GetSSHKey(context.Background(), keyID)
			if err != nil {
				t.Fatal(err)
			}
			if key.Owner != tt.want {
				t.Errorf("owner = %+v, want %+v", key.Owner, tt.want)
			}
			want := SSHKey{
				ID: keyID, Label: "laptop", Key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0 me", Fingerprint: "aa:bb:cc",
				Tags: []string{"ops"}, Owner: tt.want, CreatedAt: "2024-01-02T03:04:05Z", UpdatedAt: "2024-01-02T03:04:06Z",
				Href: "/metal/v1/ssh-keys/" + keyID,
			}
			if !reflect.DeepEqual(*key, want) {
				t.Errorf("key = %+v\nwant  %+v", *key, want)
			}
		})
	}
}

func TestCreateSSHKeyPathsAndBody(t *testing.T) {
	tests := []struct {
		owner    Owner
		in       SSHKeyCreate
		path     string
		wantBody string
	}{
		{Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "a", Key: "k", Tags: []string{"t1"}},
			"/metal/v1/projects/" + projectID + "/ssh-keys", `{"label":"a","key":"k","tags":["t1"]}`},
		{Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "b", Key: "k2"},
			"/metal/v1/ssh-keys", `{"label":"b","key":"k2"}`},
	}
	for _, tt := range tests {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 201, keyJSON(keyID)) })
		if _, err := newTestClient(t, f, nil).CreateSSHKey(context.Background(), tt.owner, tt.in); err != nil {
			t.Fatal(err)
		}
		got := f.seen()[0]
		if got.Method != http.MethodPost || got.Path != tt.path {
			t.Errorf("%s %s, want POST %s", got.Method, got.Path, tt.path)
		}
		assertJSONEqual(t, got.Body, tt.wantBody)
	}
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	if _, err := newTestClient(t, f, nil).CreateSSHKey(context.Background(), Owner{Kind: "org"}, SSHKeyCreate{}); err == nil {
		t.Error("unknown owner kind accepted")
	}
}

func TestUpdateSSHKeyBody(t *testing.T) {
	label := "new"
	noTags := []string{}
	tags := []string{"a", "b"}
	tests := []struct {
		in   SSHKeyUpdate
		want string
	}{
		{SSHKeyUpdate{Label: &label}, `{"label":"new"}`},
		{SSHKeyUpdate{Tags: &noTags}, `{"tags":[]}`},
		{SSHKeyUpdate{Label: &label, Tags: &tags}, `{"label":"new","tags":["a","b"]}`},
	}
	for _, tt := range tests {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, keyJSON(keyID)) })
		if _, err := newTestClient(t, f, nil).UpdateSSHKey(context.Background(), keyID, tt.in); err != nil {
			t.Fatal(err)
		}
		got := f.seen()[0]
		if got.Method != http.MethodPatch || got.Path != "/metal/v1/ssh-keys/"+keyID {
			t.Errorf("%s %s, want PATCH /metal/v1/ssh-keys/%s", got.Method, got.Path, keyID)
		}
		assertJSONEqual(t, got.Body, tt.want)
	}
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	if _, err := newTestClient(t, f, nil).UpdateSSHKey(context.Background(), keyID, SSHKeyUpdate{}); err == nil || f.hits() != 0 {
		t.Errorf("empty update: err %v after %d requests, want an error and none", err, f.hits())
	}
}

func TestDeleteSSHKey(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusNoContent) })
	if err := newTestClient(t, f, nil).DeleteSSHKey(context.Background(), keyID); err != nil {
		t.Fatal(err)
	}
	if got := f.seen()[0]; got.Method != http.MethodDelete || got.Path != "/metal/v1/ssh-keys/"+keyID {
		t.Errorf("%s %s", got.Method, got.Path)
	}
}

// pagedKeys serves 7 keys in pages of per_page (default 3), linking pages
// the way style says: "next" hrefs or "last_page" numbers.
func pagedKeys(t *testing.T, style string) *fakeAPI {
	const total = 7
	return newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		q := r.URL.Query()
		per, _ := strconv.Atoi(q.Get("per_page"))
		if per == 0 {
			per = 3
		}
		page, _ := strconv.Atoi(q.Get("page"))
		if page == 0 {
			page = 1
		}
		last := (total + per - 1) / per
		var keys []map[string]any
		for i := (page - 1) * per; i < min(page*per, total); i++ {
			keys = append(keys, keyJSON("00000000-0000-4000-8000-00000000000"+strconv.Itoa(i)))
		}
		meta := map[string]any{"total": total}
		switch style {
		case "next":
			if page < last {
				next := url.Values{"page": {strconv.Itoa(page + 1)}}
				if q.Has("per_page") {
					next.Set("per_page", q.Get("per_page"))
				}
				meta["next"] = map[string]any{"href": r.URL.Path + "?" + next.Encode()}
			}
		case "last_page":
			meta["current_page"], meta["last_page"] = page, last
		}
		writeJSON(w, 200, map[string]any{"ssh_keys": keys, "meta": meta})
	})
}

func TestListSSHKeysFollowsAllPages(t *testing.T) {
	for _, style := range []string{"next", "last_page"} {
		t.Run(style, func(t *testing.T) {
			f := pagedKeys(t, style)
			keys, err := newTestClient(t, f, nil).ListSSHKeys(context.Background(), Owner{Kind: OwnerProject, ID: projectID},
				ListOptions{Search: "lap top", PerPage: 2})
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 7 {
				t.Fatalf("got %d keys, want 7", len(keys))
			}
			for i, k := range keys {
				if want := "00000000-0000-4000-8000-00000000000" + strconv.Itoa(i); k.ID != want {
					t.Errorf("key %d = %s, want %s", i, k.ID, want)
				}
			}
			seen := f.seen()
			if len(seen) != 4 {
				t.Fatalf("server saw %d requests, want 4 pages", len(seen))
			}
			for i, r := range seen {
				q, _ := url.ParseQuery(r.RawQuery)
				if r.Path != "/metal/v1/projects/"+projectID+"/ssh-keys" || q.Get("per_page") != "2" || q.Get("query") != "lap top" {
					t.Errorf("request %d: %s?%s", i, r.Path, r.RawQuery)
				}
			}
		})
	}
}

// Without PerPage the list asks for PageSize and still follows the pages
// the server makes.
func TestListSSHKeysDefaultPaging(t *testing.T) {
	f := pagedKeys(t, "next")
	keys, err := newTestClient(t, f, nil).ListSSHKeys(context.Background(), Owner{Kind: OwnerUser}, ListOptions{Search: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 7 {
		t.Errorf("got %d keys, want 7", len(keys))
	}
	first := f.seen()[0]
	if first.Path != "/metal/v1/ssh-keys" || first.RawQuery != "per_page=1000&search=x" {
		t.Errorf("first request %s?%s, want /metal/v1/ssh-keys?per_page=1000&search=x", first.Path, first.RawQuery)
	}
}

func TestListStopsOnPaginationLoop(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, 200, map[string]any{"ssh_keys": []any{}, "meta": map[string]any{"next": map[string]any{"href": "/metal/v1/ssh-keys?page=2"}}})
	})
	_, err := newTestClient(t, f, nil).ListSSHKeys(context.Background(), Owner{Kind: OwnerUser}, ListOptions{})
	if err == nil {
		t.Fatal("a self-referencing next link did not stop the listing")
	}
	if f.hits() > 3 {
		t.Errorf("server saw %d requests before the loop was noticed", f.hits())
	}
}

func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body = %s, want %s", got, want)
	}
}
