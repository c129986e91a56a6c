package mockapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specRelPath is the part of the platform's OpenAPI spec the mock serves,
// committed (internal/cmd/trim-openapi writes it) so every clone checks it.
const specRelPath = "testdata/metal-v1-openapi/openapi3.yaml"

// specChecker validates mock responses against the platform's OpenAPI spec.
type specChecker struct {
	mu     sync.Mutex // the validator caches compiled schemas lazily
	router routers.Router
	opts   []openapi3.SchemaValidationOption
}

var (
	specOnce    sync.Once
	specLoaded  *specChecker
	specMissing string // why the spec is not available
)

func specPath() string {
	if p := os.Getenv("PACKET_OPENAPI_SPEC"); p != "" {
		return p
	}
	return specRelPath
}

// loadSpec loads the spec once per test binary; a spec that is missing or
// does not load fails the test.
func loadSpec(t testing.TB) *specChecker {
	t.Helper()
	specOnce.Do(func() {
		path := specPath()
		if _, err := os.Stat(path); err != nil {
			specMissing = "OpenAPI spec not found at " + path + " (set PACKET_OPENAPI_SPEC)"
			return
		}
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = true
		doc, err := loader.LoadFromFile(path)
		if err != nil {
			specMissing = "loading OpenAPI spec: " + err.Error()
			return
		}
		// The mock serves paths without a host; match them against the bare paths.
		doc.Servers = nil
		doc.SetStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC4122))
		doc.SetStringFormatValidator("date-time", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringDateTime))
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			specMissing = "building OpenAPI router: " + err.Error()
			return
		}
		specLoaded = &specChecker{router: router, opts: doc.GetSchemaValidationOptions()}
	})
	if specLoaded == nil {
		t.Fatalf("%s", specMissing)
	}
	return specLoaded
}

// specAlias maps the mock's documented extra routes onto their spec twins.
func specAlias(method, path string) (string, string) {
	if method == http.MethodPatch { // served wherever the spec has PUT (packngo uses PATCH)
		return http.MethodPut, path
	}
	if path == "/users/me" {
		return method, "/user"
	}
	return method, path
}

// check validates one response; it returns "" when the route is not in the
// spec (nothing to check against) or the error text.
func (sc *specChecker) check(method, path string, status int, header http.Header, body []byte) (checked bool, problem string) {
	method, path = specAlias(method, strings.TrimPrefix(path, APIPrefix))
	req, err := http.NewRequestWithContext(context.Background(), method, "http://mock"+path, nil)
	if err != nil {
		return false, err.Error()
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	route, params, err := sc.router.FindRoute(req)
	if err != nil {
		return false, ""
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{SchemaValidationOptions: sc.opts},
	})
	if err != nil {
		return true, err.Error()
	}
	return true, ""
}

// teeWriter copies a response for validation; Unwrap keeps Hijack working.
type teeWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *teeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *teeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// validating wraps h so every response is checked against the spec and a
// mismatch fails t.
func validating(t testing.TB, h http.Handler) http.Handler {
	sc := loadSpec(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(tw, r)
		if tw.status == 0 {
			return // hijacked (dropped) or nothing written
		}
		if _, problem := sc.check(r.Method, r.URL.Path, tw.status, tw.Header(), tw.body.Bytes()); problem != "" {
			t.Errorf("spec violation: %s %s → %d: %s\nbody: %s", r.Method, r.URL.Path, tw.status, problem, tw.body.String())
		}
	})
}

func TestSpecConformance(t *testing.T) {
	sc := loadSpec(t)
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k, err := s.createKey(SSHKey{Label: "spec", Key: newKeyLine(t, "spec"), ProjectID: DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, APIPrefix+"/ssh-keys/"+k.ID, nil)
	req.Header.Set("X-Auth-Token", DefaultToken)
	s.Handler().ServeHTTP(rec, req)

	checked, problem := sc.check(http.MethodGet, req.URL.Path, rec.Code, rec.Header(), rec.Body.Bytes())
	if !checked || problem != "" {
		t.Fatalf("a real key response should validate: checked=%v problem=%q", checked, problem)
	}
	// The checker must be able to fail: break the id format and the type of a field.
	broken := strings.Replace(rec.Body.String(), `"id":"`+k.ID+`"`, `"id":"not-a-uuid"`, 1)
	if _, problem := sc.check(http.MethodGet, req.URL.Path, rec.Code, rec.Header(), []byte(broken)); problem == "" {
		t.Error("a non-UUID id passed validation")
	}
	broken = strings.Replace(rec.Body.String(), `"label":"spec"`, `"label":7`, 1)
	if _, problem := sc.check(http.MethodGet, req.URL.Path, rec.Code, rec.Header(), []byte(broken)); problem == "" {
		t.Error("a numeric label passed validation")
	}
	// Every route of the mock that is not a documented extension exists in the spec.
	for _, rt := range routes {
		method, path := specAlias(rt.method, strings.ReplaceAll(rt.template, "{id}", DefaultProjectID))
		r, _ := http.NewRequestWithContext(t.Context(), method, "http://mock"+path, nil)
		if _, _, err := sc.router.FindRoute(r); err != nil {
			t.Errorf("route %s is not in the spec: %v", rt.key(), err)
		}
	}
}
