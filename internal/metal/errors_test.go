package metal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestErrorMessageCarriesStatusAndAPIText(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   string
	}{
		{"errors array", 422, "application/json", `{"errors":["key is invalid"]}`,
			"PATCH /ssh-keys/" + keyID + ": 422 Unprocessable Entity: key is invalid"},
		{"several errors", 422, "application/json", `{"errors":["label is blank","key is invalid"]}`,
			"PATCH /ssh-keys/" + keyID + ": 422 Unprocessable Entity: label is blank; key is invalid"},
		{"single error", 403, "application/json", `{"error":"you are not a collaborator"}`,
			"PATCH /ssh-keys/" + keyID + ": 403 Forbidden: you are not a collaborator"},
		{"no body", 404, "application/json", ``,
			"PATCH /ssh-keys/" + keyID + ": 404 Not Found"},
		{"html from a proxy", 413, "text/html", `<html>too big</html>`,
			"PATCH /ssh-keys/" + keyID + ": 413 Request Entity Too Large: unexpected content type text/html"},
		{"broken json", 400, "application/json", `{"errors":`,
			"PATCH /ssh-keys/" + keyID + ": 400 Bad Request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			c := newTestClient(t, f, nil)
			label := "x"
			_, err := c.UpdateSSHKey(context.Background(), keyID, SSHKeyUpdate{Label: &label})
			if err == nil {
				t.Fatal("no error")
			}
			// A 403's hint follows (errors_retired_test.go checks it).
			if got, _, _ := strings.Cut(err.Error(), ". The API at "); got != tt.want {
				t.Fatalf("error = %v\nwant    %s", err, tt.want)
			}
			if !IsStatus(err, tt.status) {
				t.Errorf("IsStatus(%d) = false", tt.status)
			}
		})
	}
}

func TestIsNotFound(t *testing.T) {
	statusErr := func(code int) error {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, code, apiErrors("nope"))
		})
		_, err := newTestClient(t, f, func(c *Config) { c.MaxRetries = 0 }).GetSSHKey(context.Background(), keyID)
		if err == nil {
			t.Fatalf("status %d gave no error", code)
		}
		return err
	}
	notFound := statusErr(http.StatusNotFound)

	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"404", notFound, true},
		{"wrapped 404", fmt.Errorf("reading key: %w", notFound), true},
		{"twice wrapped 404", fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", notFound)), true},
		{"403", statusErr(http.StatusForbidden), false},
		{"500", statusErr(http.StatusInternalServerError), false},
		{"plain error", errors.New("404 not found"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsNotFound(tt.err); got != tt.want {
				t.Errorf("IsNotFound(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsAmbiguous(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"500 after sending", &Error{Method: "POST", StatusCode: 500, Attempts: 1}, true},
		{"connection reset", &Error{Method: "POST", Attempts: 1, Err: errors.New("connection reset by peer")}, true},
		{"unreadable success", &Error{Method: "POST", StatusCode: 201, Attempts: 1, Err: errors.New("unexpected EOF")}, true},
		{"wrapped", fmt.Errorf("create: %w", &Error{StatusCode: 502, Attempts: 1}), true},
		{"422", &Error{Method: "POST", StatusCode: 422, Attempts: 1}, false},
		{"429", &Error{Method: "POST", StatusCode: 429, Attempts: 1}, false},
		{"never sent", &Error{Method: "POST", Err: context.Canceled}, false},
		{"validation", errors.New("metal: project id \"x\" is not a valid UUID"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAmbiguous(tt.err); got != tt.want {
				t.Errorf("IsAmbiguous(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	// A misbehaving server or proxy echoes the token back in its error text.
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusUnauthorized, apiErrors("invalid token "+r.Header.Get("X-Auth-Token")))
	})
	c := newTestClient(t, f, nil)

	_, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "l", Key: "ssh-ed25519 AAAA"})
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error leaks the token: %v", err)
	}
	if !strings.Contains(err.Error(), "401 "+http.StatusText(http.StatusUnauthorized)+": invalid token "+redacted) {
		t.Errorf("error = %v, want the API text with the token redacted", err)
	}
	if strings.Contains(err.Error(), "ssh-ed25519 AAAA") {
		t.Errorf("error carries the request body: %v", err)
	}
}

func TestInvalidIDsAreNotSent(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { writeJSON(w, 200, map[string]any{}) })
	c := newTestClient(t, f, nil)
	ctx := context.Background()
	label := "x"

	calls := map[string]func() error{
		"GetSSHKey":    func() error { _, err := c.GetSSHKey(ctx, "abc"); return err },
		"UpdateSSHKey": func() error { _, err := c.UpdateSSHKey(ctx, "../users/me", SSHKeyUpdate{Label: &label}); return err },
		"DeleteSSHKey": func() error { return c.DeleteSSHKey(ctx, "") },
		"CreateSSHKey": func() error {
			_, err := c.CreateSSHKey(ctx, Owner{Kind: OwnerProject, ID: "p1"}, SSHKeyCreate{})
			return err
		},
		"ListSSHKeys":        func() error { _, err := c.ListSSHKeys(ctx, Owner{Kind: OwnerProject}, ListOptions{}); return err },
		"GetDevice":          func() error { _, err := c.GetDevice(ctx, "dev-1"); return err },
		"ListProjectDevices": func() error { _, err := c.ListProjectDevices(ctx, "nope", ListOptions{}); return err },
		"GetProject":         func() error { _, err := c.GetProject(ctx, "{"+projectID+"}"); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil || !strings.Contains(err.Error(), "is not a valid UUID") {
			t.Errorf("%s: error = %v, want a UUID error", name, err)
		}
	}
	if f.hits() != 0 {
		t.Errorf("server saw %d requests, want 0", f.hits())
	}
}

func TestErrorFormatting(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Method: "GET", Path: "/p", StatusCode: 503, Attempts: 4, Messages: []string{"busy"}},
			"GET /p: giving up after 4 attempts: 503 Service Unavailable: busy"},
		{&Error{Method: "POST", Path: "/p", StatusCode: 422, Attempts: 2, Messages: []string{"bad"}},
			"POST /p: 422 Unprocessable Entity: bad"}, // retried a 429, then refused: not "giving up"
		{&Error{Method: "GET", Path: "/p", Attempts: 3, Err: context.Canceled},
			"GET /p: context canceled"},
		{&Error{Method: "GET", Path: "/p", Attempts: 2, Err: errors.New("connection refused")},
			"GET /p: giving up after 2 attempts: connection refused"},
		{&Error{Method: "DELETE", Path: "/p", StatusCode: 599, Attempts: 1},
			"DELETE /p: 599"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
