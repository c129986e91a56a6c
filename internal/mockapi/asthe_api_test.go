package mockapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestRequestIDOnEveryResponse: the archived packet provider trusts a 404
// as "gone" only when it carries X-Request-Id, as the real API's do; so every
// answer has one, errors and the admin endpoints included, and no two share it.
func TestRequestIDOnEveryResponse(t *testing.T) {
	e := newEnv(t, Options{})
	k := e.createProjectKey("k", newKeyLine(t, "k"))
	seen := map[string]bool{}
	for _, tc := range []struct {
		method, path, token string
		status              int
	}{
		{"GET", "/ssh-keys/" + k.ID, DefaultToken, 200},
		{"GET", "/ssh-keys/00000000-0000-4000-8000-000000000000", DefaultToken, 404},
		{"DELETE", "/ssh-keys/" + k.ID, DefaultToken, 204},
		{"GET", "/ssh-keys/" + k.ID, DefaultToken, 404}, // deleted behind a client's back
		{"GET", "/no/such/path", DefaultToken, 404},
		{"GET", "/ssh-keys", "wrong-token", 401},
		{"POST", "/ssh-keys", ReadOnlyToken, 403},
		{"POST", "/ssh-keys", DefaultToken, 422},
		{"PUT", "/projects", DefaultToken, 405},
	} {
		res := e.do(tc.method, tc.path, tc.token, map[string]string{})
		if res.status != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, res.status, tc.status)
		}
		id := res.header.Get(RequestIDHeader)
		if id == "" || seen[id] {
			t.Errorf("%s %s (%d): X-Request-Id %q: want a fresh one on every response", tc.method, tc.path, res.status, id)
		}
		seen[id] = true
	}
	req, err := http.NewRequestWithContext(t.Context(), "GET", strings.TrimSuffix(e.base, APIPrefix)+AdminPrefix+"/requests", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 || res.Header.Get(RequestIDHeader) == "" {
		t.Errorf("admin endpoint: status %d, X-Request-Id %q", res.StatusCode, res.Header.Get(RequestIDHeader))
	}
}

// TestKeyStoredAsSent: the real API stores and echoes the key as sent; both
// earlier providers' acceptance tests create keys with a trailing space and
// assert it comes back. Devices still get clean authorized_keys lines.
func TestKeyStoredAsSent(t *testing.T) {
	fleet := &fakeFleet{}
	e := newEnv(t, Options{Provisioner: fleet.provision})
	for _, sent := range []string{newKeyLine(t, "space") + " ", newKeyLine(t, "newline") + "\n", "  " + newKeyLine(t, "lead")} {
		k := e.createProjectKey("k", sent)
		if k.Key != sent {
			t.Errorf("POST answered key %q, want %q as sent", k.Key, sent)
		}
		var got sshKeyJSON
		e.expect(e.do("GET", "/ssh-keys/"+k.ID, DefaultToken, nil), 200).decode(t, &got)
		if got.Key != sent || got.Fingerprint != md5Of(t, strings.TrimSpace(sent)) {
			t.Errorf("GET: key %q fingerprint %s, want %q as sent", got.Key, got.Fingerprint, sent)
		}
	}
	updated := newKeyLine(t, "updated") + "\n"
	k := e.createProjectKey("u", newKeyLine(t, "u"))
	var got sshKeyJSON
	e.expect(e.do("PATCH", "/ssh-keys/"+k.ID, DefaultToken, map[string]string{"key": updated}), 200).decode(t, &got)
	if got.Key != updated {
		t.Errorf("PATCH answered key %q, want %q", got.Key, updated)
	}

	var dev struct{ ID string }
	e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/devices", DefaultToken, map[string]any{"hostname": "d"}), 201).decode(t, &dev)
	for line := range strings.SplitSeq(string(fleet.get(dev.ID).keys), "\n") {
		if line != strings.TrimSpace(line) {
			t.Errorf("authorized_keys line %q is not trimmed as cloud-init writes it", line)
		}
	}
}
