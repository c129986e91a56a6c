package mockapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// call is one authenticated request on its way through a handler.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	user   userRecord
	params map[string]string
}

// requestCounters count requests per route key.
type requestCounters struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *requestCounters) add(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[key]++
}

// Requests returns how many requests each route got, keyed like
// "GET /ssh-keys/{id}". Every request counts, including those a fault
// answered; paths with no route count as "METHOD (no route)".
func (s *Server) Requests() map[string]int {
	s.counters.mu.Lock()
	defer s.counters.mu.Unlock()
	return maps.Clone(s.counters.n)
}

// ResetRequests sets every counter back to zero.
func (s *Server) ResetRequests() {
	s.counters.mu.Lock()
	defer s.counters.mu.Unlock()
	s.counters.n = nil
}

// statusWriter remembers the status for the log and passes Hijack etc. on.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	key := r.Method + " (no route)"
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler { //nolint:errorlint // sentinel passed to panic as is
				s.logf("%s %s %s dropped", r.Method, r.URL.Path, key)
				panic(p)
			}
			// Never let a bug kill the server; answer 500 if nothing was sent.
			if w.status == 0 {
				writeError(w, http.StatusInternalServerError, "internal error")
			}
			s.logf("panic serving %s: %v", key, p)
		}
		s.logf("%s %s %s %d %s", r.Method, r.URL.Path, key, w.status, time.Since(start).Round(time.Microsecond))
	}()

	if s.opts.Retired {
		key = s.answerRetired(w, r)
		return
	}
	path, underPrefix := strings.CutPrefix(r.URL.Path, APIPrefix)
	if !underPrefix || (path != "" && path[0] != '/') {
		s.counters.add(key)
		writeError(w, http.StatusNotFound, "Not found")
		return
	}
	rt, params, allowed := match(r.Method, path)
	if rt == nil {
		s.counters.add(key)
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(slices.Compact(slices.Sorted(slices.Values(allowed))), ", "))
			writeError(w, http.StatusMethodNotAllowed, "Method not allowed")
			return
		}
		writeError(w, http.StatusNotFound, "Not found")
		return
	}
	key = rt.key()
	s.counters.add(key)

	d := s.faults.decide(key)
	if d.drop {
		w.status = -1 // logged as dropped
		s.dropConnection(w)
		return
	}
	if d.latency > 0 {
		select {
		case <-time.After(d.latency):
		case <-r.Context().Done():
			return
		}
	}
	if d.rateLimited {
		writeRateLimited(w, d, s.clock())
		return
	}
	if d.errorStatus != 0 {
		writeError(w, d.errorStatus, "injected fault: "+http.StatusText(d.errorStatus))
		return
	}

	user, err := s.authenticate(r)
	if err != nil {
		if d.afterCommit != 0 {
			s.faults.releaseAfterCommit()
		}
		writeAPIError(w, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	c := &call{w: w, r: r, user: user, params: params}
	if d.afterCommit == 0 {
		if err := rt.handle(s, c); err != nil {
			writeAPIError(w, err)
		}
		return
	}
	// AfterCommit: run the operation into a buffer, then lie about the outcome.
	buf := &bufferedWriter{header: http.Header{}}
	c.w = buf
	if err := rt.handle(s, c); err != nil {
		writeAPIError(buf, err)
	}
	if buf.status >= 200 && buf.status < 300 {
		writeError(w, d.afterCommit, "injected fault after commit: "+http.StatusText(d.afterCommit))
		return
	}
	s.faults.releaseAfterCommit()
	buf.copyTo(w)
}

// dropConnection closes the TCP connection without an HTTP response.
func (s *Server) dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2, recorder): the closest thing is an abort.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func writeRateLimited(w http.ResponseWriter, d decision, now time.Time) {
	secs := int(math.Ceil(d.retryAfter.Seconds()))
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.burstLimit))
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Duration(secs)*time.Second).Unix(), 10))
	writeError(w, http.StatusTooManyRequests, "rate limit exceeded")
}

func (s *Server) authenticate(r *http.Request) (userRecord, error) {
	token := r.Header.Get("X-Auth-Token")
	if token == "" {
		return userRecord{}, errorf(http.StatusUnauthorized, "missing X-Auth-Token header")
	}
	s.mu.Lock()
	u, ok := s.data.userByToken(token)
	s.mu.Unlock()
	if !ok {
		return userRecord{}, errorf(http.StatusUnauthorized, "invalid authentication token")
	}
	if u.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return userRecord{}, errorf(http.StatusForbidden, "you are not authorized to change this resource: the token is read-only")
	}
	return u, nil
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logger != nil {
		s.opts.Logger.Printf(format, args...)
	}
}

// bufferedWriter holds a response so AfterCommit can replace it.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) copyTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), b.header)
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

type errorBody struct {
	Errors []string `json:"errors"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Errors: []string{msg}})
}

func writeAPIError(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, ae.msg)
		return
	}
	writeError(w, http.StatusInternalServerError, err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"errors":["encoding response failed"]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// decodeBody reads a JSON body into v: 413 when too large, 422 when malformed.
func decodeBody(c *call, v any) error {
	data, err := readAll(c.r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", maxBodyBytes)
		}
		return errorf(http.StatusBadRequest, "reading request body failed")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errorf(http.StatusUnprocessableEntity, "request body must be a JSON object")
	}
	// JSON text is UTF-8 (RFC 8259); encoding/json would silently turn
	// invalid bytes into U+FFFD and store a label nobody sent.
	if !utf8.Valid(data) {
		return errorf(http.StatusUnprocessableEntity, "malformed JSON: the body is not valid UTF-8")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return errorf(http.StatusUnprocessableEntity, "malformed JSON: %s", jsonProblem(err))
	}
	return nil
}

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}

// jsonProblem describes a decode error without echoing the body (it may hold secrets).
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q must be %s, not %s", typ.Field, typ.Type, typ.Value)
	default:
		return "not a valid JSON object"
	}
}
