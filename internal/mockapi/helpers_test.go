package mockapi

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// env is a mock behind a spec-validating handler on loopback.
type env struct {
	t    *testing.T
	srv  *Server
	base string // http://127.0.0.1:port/metal/v1
	http *http.Client
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(validating(t, s.Handler()))
	t.Cleanup(func() { ts.Close(); s.Close() })
	return &env{t: t, srv: s, base: ts.URL + APIPrefix, http: &http.Client{Timeout: 10 * time.Second}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

// errorText is the joined "errors" of an error response.
func (r response) errorText(t *testing.T) string {
	t.Helper()
	var e errorBody
	r.decode(t, &e)
	if len(e.Errors) == 0 {
		t.Fatalf("error response without errors: %s", r.body)
	}
	return strings.Join(e.Errors, "; ")
}

// do sends a request; body may be nil, a string (sent raw) or a value (JSON).
func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	res, err := e.try(method, path, token, body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

func (e *env) try(method, path, token string, body any) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.base+path, rd)
	if err != nil {
		return response{}, err
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := e.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: data}, err
}

// expect fails unless the response has the given status.
func (e *env) expect(res response, status int) response {
	e.t.Helper()
	if res.status != status {
		e.t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); status != http.StatusNoContent && ct != "application/json" {
		e.t.Errorf("Content-Type %q, want application/json", ct)
	}
	return res
}

// createProjectKey adds a key to the default project through the API.
func (e *env) createProjectKey(label, key string) sshKeyJSON {
	e.t.Helper()
	var k sshKeyJSON
	e.expect(e.do("POST", "/projects/"+DefaultProjectID+"/ssh-keys", DefaultToken, map[string]any{"label": label, "key": key}), 201).decode(e.t, &k)
	return k
}

func newKeyLine(t testing.TB, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " " + comment
}

func md5Of(t testing.TB, line string) string {
	t.Helper()
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return ssh.FingerprintLegacyMD5(pub)
}

// fakeClock is a settable clock for Options.Clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeMachine records what the provisioner was given.
type fakeMachine struct {
	mu     sync.Mutex
	spec   MachineSpec
	keys   []byte
	closed bool
	port   int
}

func (m *fakeMachine) Host() string    { return "127.0.0.1" }
func (m *fakeMachine) Port() int       { return m.port }
func (m *fakeMachine) HostKey() string { return "ssh-ed25519 AAAAhostkey " + m.spec.Hostname }
func (m *fakeMachine) AuthorizedKeys() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.keys), nil
}

func (m *fakeMachine) SetAuthorizedKeys(b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = bytes.Clone(b)
	return nil
}

func (m *fakeMachine) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("closed twice")
	}
	m.closed = true
	return nil
}

func (m *fakeMachine) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// fakeFleet is a Provisioner that keeps every machine it made.
type fakeFleet struct {
	mu       sync.Mutex
	machines map[string]*fakeMachine
}

func (f *fakeFleet) provision(spec MachineSpec) (Machine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.machines == nil {
		f.machines = map[string]*fakeMachine{}
	}
	m := &fakeMachine{spec: spec, keys: bytes.Clone(spec.AuthorizedKeys), port: 2200 + len(f.machines)}
	f.machines[spec.DeviceID] = m
	return m, nil
}

func (f *fakeFleet) get(id string) *fakeMachine {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.machines[id]
}
