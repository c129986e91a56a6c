package mockapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestRetiredAnswers401ToEveryAPICall: with Retired set the mock answers as
// the retired platform does, whatever the token, path or method, while its
// own admin endpoints keep working.
func TestRetiredAnswers401ToEveryAPICall(t *testing.T) {
	e := newEnv(t, Options{Retired: true})
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/user", DefaultToken},
		{"GET", "/projects/" + DefaultProjectID, DefaultToken},
		{"POST", "/ssh-keys", DefaultToken},
		{"DELETE", "/devices/" + DefaultProjectID, ReadOnlyToken},
		{"GET", "/no/such/path", DefaultToken},
		{"GET", "/user", ""},
	} {
		res := e.expect(e.do(c.method, c.path, c.token, map[string]string{"label": "x"}), http.StatusUnauthorized)
		if msg := res.errorText(t); !strings.Contains(msg, RetiredMessage) {
			t.Errorf("%s %s: error %q, want %q", c.method, c.path, msg, RetiredMessage)
		}
	}
	if n := e.srv.Requests()["GET /user"]; n != 2 {
		t.Errorf("GET /user counted %d times, want 2", n)
	}
	status, _, body := adminDo(t, http.MethodGet, strings.TrimSuffix(e.base, APIPrefix)+AdminPrefix+"/requests", DefaultToken)
	if status != http.StatusOK {
		t.Errorf("admin endpoint while retired: %d %s, want 200", status, body)
	}
}
