package mockapi

import (
	"maps"
	"net/http"
	"strings"
)

// AdminPrefix is where the mock serves its own endpoints, outside the API
// (APIPrefix), so that another process (a benchmark, a test harness) can
// read the request counters of a running packet-mock:
//
//	GET  /_mock/requests        → {"requests": {"GET /ssh-keys/{id}": 3, ...}, "total": 3}
//	POST /_mock/requests/reset  → the same body with the counts before the reset
//
// Both need the X-Auth-Token of any user of the mock. Admin requests are
// neither counted, delayed nor faulted, so reading the counters never
// changes them.
const AdminPrefix = "/_mock"

// RequestCounts is the admin endpoints' JSON body.
type RequestCounts struct {
	Requests map[string]int `json:"requests"` // keyed like Server.Requests
	Total    int            `json:"total"`
}

// withAdmin serves AdminPrefix itself and hands every other path to api.
func (s *Server) withAdmin(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != AdminPrefix && !strings.HasPrefix(r.URL.Path, AdminPrefix+"/") {
			api.ServeHTTP(w, r)
			return
		}
		s.serveAdmin(w, r)
	})
}

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	defer func() { s.logf("%s %s (admin) %d", r.Method, r.URL.Path, sw.status) }()

	var method string
	var counts func() map[string]int
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case AdminPrefix + "/requests":
		method, counts = http.MethodGet, s.Requests
	case AdminPrefix + "/requests/reset":
		method, counts = http.MethodPost, s.takeRequests
	default:
		writeError(sw, http.StatusNotFound, "Not found")
		return
	}
	if r.Method != method {
		sw.Header().Set("Allow", method)
		writeError(sw, http.StatusMethodNotAllowed, "Method not allowed")
		return
	}
	if !s.knownToken(r.Header.Get("X-Auth-Token")) {
		writeError(sw, http.StatusUnauthorized, "the mock's admin endpoints need the X-Auth-Token of one of its users")
		return
	}
	n := counts()
	if n == nil {
		n = map[string]int{}
	}
	total := 0
	for _, v := range n {
		total += v
	}
	writeJSON(sw, http.StatusOK, RequestCounts{Requests: n, Total: total})
}

// knownToken reports whether token belongs to any user, read-only ones included:
// the counters are not API data, so any user may read or reset them.
func (s *Server) knownToken(token string) bool {
	if token == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.data.userByToken(token)
	return ok
}

// takeRequests returns the counters and zeroes them in one step, so no
// request falls between a read and a reset.
func (s *Server) takeRequests() map[string]int {
	s.counters.mu.Lock()
	defer s.counters.mu.Unlock()
	n := maps.Clone(s.counters.n)
	s.counters.n = nil
	return n
}
