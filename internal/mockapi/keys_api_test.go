package mockapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t, Options{})
	for _, token := range []string{"", "wrong-token"} {
		res := e.expect(e.do("GET", "/ssh-keys", token, nil), http.StatusUnauthorized)
		if msg := res.errorText(t); token != "" && strings.Contains(msg, token) {
			t.Errorf("401 message echoes the token: %q", msg)
		}
	}
	// A read-only token reads but cannot write.
	e.expect(e.do("GET", "/projects/"+DefaultProjectID+"/ssh-keys", ReadOnlyToken, nil), http.StatusOK)
	e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/ssh-keys", ReadOnlyToken, map[string]string{"label": "x", "key": newKeyLine(t, "x")}), http.StatusForbidden)
	k := e.createProjectKey("mine", newKeyLine(t, "a"))
	for _, method := range []string{"PATCH", "PUT", "DELETE"} {
		e.expect(e.do(method, "/ssh-keys/"+k.ID, ReadOnlyToken, map[string]string{"label": "y"}), http.StatusForbidden)
	}
	if got, _ := e.srv.SSHKey(k.ID); got.Label != "mine" {
		t.Errorf("read-only write changed the key: %+v", got)
	}
	// Another user's project and keys do not exist for the caller.
	e.expect(e.do("GET", "/projects/"+OtherProjectID, DefaultToken, nil), http.StatusNotFound)
	e.expect(e.do("GET", "/projects/"+OtherProjectID+"/ssh-keys", DefaultToken, nil), http.StatusNotFound)
	e.expect(e.do("POST", "/projects/"+OtherProjectID+"/ssh-keys", DefaultToken, map[string]string{"label": "x", "key": newKeyLine(t, "x")}), http.StatusNotFound)
	e.expect(e.do("GET", "/ssh-keys/"+k.ID, OtherToken, nil), http.StatusNotFound)
	e.expect(e.do("DELETE", "/ssh-keys/"+k.ID, OtherToken, nil), http.StatusNotFound)
	if _, ok := e.srv.SSHKey(k.ID); !ok {
		t.Error("another user deleted the key")
	}
}

func TestCurrentUserAndProjects(t *testing.T) {
	e := newEnv(t, Options{})
	for _, path := range []string{"/users/me", "/user"} {
		var u userJSON
		e.expect(e.do("GET", path, DefaultToken, nil), 200).decode(t, &u)
		if u.ID != DefaultUserID || u.Email != "dev@example.com" || u.Href != "/metal/v1/users/"+DefaultUserID {
			t.Errorf("%s = %+v", path, u)
		}
	}
	var other userJSON
	e.expect(e.do("GET", "/users/me", OtherToken, nil), 200).decode(t, &other)
	if other.ID != OtherUserID {
		t.Errorf("other user = %+v", other)
	}

	var list projectListJSON
	e.expect(e.do("GET", "/projects", DefaultToken, nil), 200).decode(t, &list)
	if len(list.Projects) != 1 || list.Projects[0].ID != DefaultProjectID || list.Meta == nil || list.Meta.Total != 1 {
		t.Fatalf("projects = %+v", list)
	}
	var p projectJSON
	e.expect(e.do("GET", "/projects/"+DefaultProjectID, DefaultToken, nil), 200).decode(t, &p)
	if p.Name != "mock-project" || p.Href != "/metal/v1/projects/"+DefaultProjectID || len(p.Members) != 2 {
		t.Errorf("project = %+v", p)
	}
	e.expect(e.do("GET", "/projects/"+uuid.NewString(), DefaultToken, nil), 404)
}

func TestProjectKeyLifecycle(t *testing.T) {
	clock := &fakeClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, Options{Clock: clock.Now})
	line := newKeyLine(t, "alice@laptop")
	var k sshKeyJSON
	e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/ssh-keys", DefaultToken,
		map[string]any{"label": "alice", "key": "  " + line + "\n", "tags": []string{"team"}}), 201).decode(t, &k)
	if _, err := uuid.Parse(k.ID); err != nil {
		t.Fatalf("id %q: %v", k.ID, err)
	}
	wantOwner := "/metal/v1/projects/" + DefaultProjectID
	if k.Key != "  "+line+"\n" || k.Label != "alice" || k.Fingerprint != md5Of(t, line) || k.Href != "/metal/v1/ssh-keys/"+k.ID ||
		k.Owner.Href != wantOwner || k.Entity.Href != wantOwner || k.CreatedAt != "2024-05-01T12:00:00Z" || len(k.Tags) != 1 {
		t.Fatalf("created key = %+v", k)
	}

	var got sshKeyJSON
	e.expect(e.do("GET", "/ssh-keys/"+k.ID, DefaultToken, nil), 200).decode(t, &got)
	if got.ID != k.ID || got.Fingerprint != k.Fingerprint {
		t.Errorf("GET = %+v", got)
	}

	clock.Advance(time.Minute)
	e.expect(e.do("PATCH", "/ssh-keys/"+k.ID, DefaultToken, map[string]any{"label": "alice-2"}), 200).decode(t, &got)
	if got.Label != "alice-2" || got.Key != k.Key || got.UpdatedAt != "2024-05-01T12:01:00Z" || got.CreatedAt != k.CreatedAt {
		t.Errorf("PATCH = %+v", got)
	}
	line2 := newKeyLine(t, "new")
	e.expect(e.do("PUT", "/ssh-keys/"+k.ID, DefaultToken, map[string]any{"key": line2, "tags": []string{}}), 200).decode(t, &got)
	if got.Label != "alice-2" || got.Key != line2 || got.Fingerprint != md5Of(t, line2) || len(got.Tags) != 0 {
		t.Errorf("PUT = %+v", got)
	}

	var list sshKeyListJSON
	e.expect(e.do("GET", "/projects/"+DefaultProjectID+"/ssh-keys", ReadOnlyToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != 1 || list.SSHKeys[0].ID != k.ID {
		t.Errorf("project list = %+v", list)
	}
	// A project key is not a personal key.
	e.expect(e.do("GET", "/ssh-keys", DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != 0 {
		t.Errorf("personal list shows project keys: %+v", list)
	}

	e.expect(e.do("DELETE", "/ssh-keys/"+k.ID, DefaultToken, nil), 204)
	e.expect(e.do("GET", "/ssh-keys/"+k.ID, DefaultToken, nil), 404)
	e.expect(e.do("DELETE", "/ssh-keys/"+k.ID, DefaultToken, nil), 404)
}

func TestPersonalKeys(t *testing.T) {
	e := newEnv(t, Options{})
	var mine, theirs sshKeyJSON
	e.expect(e.do("POST", "/ssh-keys", DefaultToken, map[string]string{"label": "mine", "key": newKeyLine(t, "m")}), 201).decode(t, &mine)
	e.expect(e.do("POST", "/ssh-keys", OtherToken, map[string]string{"label": "theirs", "key": newKeyLine(t, "t")}), 201).decode(t, &theirs)
	e.createProjectKey("project", newKeyLine(t, "p"))
	if mine.Owner.Href != "/metal/v1/users/"+DefaultUserID || mine.Entity.Href != mine.Owner.Href {
		t.Errorf("owner = %+v", mine)
	}
	var list sshKeyListJSON
	e.expect(e.do("GET", "/ssh-keys", DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != 1 || list.SSHKeys[0].ID != mine.ID {
		t.Errorf("GET /ssh-keys = %+v", list.SSHKeys)
	}
	e.expect(e.do("GET", "/ssh-keys/"+theirs.ID, DefaultToken, nil), 404)
	// A project member does not see a colleague's personal key either.
	e.expect(e.do("GET", "/ssh-keys/"+mine.ID, ReadOnlyToken, nil), 404)
}

func TestKeyValidation(t *testing.T) {
	e := newEnv(t, Options{})
	line := newKeyLine(t, "dup")
	e.createProjectKey("first", line)
	blob := strings.Fields(line)[1]
	rfc4716 := "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"x\"\n" + blob + "\n---- END SSH2 PUBLIC KEY ----\n"
	cases := []struct {
		name string
		body any
		want string
	}{
		{"garbage key", map[string]string{"label": "a", "key": "ssh-rsa not-base64!"}, "invalid"},
		{"rfc4716", map[string]string{"label": "a", "key": rfc4716}, "RFC 4716"},
		{"options prefix", map[string]string{"label": "a", "key": `command="ls" ` + newKeyLine(t, "o")}, "invalid"},
		{"two keys", map[string]string{"label": "a", "key": newKeyLine(t, "1") + "\n" + newKeyLine(t, "2")}, "single line"},
		{"missing label", map[string]string{"key": newKeyLine(t, "l")}, "label"},
		{"missing key", map[string]string{"label": "a"}, "key is required"},
		{"duplicate fingerprint, other comment", map[string]string{"label": "b", "key": strings.Fields(line)[0] + " " + blob + " other"}, "already"},
		{"malformed JSON", `{"label": "a", "key": `, "malformed JSON"},
		{"wrong type", `{"label": 5, "key": "x"}`, "label"},
		{"empty body", ``, "JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/ssh-keys", DefaultToken, tc.body), 422).errorText(t)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not mention %q", msg, tc.want)
			}
		})
	}
	// The same key under another owner is fine.
	e.expect(e.do("POST", "/ssh-keys", DefaultToken, map[string]string{"label": "personal copy", "key": line}), 201)
	// Changing a key to a duplicate is refused too.
	other := e.createProjectKey("second", newKeyLine(t, "s"))
	e.expect(e.do("PATCH", "/ssh-keys/"+other.ID, DefaultToken, map[string]string{"key": line}), 422)
	e.expect(e.do("PATCH", "/ssh-keys/"+other.ID, DefaultToken, map[string]string{"label": ""}), 422)
	if n := len(e.srv.SSHKeys()); n != 3 {
		t.Errorf("%d keys stored, want 3", n)
	}
	// Oversized bodies are 413.
	huge := fmt.Sprintf(`{"label":"x","key":"%s"}`, strings.Repeat("A", maxBodyBytes+10))
	e.expect(e.do("POST", "/ssh-keys", DefaultToken, huge), http.StatusRequestEntityTooLarge)
}

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t, Options{})
	e.expect(e.do("GET", "/nope", DefaultToken, nil), 404)
	e.expect(e.do("GET", "/ssh-keys/a/b", DefaultToken, nil), 404)
	res := e.expect(e.do("DELETE", "/ssh-keys", DefaultToken, nil), 405)
	if allow := res.header.Get("Allow"); allow != "GET, POST" {
		t.Errorf("Allow = %q", allow)
	}
	// Outside the prefix nothing is served.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", strings.TrimSuffix(e.base, APIPrefix)+"/ssh-keys", nil)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 404 {
		t.Errorf("outside prefix: %d", r.StatusCode)
	}
	e.expect(e.do("GET", "/ssh-keys/"+uuid.NewString(), DefaultToken, nil), 404)
}

func TestSearchAndPagination(t *testing.T) {
	e := newEnv(t, Options{})
	var ids []string
	for i := range 25 {
		ids = append(ids, e.createProjectKey(fmt.Sprintf("key-%02d", i), newKeyLine(t, "c")).ID)
	}
	base := "/projects/" + DefaultProjectID + "/ssh-keys"
	var list sshKeyListJSON
	e.expect(e.do("GET", base, DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != 25 || list.Meta != nil {
		t.Fatalf("unpaginated: %d keys, meta %+v", len(list.SSHKeys), list.Meta)
	}

	e.expect(e.do("GET", base+"?page=2&per_page=10", DefaultToken, nil), 200).decode(t, &list)
	m := list.Meta
	if len(list.SSHKeys) != 10 || list.SSHKeys[0].ID != ids[10] || m == nil {
		t.Fatalf("page 2: %d keys, meta %+v", len(list.SSHKeys), m)
	}
	if m.CurrentPage != 2 || m.LastPage != 3 || m.Total != 25 || m.Previous == nil || m.Next == nil ||
		m.Self.Href != "/metal/v1"+base+"?page=2&per_page=10" || m.Next.Href != "/metal/v1"+base+"?page=3&per_page=10" ||
		m.First.Href != "/metal/v1"+base+"?page=1&per_page=10" || m.Last.Href != "/metal/v1"+base+"?page=3&per_page=10" {
		t.Errorf("meta = %+v", m)
	}
	list = sshKeyListJSON{}
	e.expect(e.do("GET", base+"?page=3&per_page=10", DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != 5 || list.Meta.Next != nil || list.SSHKeys[4].ID != ids[24] {
		t.Errorf("last page: %d keys, meta %+v", len(list.SSHKeys), list.Meta)
	}
	list = sshKeyListJSON{}
	e.expect(e.do("GET", base+"?page=1", DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != defaultPerPage || list.Meta.Previous != nil {
		t.Errorf("default per_page: %d keys, meta %+v", len(list.SSHKeys), list.Meta)
	}
	e.expect(e.do("GET", base+"?page=0", DefaultToken, nil), 422)
	e.expect(e.do("GET", base+"?per_page=abc", DefaultToken, nil), 422)

	// search: label, fingerprint, key; "query" is the spec's name for it.
	e.expect(e.do("GET", base+"?search=KEY-07", DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != 1 || list.SSHKeys[0].ID != ids[7] {
		t.Errorf("search by label: %+v", list.SSHKeys)
	}
	k, _ := e.srv.SSHKey(ids[3])
	e.expect(e.do("GET", base+"?query="+k.Fingerprint, DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != 1 || list.SSHKeys[0].ID != ids[3] {
		t.Errorf("search by fingerprint: %+v", list.SSHKeys)
	}
	blob := strings.Fields(k.Key)[1]
	e.expect(e.do("GET", base+"?search="+url.QueryEscape(blob[20:40])+"&per_page=5", DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != 1 || list.Meta.Total != 1 || !strings.Contains(list.Meta.Self.Href, "search=") {
		t.Errorf("search by key with paging: %+v meta %+v", list.SSHKeys, list.Meta)
	}
}
