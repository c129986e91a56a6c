package mockapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// adminEnv serves Handler (which includes the admin endpoints) over loopback; base is http://127.0.0.1:port.
func adminEnv(t *testing.T) (*Server, string) {
	t.Helper()
	s, err := New(Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts.URL
}

func adminDo(t *testing.T, method, url, token string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, body
}

func decodeCounts(t *testing.T, body []byte) RequestCounts {
	t.Helper()
	var c RequestCounts
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return c
}

func TestAdminRequestsCountsAPIRequestsOnly(t *testing.T) {
	_, base := adminEnv(t)
	for range 2 {
		adminDo(t, http.MethodGet, base+APIPrefix+"/projects/"+DefaultProjectID+"/ssh-keys", DefaultToken)
	}
	adminDo(t, http.MethodGet, base+APIPrefix+"/nowhere", DefaultToken)

	for round := range 2 { // the second read proves the first was not counted
		status, _, body := adminDo(t, http.MethodGet, base+AdminPrefix+"/requests", DefaultToken)
		if status != http.StatusOK {
			t.Fatalf("round %d: status %d: %s", round, status, body)
		}
		got := decodeCounts(t, body)
		if got.Requests["GET /projects/{id}/ssh-keys"] != 2 || got.Requests["GET (no route)"] != 1 || got.Total != 3 || len(got.Requests) != 2 {
			t.Fatalf("round %d: counts %+v; want 2 key lists, 1 unrouted, total 3", round, got)
		}
	}
}

func TestAdminResetReturnsCountsAndZeroes(t *testing.T) {
	s, base := adminEnv(t)
	adminDo(t, http.MethodGet, base+APIPrefix+"/users/me", DefaultToken)

	status, _, body := adminDo(t, http.MethodPost, base+AdminPrefix+"/requests/reset", DefaultToken)
	if status != http.StatusOK {
		t.Fatalf("reset: status %d: %s", status, body)
	}
	if got := decodeCounts(t, body); got.Requests["GET /users/me"] != 1 || got.Total != 1 {
		t.Fatalf("reset answered %+v; want the count before the reset (1 GET /users/me)", got)
	}
	if n := s.Requests(); len(n) != 0 {
		t.Fatalf("after reset the server still counts %v", n)
	}
	_, _, body = adminDo(t, http.MethodGet, base+AdminPrefix+"/requests", DefaultToken)
	if got := decodeCounts(t, body); got.Total != 0 || got.Requests == nil || len(got.Requests) != 0 {
		t.Fatalf("after reset: %s; want an empty object and total 0", body)
	}
}

func TestAdminNeedsAUserToken(t *testing.T) {
	_, base := adminEnv(t)
	for _, token := range []string{"", "not-a-token"} {
		status, _, body := adminDo(t, http.MethodGet, base+AdminPrefix+"/requests", token)
		if status != http.StatusUnauthorized {
			t.Errorf("token %q: status %d: %s; want 401", token, status, body)
		}
		if strings.Contains(string(body), token) && token != "" {
			t.Errorf("the error echoes the token: %s", body)
		}
	}
	// Counters are not API data: a read-only user may reset them too.
	if status, _, body := adminDo(t, http.MethodPost, base+AdminPrefix+"/requests/reset", ReadOnlyToken); status != http.StatusOK {
		t.Errorf("read-only token: status %d: %s; want 200", status, body)
	}
}

func TestAdminRejectsWrongMethodAndPath(t *testing.T) {
	_, base := adminEnv(t)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{http.MethodPost, "/requests", http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/requests/reset", http.StatusMethodNotAllowed, "POST"},
		{http.MethodGet, "/other", http.StatusNotFound, ""},
		{http.MethodGet, "", http.StatusNotFound, ""},
	}
	for _, c := range cases {
		status, header, body := adminDo(t, c.method, base+AdminPrefix+c.path, DefaultToken)
		if status != c.status || header.Get("Allow") != c.allow {
			t.Errorf("%s %s: status %d Allow %q (%s); want %d Allow %q", c.method, c.path, status, header.Get("Allow"), body, c.status, c.allow)
		}
	}
}

func TestAdminIgnoresFaults(t *testing.T) {
	s, base := adminEnv(t)
	s.SetFaults(Faults{ErrorRate: 1, Seed: 1})
	if status, _, _ := adminDo(t, http.MethodGet, base+APIPrefix+"/users/me", DefaultToken); status < 500 {
		t.Fatalf("the API answered %d with ErrorRate 1; the fault is not active, so this test proves nothing", status)
	}
	status, _, body := adminDo(t, http.MethodGet, base+AdminPrefix+"/requests", DefaultToken)
	if status != http.StatusOK || decodeCounts(t, body).Total != 1 {
		t.Fatalf("admin under faults: status %d body %s; want 200 and the one faulted request counted", status, body)
	}
}

// TestHandlerServesAdmin guards the wiring: Handler must include withAdmin,
// so that the packet-mock binary (which serves Handler) offers the endpoints.
func TestHandlerServesAdmin(t *testing.T) {
	s := NewTestServer(t, Options{})
	base := strings.TrimSuffix(s.URL(), APIPrefix+"/")
	status, _, body := adminDo(t, http.MethodGet, base+AdminPrefix+"/requests", DefaultToken)
	if status != http.StatusOK {
		t.Fatalf("GET %s/requests through Handler: status %d: %s; want 200", AdminPrefix, status, body)
	}
}
