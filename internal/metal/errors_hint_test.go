package metal

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

func TestUnauthorizedSaysWhichSettingGaveTheToken(t *testing.T) {
	for _, source := range []string{"auth_token in the provider block", "the PACKET_AUTH_TOKEN environment variable"} {
		t.Run(source, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, http.StatusUnauthorized, apiErrors("invalid authentication token"))
			})
			c := newTestClient(t, f, func(cfg *Config) { cfg.TokenSource = source })
			_, err := c.GetSSHKey(context.Background(), keyID)
			want := "GET /ssh-keys/" + keyID + ": 401 Unauthorized: invalid authentication token. " +
				"The API at " + f.URL + "/metal/v1/ refused the token from " + source + ": against packet-mock or " +
				"another endpoint that is a token problem, so check that the token is current there"
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error = %v\nwant it to start with %s", err, want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the error shows the token: %v", err)
			}
			if !IsStatus(err, http.StatusUnauthorized) {
				t.Errorf("IsStatus(401) = false")
			}
		})
	}
}

func TestNotFoundWithoutBasePathSaysSo(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusNotFound, apiErrors("Not found"))
	})
	c := newTestClient(t, f, func(cfg *Config) { cfg.BaseURL, cfg.BaseURLSource = f.URL, "the PACKET_API_URL environment variable" })
	_, err := c.GetSSHKey(context.Background(), keyID)
	want := "GET /ssh-keys/" + keyID + ": 404 Not Found: Not found. The API URL " + f.URL + "/ from the PACKET_API_URL " +
		"environment variable has no /metal/v1/ base path, which is probably missing: use " + f.URL + "/metal/v1/"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	// Not proof that the key is gone: a refresh must fail, not drop it from state.
	if IsNotFound(err) {
		t.Errorf("IsNotFound = true for a 404 that comes from a wrong API URL")
	}
}

func TestNotFoundUnderTheBasePathHasNoHint(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusNotFound, apiErrors("Not found"))
	})
	_, err := newTestClient(t, f, nil).GetSSHKey(context.Background(), keyID)
	if want := "GET /ssh-keys/" + keyID + ": 404 Not Found: Not found"; err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	if !IsNotFound(err) {
		t.Errorf("IsNotFound = false")
	}
}

// closedAddress is a loopback address that refuses connections.
func closedAddress(t *testing.T) string { return testutil.RefusingAddress(t) }

func TestConnectionRefusedFailsFastAndSaysWhere(t *testing.T) {
	addr := closedAddress(t)
	base := "http://" + addr + "/metal/v1/"
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			// max_retries 10, the provider's default, took 22 s here; short backoff keeps the test quick.
			c, err := New(Config{Token: testToken, BaseURL: base, BaseURLSource: "api_url", MaxRetries: 10,
				RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if method == http.MethodGet {
				_, err = c.GetSSHKey(context.Background(), keyID)
			} else {
				_, err = c.CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "x", Key: "ssh-ed25519 AAAA"})
			}
			if err == nil {
				t.Fatal("no error from a closed port")
			}
			for _, want := range []string{"connection refused. Nothing accepts connections at " + base + " from api_url: " +
				"is the API (or packet-mock) running there, and is that the right URL?"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			// Nothing reached a server, so nothing can have been created.
			if IsAmbiguous(err) {
				t.Errorf("IsAmbiguous = true for a refused connection")
			}
			if got, want := c.Requests(), int64(1+connectionRefusedRetries); got != want {
				t.Errorf("%d attempts, want %d (1 + %d retries, not max_retries)", got, want, connectionRefusedRetries)
			}
		})
	}
}
