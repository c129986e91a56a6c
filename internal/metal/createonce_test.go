package metal

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func newKeyLine(t *testing.T) (line, fingerprint string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " me", ssh.FingerprintLegacyMD5(sshPub)
}

// keyWithFingerprint is a key of the project projectID.
func keyWithFingerprint(id, line, fp string) map[string]any {
	k := keyJSON(id)
	k["key"], k["fingerprint"] = line, fp
	return k
}

// userKeyWithFingerprint is a personal key of the user userID.
func userKeyWithFingerprint(id, line, fp string) map[string]any {
	k := keyWithFingerprint(id, line, fp)
	k["owner"] = map[string]any{"href": "/metal/v1/users/" + userID}
	return k
}

func countPOSTs(f *fakeAPI) int {
	posts := 0
	for _, m := range methods(f) {
		if strings.HasPrefix(m, "POST") {
			posts++
		}
	}
	return posts
}

// methods lists "METHOD path" of every request the fake API saw.
func methods(f *fakeAPI) []string {
	var out []string
	for _, r := range f.seen() {
		out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, "/metal/v1/"))
	}
	return out
}

func TestCreateResentOnlyAfterLookupProvesAbsence(t *testing.T) {
	line, fp := newKeyLine(t)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.Method == http.MethodPost && n == 1:
			writeJSON(w, http.StatusBadGateway, apiErrors("upstream"))
		case r.Method == http.MethodGet:
			if got := r.URL.Query().Get("query"); got != fp {
				t.Errorf("lookup searched %q, want the fingerprint %q", got, fp)
			}
			writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": []any{}})
		default:
			writeJSON(w, http.StatusCreated, keyWithFingerprint(keyID, line, fp))
		}
	})
	c := newTestClient(t, f, nil)
	key, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "a", Key: line})
	if err != nil {
		t.Fatalf("CreateSSHKey: %v", err)
	}
	if key.ID != keyID {
		t.Errorf("key id %q, want %q", key.ID, keyID)
	}
	want := []string{"POST projects/" + projectID + "/ssh-keys", "GET projects/" + projectID + "/ssh-keys", "POST projects/" + projectID + "/ssh-keys"}
	if got := methods(f); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("requests %q, want %q", got, want)
	}
}

func TestCreateAdoptsKeyCreatedDespiteError(t *testing.T) {
	line, fp := newKeyLine(t)
	other, otherFP := newKeyLine(t)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == http.MethodPost {
			dropConnection(t, w) // the key was stored, the answer lost
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": []any{
			userKeyWithFingerprint(deviceID, other, otherFP), // a search hit that is not the key
			keyWithFingerprint(projectID, line, fp),          // the same key, but a project's
			userKeyWithFingerprint(keyID, line, fp),
		}})
	})
	c := newTestClient(t, f, nil)
	key, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "a", Key: line})
	if err != nil {
		t.Fatalf("CreateSSHKey: %v", err)
	}
	if key.ID != keyID || key.Fingerprint != fp {
		t.Errorf("adopted %q (%s), want %q (%s)", key.ID, key.Fingerprint, keyID, fp)
	}
	if got := methods(f); strings.Join(got, ",") != "POST ssh-keys,GET ssh-keys" {
		t.Errorf("requests %q, want one POST then one lookup", got)
	}
}

func TestCreateResendIsBoundedByMaxRetries(t *testing.T) {
	line, _ := newKeyLine(t)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == http.MethodPost {
			writeJSON(w, http.StatusInternalServerError, apiErrors("oops"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": []any{}})
	})
	c := newTestClient(t, f, func(cfg *Config) { cfg.MaxRetries = 2 })
	_, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "a", Key: line})
	if !IsStatus(err, http.StatusInternalServerError) || !strings.Contains(err.Error(), "giving up after 3 attempts") {
		t.Fatalf("error = %v, want the API's 500 and that it gave up after 3 attempts", err)
	}
	if posts := countPOSTs(f); posts != 3 {
		t.Errorf("%d POSTs, want 3 (1 + max_retries 2): %q", posts, methods(f))
	}
}

func TestCreateNotResentWhenLookupFails(t *testing.T) {
	line, _ := newKeyLine(t)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == http.MethodPost {
			writeJSON(w, http.StatusServiceUnavailable, apiErrors("busy"))
			return
		}
		writeJSON(w, http.StatusForbidden, apiErrors("no listing for you"))
	})
	c := newTestClient(t, f, nil)
	_, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "a", Key: line})
	if !IsStatus(err, http.StatusServiceUnavailable) || !IsAmbiguous(err) {
		t.Fatalf("error = %v, want the create's own ambiguous 503", err)
	}
	if !strings.Contains(err.Error(), "may or may not exist") || !strings.Contains(err.Error(), "403 Forbidden") {
		t.Errorf("error = %v, want it to say the lookup failed too, and why", err)
	}
	if got := methods(f); strings.Join(got, ",") != "POST ssh-keys,GET ssh-keys" {
		t.Errorf("requests %q: a POST must not be re-sent unless the key is proven absent", got)
	}
}

func TestCreateAdoptsKeyAfterResendIsRefusedAsDuplicate(t *testing.T) {
	// The first POST fails but is committed late (after the lookup); the
	// resend is refused as a duplicate: that key is ours, not a second one.
	line, fp := newKeyLine(t)
	lookups := 0
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.Method == http.MethodPost && n == 1:
			writeJSON(w, http.StatusGatewayTimeout, apiErrors("timeout"))
		case r.Method == http.MethodPost:
			writeJSON(w, http.StatusUnprocessableEntity, apiErrors("key with fingerprint "+fp+" already exists"))
		default:
			lookups++
			if lookups == 1 {
				writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": []any{}})
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": []any{keyWithFingerprint(keyID, line, fp)}})
		}
	})
	c := newTestClient(t, f, nil)
	key, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "a", Key: line})
	if err != nil {
		t.Fatalf("CreateSSHKey: %v", err)
	}
	if key.ID != keyID {
		t.Errorf("key id %q, want %q", key.ID, keyID)
	}
	if posts := countPOSTs(f); posts != 2 {
		t.Errorf("%d POSTs, want 2: %q", posts, methods(f))
	}
}

func TestCreateDuplicateNamesTheExistingKey(t *testing.T) {
	// A 422 with no earlier failure: the existing key is looked up and named;
	// it is adoptable only when key, label, tags and owner all match.
	line, fp := newKeyLine(t)
	for _, tc := range []struct {
		name      string
		in        SSHKeyCreate
		adoptable bool
	}{
		{"same key, label and tags", SSHKeyCreate{Label: "laptop", Key: line, Tags: []string{"ops"}}, true},
		{"tags in another order, repeated", SSHKeyCreate{Label: "laptop", Key: line, Tags: []string{"ops", "ops"}}, true},
		{"another label", SSHKeyCreate{Label: "a", Key: line, Tags: []string{"ops"}}, false},
		{"other tags", SSHKeyCreate{Label: "laptop", Key: line}, false},
		{"another comment", SSHKeyCreate{Label: "laptop", Key: line + "-other", Tags: []string{"ops"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if r.Method == http.MethodPost {
					writeJSON(w, http.StatusUnprocessableEntity, apiErrors("already exists"))
					return
				}
				writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": []any{keyWithFingerprint(keyID, line, fp)}})
			})
			c := newTestClient(t, f, nil)
			_, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, tc.in)
			var dup *DuplicateKeyError
			if !errors.As(err, &dup) || !IsStatus(err, http.StatusUnprocessableEntity) {
				t.Fatalf("error = %v, want a *DuplicateKeyError wrapping the 422", err)
			}
			if dup.Existing.ID != keyID || dup.Adoptable != tc.adoptable {
				t.Errorf("existing %s adoptable %v; want %s adoptable %v", dup.Existing.ID, dup.Adoptable, keyID, tc.adoptable)
			}
			if got := methods(f); len(got) != 2 || countPOSTs(f) != 1 {
				t.Errorf("requests %q, want one POST and one lookup", got)
			}
		})
	}
}

func TestCreateNotFoundProject(t *testing.T) {
	line, _ := newKeyLine(t)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusNotFound, apiErrors("Not found"))
	})
	_, err := newTestClient(t, f, nil).CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "a", Key: line})
	if err == nil || !strings.Contains(err.Error(), "project "+projectID+" was not found, or this API token cannot see it") {
		t.Errorf("error = %v, want it to name the project", err)
	}
}

func TestCreateLastAttemptStillAdopts(t *testing.T) {
	// With no retries left, a key the failed POST did create is still found.
	line, fp := newKeyLine(t)
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == http.MethodPost {
			writeJSON(w, http.StatusBadGateway, apiErrors("committed, then lost"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": []any{keyWithFingerprint(keyID, line, fp)}})
	})
	c := newTestClient(t, f, func(cfg *Config) { cfg.MaxRetries = 0 })
	key, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "a", Key: line})
	if err != nil || key.ID != keyID {
		t.Fatalf("CreateSSHKey = %v, %v; want the key %s adopted", key, err, keyID)
	}
}

func TestCreateInterruptedStillLooksForTheKey(t *testing.T) {
	// Ctrl-C while the POST is in flight: the API may have stored the key, so
	// it is looked for even though the context is cancelled.
	line, fp := newKeyLine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == http.MethodPost {
			cancel()
			<-r.Context().Done() // the client gave up on this request
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": []any{keyWithFingerprint(keyID, line, fp)}})
	})
	c := newTestClient(t, f, nil)
	key, err := c.CreateSSHKey(ctx, Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "a", Key: line})
	if err != nil || key.ID != keyID {
		t.Fatalf("CreateSSHKey = %v, %v; want the key %s found after the interruption", key, err, keyID)
	}
	if posts := countPOSTs(f); posts != 1 {
		t.Errorf("%d POSTs, want 1: an interrupted create is never resent", posts)
	}
}
