package metal

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

func TestRequestHeaders(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusCreated, keyJSON(keyID))
	})
	c := newTestClient(t, f, nil)
	if _, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "l", Key: "k"}); err != nil {
		t.Fatalf("CreateSSHKey: %v", err)
	}
	h := f.seen()[0].Header
	if got := h.Get("X-Auth-Token"); got != testToken {
		t.Errorf("X-Auth-Token = %q, want the configured token", got)
	}
	if got := h.Get("X-Consumer-Token"); got != consumerToken {
		t.Errorf("X-Consumer-Token = %q, want %q", got, consumerToken)
	}
	if got := h.Get("User-Agent"); !strings.HasPrefix(got, "terraform-provider-packet/"+testVersion+" packngo/") {
		t.Errorf("User-Agent = %q, want terraform-provider-packet/%s packngo/...", got, testVersion)
	}
	if got := h.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
}

func TestKeepAliveReusesOneConnection(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case n == 3:
			writeJSON(w, http.StatusNotFound, apiErrors("not found"))
		case n == 4:
			writeJSON(w, http.StatusServiceUnavailable, apiErrors("retry me"))
		case r.Method == http.MethodPost:
			writeJSON(w, http.StatusCreated, keyJSON(keyID))
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, http.StatusOK, keyJSON(keyID))
		}
	})
	c := newTestClient(t, f, nil)
	ctx := context.Background()

	if _, err := c.GetSSHKey(ctx, keyID); err != nil { // 1
		t.Fatal(err)
	}
	if _, err := c.CreateSSHKey(ctx, Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "l", Key: "k"}); err != nil { // 2
		t.Fatal(err)
	}
	if _, err := c.GetSSHKey(ctx, keyID); !IsNotFound(err) { // 3
		t.Fatalf("want 404, got %v", err)
	}
	if _, err := c.GetSSHKey(ctx, keyID); err != nil { // 4 (503) and 5 (retry)
		t.Fatal(err)
	}
	if err := c.DeleteSSHKey(ctx, keyID); err != nil { // 6
		t.Fatal(err)
	}
	if f.hits() != 6 {
		t.Errorf("server saw %d requests, want 6", f.hits())
	}
	if got := f.conns.Load(); got != 1 {
		t.Errorf("server saw %d connections for 6 sequential requests, want 1", got)
	}
}

func TestBaseURLKeepsItsPath(t *testing.T) {
	for _, suffix := range []string{"/metal/v1", "/metal/v1/"} {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, http.StatusOK, map[string]any{"id": projectID})
		})
		c := newTestClient(t, f, func(cfg *Config) { cfg.BaseURL = f.URL + suffix })
		if _, err := c.GetProject(context.Background(), projectID); err != nil {
			t.Fatalf("%s: %v", suffix, err)
		}
		if got := f.seen()[0].Path; got != "/metal/v1/projects/"+projectID {
			t.Errorf("base %q: request path = %q, want /metal/v1/projects/%s", suffix, got, projectID)
		}
	}
}

func TestNormalizeBaseURL(t *testing.T) {
	good := map[string]string{
		"":                             DefaultBaseURL,
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080/",
		"https://api.example/metal/v1": "https://api.example/metal/v1/",
		"https://api.example/v1/?x=1":  "https://api.example/v1/",
	}
	for in, want := range good {
		u, err := normalizeBaseURL(in)
		if err != nil || u.String() != want {
			t.Errorf("normalizeBaseURL(%q) = %v, %v; want %q", in, u, err, want)
		}
	}
	for _, bad := range []string{"api.example/v1", "ftp://api.example/", "http://", "https://user:pw@api.example/", "http://[::1"} {
		if _, err := normalizeBaseURL(bad); err == nil {
			t.Errorf("normalizeBaseURL(%q) accepted", bad)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("New without token: %v, want a token error", err)
	}
	if _, err := New(Config{Token: "t", MaxRetries: -1}); err == nil {
		t.Error("New accepted negative MaxRetries")
	}
	if _, err := New(Config{Token: "t", BaseURL: "not a url"}); err == nil {
		t.Error("New accepted a bad base URL")
	}
}

func TestWithDefaults(t *testing.T) {
	cfg := withDefaults(Config{})
	if cfg.RetryWaitMin != defaultRetryWaitMin || cfg.RetryWaitMax != defaultRetryWaitMax || cfg.RequestTimeout != defaultRequestTimeout {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.MaxRetries != 0 {
		t.Errorf("MaxRetries defaulted to %d, want 0 (no retries)", cfg.MaxRetries)
	}
}

func TestRequestLogsCarryFieldsButNeverTheToken(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			writeJSON(w, http.StatusServiceUnavailable, apiErrors("busy"))
			return
		}
		// Echo the token, as a broken proxy might.
		writeJSON(w, http.StatusUnprocessableEntity, apiErrors("bad "+r.Header.Get("X-Auth-Token")))
	})
	c := newTestClient(t, f, nil)
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)

	label := "x"
	if _, err := c.UpdateSSHKey(ctx, keyID, SSHKeyUpdate{Label: &label}); !IsStatus(err, 422) {
		t.Fatalf("want 422, got %v", err)
	}

	logged := buf.String()
	if strings.Contains(logged, testToken) {
		t.Fatalf("log contains the token:\n%s", logged)
	}
	entries, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatalf("decoding log: %v", err)
	}
	var attempts []int
	for _, e := range entries {
		if e["@message"] != "API request" {
			continue
		}
		if e["method"] != "PATCH" || e["path"] != "/ssh-keys/"+keyID {
			t.Errorf("entry %v: wrong method/path", e)
		}
		if _, ok := e["duration_ms"]; !ok {
			t.Errorf("entry %v: no duration_ms", e)
		}
		attempt, _ := e["attempt"].(float64) // JSON numbers; 0 when missing fails below
		status, _ := e["status"].(float64)
		attempts = append(attempts, int(attempt))
		if status := int(status); (len(attempts) == 1 && status != 503) || (len(attempts) == 2 && status != 422) {
			t.Errorf("attempt %d logged status %d", len(attempts), status)
		}
	}
	if len(attempts) != 2 || attempts[0] != 1 || attempts[1] != 2 {
		t.Errorf("logged attempts %v, want [1 2]\n%s", attempts, logged)
	}
	for _, header := range []string{"X-Auth-Token", "X-Consumer-Token"} {
		if strings.Contains(logged, header) {
			t.Errorf("log mentions header %s", header)
		}
	}
}

func TestLogMaskCatchesTokenInFields(t *testing.T) {
	// Belt and braces: even if a future log line carried the token, the mask hides it.
	c := &Client{token: testToken}
	var buf bytes.Buffer
	ctx := c.logContext(tflogtest.RootLogger(context.Background(), &buf))
	logAttempt(ctx, "GET", "/x", 1, 0, nil, errStr("dial failed with "+testToken))
	tflog.SubsystemDebug(ctx, logSubsystem, "message with "+testToken)
	if buf.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	logged := buf.String()
	if strings.Contains(logged, testToken) {
		t.Errorf("mask missed the token: %s", logged)
	}
	if !strings.Contains(logged, "dial failed with ***") || !strings.Contains(logged, "message with ***") {
		t.Errorf("want both lines logged with the token masked, got: %s", logged)
	}
}

type errStr string

func (e errStr) Error() string { return string(e) }

func TestConcurrentCalls(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(1000-n))
		writeJSON(w, http.StatusOK, keyJSON(keyID))
	})
	c := newTestClient(t, f, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			_, err := c.GetSSHKey(context.Background(), keyID)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := c.Requests(); got != 16 {
		t.Errorf("Requests() = %d, want 16", got)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, keyJSON(keyID)) })
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
	})
	_, err := newTestClient(t, f, nil).GetSSHKey(context.Background(), keyID)
	if !IsStatus(err, http.StatusFound) {
		t.Errorf("error = %v, want the 302 itself", err)
	}
	if elsewhere.hits() != 0 {
		t.Errorf("the redirect target got %d requests (with our token)", elsewhere.hits())
	}
}
