package metal

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

const (
	testToken   = "tok-SECRET-5f1d9c"
	testVersion = "1.2.3"
	keyID       = "0b5a2f4e-8c1d-4e8a-9f7b-2d3c4b5a6e7f"
	projectID   = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
	userID      = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
	deviceID    = "9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4"
)

// seenRequest is what the fake API recorded of one request.
type seenRequest struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
	At                     time.Time
}

// fakeAPI is a loopback server answering with a per-test handler. It records
// requests and counts TCP connections.
type fakeAPI struct {
	*httptest.Server
	conns atomic.Int64

	mu       sync.Mutex
	requests []seenRequest
}

// newFakeAPI serves handle(w, r, n) where n counts requests from 1.
func newFakeAPI(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, seenRequest{
			Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body, At: time.Now(),
		})
		n := len(f.requests)
		f.mu.Unlock()
		handle(w, r, n)
	}))
	f.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) seen() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.requests...)
}

func (f *fakeAPI) hits() int { return len(f.seen()) }

// newTestClient points a client with fast retries at the fake API's /metal/v1.
func newTestClient(t *testing.T, f *fakeAPI, tweak func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		Token:          testToken,
		BaseURL:        f.URL + "/metal/v1",
		Version:        testVersion,
		MaxRetries:     3,
		RetryWaitMin:   time.Millisecond,
		RetryWaitMax:   5 * time.Millisecond,
		RequestTimeout: 5 * time.Second,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func apiErrors(msgs ...string) map[string]any { return map[string]any{"errors": msgs} }

func keyJSON(id string) map[string]any {
	return map[string]any{
		"id": id, "label": "laptop", "key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0 me",
		"fingerprint": "aa:bb:cc", "tags": []string{"ops"},
		"owner":      map[string]any{"href": "/metal/v1/projects/" + projectID},
		"created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:06Z",
		"href": "/metal/v1/ssh-keys/" + id,
	}
}

// dropConnection closes the TCP connection without answering.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	_ = conn.Close()
}

// mockFixture is packet-mock, a client of it and a clock the test moves:
// what the key and device snapshot fixtures share.
type mockFixture struct {
	mock   *mockapi.Server
	client *Client
	mu     sync.Mutex
	clock  time.Time
}

func newMockFixture(t *testing.T, opts mockapi.Options) *mockFixture {
	t.Helper()
	f := &mockFixture{mock: mockapi.NewTestServer(t, opts), clock: time.Unix(1_700_000_000, 0)}
	c, err := New(Config{Token: mockapi.DefaultToken, BaseURL: f.mock.URL(), Version: testVersion, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.client = c
	return f
}

func (f *mockFixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

func (f *mockFixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = f.clock.Add(d)
}

// requestsAre fails the test unless the mock got exactly want since the last reset.
func (f *mockFixture) requestsAre(t *testing.T, want map[string]int) {
	t.Helper()
	got := f.mock.Requests()
	if len(got) != len(want) {
		t.Fatalf("requests %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("requests %v; want %v", got, want)
		}
	}
}
