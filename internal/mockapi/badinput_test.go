package mockapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"strings"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

// badBodies are request bodies no endpoint may accept, with the status the
// mock answers (422 for anything that is not a JSON object of the right
// shape, 413 for a body over the cap).
var badBodies = []struct {
	name, body string
	status     int
}{
	{"empty", "", 422},
	{"whitespace", " \n\t ", 422},
	{"truncated", `{"label": "x", "key": `, 422},
	{"not JSON", `label=x&key=y`, 422},
	{"array", `[{"label":"x"}]`, 422},
	{"string", `"label"`, 422},
	{"number", `42`, 422},
	{"two objects", `{} {}`, 422},
	{"trailing garbage", `{"label":"x"}garbage`, 422},
	{"name of the wrong type", `{"label": 7, "hostname": 7, "name": 7, "key": "ssh-ed25519 AAAA"}`, 422},
	{"tags of the wrong type", `{"label": "x", "tags": "ops"}`, 422},
	{"tags with a number", `{"label": "x", "tags": ["ops", 7]}`, 422},
	{"nested too deep", strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001), 422},
	{"invalid UTF-8", "{\"label\": \"\xff\xfe\"}", 422},
	{"NUL bytes", "{\"label\": \"a\x00b\"}", 422},
	{"oversized", `{"label":"` + strings.Repeat("A", maxBodyBytes) + `"}`, 413},
}

// TestBadInputAtEveryEndpoint throws malformed requests at every route of the
// mock: bad bodies, bad ids, bad queries, no or a wrong token. Every answer
// must be a well-formed JSON error in the 4xx range (the spec-validating
// handler checks its shape), and the server must never panic.
func TestBadInputAtEveryEndpoint(t *testing.T) {
	t.Parallel()
	var logs testutil.SyncBuffer
	e := newEnv(t, Options{Logger: log.New(&logs, "", 0)})
	key := e.createProjectKey("existing", newKeyLine(t, "existing"))
	var dev struct {
		ID string `json:"id"`
	}
	e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/devices", DefaultToken, map[string]any{
		"hostname": "bad-input", "plan": "c3.small.x86", "metro": "sv", "operating_system": "ubuntu_22_04",
	}), 201).decode(t, &dev)
	existing := func(rt route) string {
		switch {
		case strings.HasPrefix(rt.template, "/projects/"):
			return DefaultProjectID
		case strings.HasPrefix(rt.template, "/devices/"):
			return dev.ID
		}
		return key.ID
	}

	requests := 0
	check := func(rt route, path, what string, res response, want int) {
		t.Helper()
		requests++
		if res.status >= 500 || res.status < 400 || (want != 0 && res.status != want) {
			t.Errorf("%s %s (%s): status %d, want %s; body %.200s", rt.method, path, what, res.status, wantText(want), res.body)
			return
		}
		var body errorBody
		if err := json.Unmarshal(res.body, &body); err != nil || len(body.Errors) == 0 {
			t.Errorf("%s %s (%s): not a JSON error: %.200s", rt.method, path, what, res.body)
		}
	}

	for _, rt := range routes {
		path := strings.ReplaceAll(rt.template, "{id}", existing(rt))

		check(rt, path, "no token", e.do(rt.method, path, "", nil), http.StatusUnauthorized)
		check(rt, path, "wrong token", e.do(rt.method, path, "not-"+DefaultToken, nil), http.StatusUnauthorized)

		if strings.Contains(rt.template, "{id}") {
			for _, id := range []string{"not-a-uuid", "00000000-0000-4000-8000-000000000000", "..", "00000000-0000-0000-0000-00000000000G", strings.Repeat("a", 5000)} {
				p := strings.ReplaceAll(rt.template, "{id}", id)
				res, err := e.try(rt.method, p, DefaultToken, `{"label":"x"}`)
				if err != nil {
					t.Fatalf("%s %s: %v", rt.method, p, err)
				}
				check(rt, p, "unknown id", res, 0)
			}
		}

		if isList(rt) {
			for _, q := range []string{"page=0", "page=-1", "page=abc", "per_page=0", "per_page=-5", "per_page=1e9", "page=99999999999999999999"} {
				check(rt, path+"?"+q, q, e.do(rt.method, path+"?"+q, DefaultToken, nil), 0)
			}
		}
		if rt.method == http.MethodGet || rt.method == http.MethodDelete {
			continue // takes no body
		}
		for _, b := range badBodies {
			check(rt, path, b.name, e.do(rt.method, path, DefaultToken, b.body), b.status)
		}
	}

	if strings.Contains(logs.String(), "panic") {
		t.Errorf("the mock panicked:\n%s", logs.String())
	}
	// The existing key and device survived the barrage unchanged.
	var got sshKeyJSON
	e.expect(e.do("GET", "/ssh-keys/"+key.ID, DefaultToken, nil), 200).decode(t, &got)
	if got.Label != "existing" || got.Key != key.Key {
		t.Errorf("key after bad input: %q %q, want it unchanged", got.Label, got.Key)
	}
	e.expect(e.do("GET", "/devices/"+dev.ID, DefaultToken, nil), 200)
	if requests < 10*len(routes) {
		t.Errorf("only %d bad requests sent to %d routes", requests, len(routes))
	}
}

// isList reports whether a route is a paged collection.
func isList(rt route) bool {
	return rt.method == http.MethodGet && !strings.HasSuffix(rt.template, "}") &&
		rt.template != "/users/me" && rt.template != "/user" && !strings.HasSuffix(rt.template, "/bgp-config")
}

func wantText(status int) string {
	if status == 0 {
		return "a 4xx"
	}
	return http.StatusText(status)
}

// TestUnknownFieldsAreIgnored follows the spec: the input schemas do not
// forbid other properties, so an unknown field is accepted and has no effect.
func TestUnknownFieldsAreIgnored(t *testing.T) {
	e := newEnv(t, Options{})
	line := newKeyLine(t, "unknown-fields")
	res := e.expect(e.do("POST", "/ssh-keys", DefaultToken, map[string]any{
		"label": "k", "key": line, "instances_ids": []string{}, "id": "00000000-0000-4000-8000-000000000000",
		"fingerprint": "00:11", "owner": map[string]string{"href": "/metal/v1/projects/" + DefaultProjectID},
	}), 201)
	var k sshKeyJSON
	res.decode(t, &k)
	if k.ID == "00000000-0000-4000-8000-000000000000" || k.Fingerprint == "00:11" || strings.Contains(string(res.body), "/projects/") {
		t.Errorf("a read-only field in the body took effect: %s", res.body)
	}
	e.expect(e.do("PATCH", "/ssh-keys/"+k.ID, DefaultToken, map[string]any{"label": "k2", "bogus": 1, "created_at": "1999-01-01T00:00:00Z"}), 200).decode(t, &k)
	if k.Label != "k2" || k.Key != line || strings.HasPrefix(k.CreatedAt, "1999") {
		t.Errorf("after an update with extra fields: label %q key %q created %s, want only the label changed", k.Label, k.Key, k.CreatedAt)
	}
}

// TestOversizedBodyIsCut proves the cap holds even when the client streams
// without a length: the mock stops reading and answers 413.
func TestOversizedBodyIsCut(t *testing.T) {
	e := newEnv(t, Options{})
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(`{"label":"`))
		chunk := bytes.Repeat([]byte("A"), 64<<10)
		for range (4 * maxBodyBytes) / len(chunk) {
			if _, err := pw.Write(chunk); err != nil {
				return // the server hung up: it stopped reading, as it should
			}
		}
		_ = pw.Close()
	}()
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.base+"/ssh-keys", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", DefaultToken)
	res, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer res.Body.Close()
	_ = pr.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", res.StatusCode)
	}
}
