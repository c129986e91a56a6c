package metal

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The parts every retirement diagnostic must have: the date, that a token
// problem is still possible elsewhere, and the way out.
var retirementParts = []string{
	"Equinix Metal (formerly Packet)",
	"2026-06-30",
	"packet-mock or another endpoint",
	`the guide "Leaving the retired platform" (docs/guides/leaving-the-platform.md)`,
}

func wantRetirement(t *testing.T, err error, extra ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range append(append([]string(nil), retirementParts...), extra...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Count(err.Error(), "2026-06-30") > 1 {
		t.Errorf("the retirement is said more than once:\n%v", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows the token: %v", err)
	}
	if IsNotFound(err) {
		t.Errorf("IsNotFound = true: an answer of the retired platform must never read as \"gone\"")
	}
	if !IsRefused(err) {
		t.Errorf("IsRefused = false")
	}
}

// dialTo opens every connection to addr, whatever host the URL names: the
// client believes it talks to that host.
func dialTo(addr string) func(ctx context.Context, network, _ string) (net.Conn, error) {
	return func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
}

// The retired host over plain HTTP, so the fake API can answer as it.
const retiredHostHTTP = "http://api.equinix.com/metal/v1/"

func TestDefaultBaseURLIsTheRetiredHost(t *testing.T) {
	u, err := url.Parse(DefaultBaseURL)
	if err != nil || !isRetiredHost(u.Hostname()) {
		t.Fatalf("DefaultBaseURL %s is not on the retired host (%v)", DefaultBaseURL, err)
	}
}

func TestRefusalsNameTheRetirement(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusGone} {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, status, apiErrors("Invalid authentication token"))
		})
		t.Run(statusLine(status)+" from the default URL", func(t *testing.T) {
			c := newTestClient(t, f, func(cfg *Config) {
				cfg.BaseURL, cfg.TokenSource = retiredHostHTTP, "the PACKET_AUTH_TOKEN environment variable"
				cfg.Dial = dialTo(f.Listener.Addr().String())
			})
			_, err := c.GetSSHKey(context.Background(), keyID)
			wantRetirement(t, err, statusLine(status), "Invalid authentication token",
				"the token from the PACKET_AUTH_TOKEN environment variable")
			// Leads with the retirement, not with the token.
			if i, j := strings.Index(err.Error(), "2026-06-30"), strings.Index(err.Error(), "PACKET_AUTH_TOKEN"); i > j {
				t.Errorf("the default URL's error does not lead with the retirement:\n%v", err)
			}
		})
		t.Run(statusLine(status)+" from another endpoint", func(t *testing.T) {
			c := newTestClient(t, f, func(cfg *Config) {
				cfg.TokenSource, cfg.BaseURLSource = `auth_token in the provider "packet" block`, "api_url"
			})
			_, err := c.GetSSHKey(context.Background(), keyID)
			wantRetirement(t, err, statusLine(status), `the token from auth_token in the provider "packet" block`,
				f.URL+"/metal/v1/ from api_url")
			// Leads with the token: this is packet-mock or a stand-in.
			if i, j := strings.Index(err.Error(), "2026-06-30"), strings.Index(err.Error(), "the token from"); i < j {
				t.Errorf("another endpoint's error does not lead with the token:\n%v", err)
			}
		})
	}
}

// Other answers keep their own hints and say nothing of the retirement.
func TestOtherAnswersDoNotNameTheRetirement(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusInternalServerError} {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			writeJSON(w, status, apiErrors("nope"))
		})
		c := newTestClient(t, f, func(cfg *Config) {
			cfg.BaseURL, cfg.MaxRetries = retiredHostHTTP, 0
			cfg.Dial = dialTo(f.Listener.Addr().String())
		})
		_, err := c.GetSSHKey(context.Background(), keyID)
		if err == nil || strings.Contains(err.Error(), "2026-06-30") || IsRefused(err) {
			t.Errorf("%d: error = %v, IsRefused = %v; want neither the retirement nor a refusal", status, err, IsRefused(err))
		}
	}
}

// failingResolver fails every DNS lookup without sending one: the Go
// resolver cannot reach a name server.
func failingResolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no name server in this test")
	}}
}

func TestDefaultURLUnreachableNamesTheRetirement(t *testing.T) {
	closed := closedAddress(t)
	dials := map[string]func(ctx context.Context, network, addr string) (net.Conn, error){
		"connection refused": dialTo(closed),
		"DNS failure": func(ctx context.Context, network, addr string) (net.Conn, error) {
			return (&net.Dialer{Resolver: failingResolver()}).DialContext(ctx, network, addr)
		},
	}
	for name, dial := range dials {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			t.Run(name+" "+method, func(t *testing.T) {
				c, err := New(Config{Token: testToken, Dial: dial, MaxRetries: 10, // the provider's default
					RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				if method == http.MethodGet {
					_, err = c.GetSSHKey(context.Background(), keyID)
				} else {
					_, err = c.CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "x", Key: "ssh-ed25519 AAAA"})
				}
				wantRetirement(t, err, "Nothing answers at "+DefaultBaseURL+" (the default api_url)", "set api_url")
				if name == "DNS failure" && !strings.Contains(err.Error(), "lookup api.equinix.com") {
					t.Errorf("the DNS failure is not the cause named: %v", err)
				}
				// Nothing reached a server: nothing can have been created, and
				// retrying all of max_retries would only keep people waiting.
				if IsAmbiguous(err) {
					t.Errorf("IsAmbiguous = true when nothing was sent")
				}
				if got, want := c.Requests(), int64(1+connectionRefusedRetries); got != want {
					t.Errorf("%d attempts, want %d (1 + %d retries, not max_retries)", got, want, connectionRefusedRetries)
				}
			})
		}
	}
}

// A stopped packet-mock keeps its own hint: it is not the retired platform.
func TestOtherURLUnreachableDoesNotNameTheRetirement(t *testing.T) {
	base := "http://" + closedAddress(t) + "/metal/v1/"
	c, err := New(Config{Token: testToken, BaseURL: base, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetSSHKey(context.Background(), keyID)
	if err == nil || strings.Contains(err.Error(), "2026-06-30") || !strings.Contains(err.Error(), "Nothing accepts connections at "+base) {
		t.Errorf("error = %v", err)
	}
	if !IsRefused(err) {
		t.Errorf("IsRefused = false for a refused connection: apply would meet it again")
	}
}
