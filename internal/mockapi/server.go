package mockapi

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// APIPrefix is where the API lives, as on the real platform.
const APIPrefix = "/metal/v1"

// maxBodyBytes caps request bodies; larger ones get 413.
const maxBodyBytes = 1 << 20

// Options configure a Server. The zero value is usable.
type Options struct {
	Seed        *Seed            // nil → DefaultSeed()
	StatePath   string           // optional: load from / persist to this JSON file on every change
	Clock       func() time.Time // nil → time.Now
	Provisioner Provisioner      // nil → devices have no machine
	Logger      *log.Logger      // request log lines (never the token); nil = silent
	// ProvisioningTime keeps a new device in state "provisioning" for this long
	// (by Clock) before it reports "active". Zero: active at once.
	ProvisioningTime time.Duration
	// Retired answers every API call 401, as the platform has since its end
	// of life (see RetiredMessage); the admin endpoints keep working.
	Retired bool
}

// Server is the mock API. All methods are safe for concurrent use.
type Server struct {
	opts  Options
	clock func() time.Time

	mu       sync.Mutex // guards data and machines
	data     *store
	machines map[string]Machine

	faults   faultState
	counters requestCounters

	lifeMu  sync.Mutex // guards the listeners below
	test    *httptest.Server
	httpSrv *http.Server
	baseURL string
}

// New builds a server from the state file if it exists, else from the seed.
func New(opts Options) (*Server, error) {
	s := &Server{
		opts:     opts,
		clock:    opts.Clock,
		data:     newStore(),
		machines: map[string]Machine{},
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.faults.set(Faults{})
	loaded, err := s.loadState()
	if err != nil {
		return nil, err
	}
	if loaded {
		return s, nil
	}
	seed := opts.Seed
	if seed == nil {
		seed = DefaultSeed()
	}
	if err := s.applySeed(seed); err != nil {
		s.closeMachines()
		return nil, err
	}
	s.mu.Lock()
	err = s.persistLocked()
	s.mu.Unlock()
	if err != nil {
		s.closeMachines()
		return nil, err
	}
	return s, nil
}

// Handler serves the API under APIPrefix and the admin endpoints under AdminPrefix.
func (s *Server) Handler() http.Handler {
	return withRequestID(s.withAdmin(http.HandlerFunc(s.serveHTTP)))
}

// RequestIDHeader is on every response, errors included, as on the real API:
// clients (the archived packet provider among them) trust a 404 as "gone"
// only when it carries one, since a proxy's 404 does not.
const RequestIDHeader = "X-Request-Id"

func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(RequestIDHeader, uuid.NewString())
		next.ServeHTTP(w, r)
	})
}

// NewTestServer starts the mock on 127.0.0.1 with httptest; t.Cleanup closes it.
// It fails the test if the options are invalid.
func NewTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("mockapi: %v", err)
	}
	s.StartTest()
	t.Cleanup(s.Close)
	return s
}

// StartTest serves the handler on a loopback httptest server. Useful when a
// test wants to wrap Handler itself; NewTestServer calls it for you.
func (s *Server) StartTest() {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	s.test = httptest.NewServer(s.Handler())
	s.baseURL = s.test.URL + APIPrefix + "/"
}

// Listen serves the API on addr (e.g. "127.0.0.1:8080") in the background.
func (s *Server) Listen(addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.lifeMu.Lock()
	s.httpSrv = srv
	s.baseURL = "http://" + ln.Addr().String() + APIPrefix + "/"
	s.lifeMu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && s.opts.Logger != nil {
			s.opts.Logger.Printf("serve: %v", err)
		}
	}()
	return nil
}

// Shutdown stops a server started by Listen, letting requests in flight
// finish, then closes the machines.
func (s *Server) Shutdown(ctx context.Context) error {
	s.lifeMu.Lock()
	srv := s.httpSrv
	s.lifeMu.Unlock()
	var err error
	if srv != nil {
		err = srv.Shutdown(ctx)
	}
	s.closeMachines()
	return err
}

// URL is the base API URL including "/metal/v1/", or "" before a start.
func (s *Server) URL() string {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	return s.baseURL
}

// Close stops serving at once and closes every machine. Safe to call twice.
func (s *Server) Close() {
	s.lifeMu.Lock()
	test, srv := s.test, s.httpSrv
	s.test, s.httpSrv = nil, nil
	s.lifeMu.Unlock()
	if test != nil {
		test.Close()
	}
	if srv != nil {
		_ = srv.Close()
	}
	s.closeMachines()
}

func (s *Server) closeMachines() {
	s.mu.Lock()
	ms := s.machines
	s.machines = map[string]Machine{}
	s.mu.Unlock()
	for _, m := range ms {
		_ = m.Close()
	}
}

// Machine returns the simulated machine of a device, if it has one.
func (s *Server) Machine(deviceID string) (Machine, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.machines[deviceID]
	return m, ok
}

// Summary describes the server for people and scripts: one key=value per
// line, each key naming the role: api_url; user_id (the first user, whose
// token --token sets), read_only_user_id and other_user_id for the rest;
// project_id for the first user's projects, other_project_id for projects
// that user cannot see; device_id and device_hostname. Tokens are never
// included.
func (s *Server) Summary() []string {
	lines := []string{"api_url=" + s.URL()}
	s.mu.Lock()
	defer s.mu.Unlock()
	first := ""
	for i, u := range s.data.Users {
		label := "user_id"
		switch {
		case i == 0:
			first = u.ID
		case u.ReadOnly:
			label = "read_only_user_id"
		default:
			label = "other_user_id"
		}
		lines = append(lines, label+"="+u.ID)
	}
	for _, p := range s.data.Projects {
		label := "project_id"
		if !slices.Contains(p.Members, first) {
			label = "other_project_id"
		}
		lines = append(lines, label+"="+p.ID)
	}
	for _, d := range s.data.Devices {
		lines = append(lines, "device_id="+d.ID, fmt.Sprintf("device_hostname=%s", strings.ReplaceAll(d.Hostname, "\n", " ")))
	}
	return lines
}
