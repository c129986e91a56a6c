package mockapi

import (
	"bytes"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestConcurrentCreateAndDelete(t *testing.T) {
	e := newEnv(t, Options{})
	const workers, perWorker = 16, 12
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				res, err := e.try("POST", "/projects/"+DefaultProjectID+"/ssh-keys", DefaultToken,
					map[string]string{"label": fmt.Sprintf("w%d-%d", w, i), "key": newKeyLine(t, "c")})
				if err != nil || res.status != 201 {
					t.Errorf("create: %v %d %s", err, res.status, res.body)
					return
				}
				if i%2 == 1 { // delete every second key again
					var k sshKeyJSON
					res.decode(t, &k)
					if r, err := e.try("DELETE", "/ssh-keys/"+k.ID, DefaultToken, nil); err != nil || r.status != 204 {
						t.Errorf("delete: %v %d", err, r.status)
					}
				}
				if _, err := e.try("GET", "/projects/"+DefaultProjectID+"/ssh-keys", DefaultToken, nil); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	want := workers * perWorker / 2
	var list sshKeyListJSON
	e.expect(e.do("GET", "/projects/"+DefaultProjectID+"/ssh-keys", DefaultToken, nil), 200).decode(t, &list)
	if len(list.SSHKeys) != want || len(e.srv.SSHKeys()) != want {
		t.Errorf("%d listed, %d stored, want %d", len(list.SSHKeys), len(e.srv.SSHKeys()), want)
	}
	reqs := e.srv.Requests()
	if reqs["POST /projects/{id}/ssh-keys"] != workers*perWorker || reqs["DELETE /ssh-keys/{id}"] != want {
		t.Errorf("counters = %v", reqs)
	}
}

func TestStateFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	fleet := &fakeFleet{}
	first, err := New(Options{StatePath: path, Provisioner: fleet.provision})
	if err != nil {
		t.Fatal(err)
	}
	k, err := first.createKey(SSHKey{Label: "kept", Key: newKeyLine(t, "kept"), ProjectID: DefaultProjectID, Tags: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := first.CreateDevice(SeedDevice{Hostname: "box", ProjectID: DefaultProjectID})
	if err != nil {
		t.Fatal(err)
	}
	gone, _ := first.PutSSHKey(SSHKey{Label: "gone", Key: newKeyLine(t, "g"), UserID: DefaultUserID})
	first.DeleteSSHKey(gone.ID)
	first.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	fleet2 := &fakeFleet{}
	second, err := New(Options{StatePath: path, Provisioner: fleet2.provision, Seed: &Seed{}})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	got, ok := second.SSHKey(k.ID)
	if !ok || got.Label != "kept" || got.Fingerprint != k.Fingerprint || !got.CreatedAt.Equal(k.CreatedAt) || len(got.Tags) != 1 {
		t.Errorf("key after reload = %+v, %v", got, ok)
	}
	if _, ok := second.SSHKey(gone.ID); ok {
		t.Error("a deleted key came back")
	}
	dev, ok := second.Device(d.ID)
	if !ok || dev.RootPassword != d.RootPassword || len(dev.SSHKeyIDs) != 1 || dev.SSHKeyIDs[0] != k.ID {
		t.Errorf("device after reload = %+v", dev)
	}
	m := fleet2.get(d.ID)
	if m == nil || !strings.Contains(string(m.spec.AuthorizedKeys), got.Key) {
		t.Errorf("machine not re-provisioned from the snapshot: %+v", m)
	}
	// Users (and their tokens) survive too: the seed was ignored.
	if len(second.Summary()) < 4 {
		t.Errorf("summary = %v", second.Summary())
	}

	if err := os.WriteFile(path, []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{StatePath: path}); err == nil {
		t.Error("a broken state file was accepted")
	}
}

func TestLoggerNeverShowsToken(t *testing.T) {
	var buf bytes.Buffer
	e := newEnv(t, Options{Logger: log.New(&buf, "", 0)})
	e.do("GET", "/users/me", DefaultToken, nil)
	e.do("GET", "/users/me", "secret-guess", nil)
	out := buf.String()
	if !strings.Contains(out, "GET /metal/v1/users/me GET /users/me 200") || !strings.Contains(out, " 401 ") {
		t.Errorf("log = %q", out)
	}
	if strings.Contains(out, DefaultToken) || strings.Contains(out, "secret-guess") {
		t.Errorf("log leaks a token: %q", out)
	}
}

func TestPutSSHKeyBehindTheAPI(t *testing.T) {
	e := newEnv(t, Options{})
	k := e.createProjectKey("k", newKeyLine(t, "k"))
	stored, _ := e.srv.SSHKey(k.ID)
	stored.Label = "renamed elsewhere"
	if _, err := e.srv.PutSSHKey(stored); err != nil {
		t.Fatal(err)
	}
	var got sshKeyJSON
	e.expect(e.do("GET", "/ssh-keys/"+k.ID, DefaultToken, nil), 200).decode(t, &got)
	if got.Label != "renamed elsewhere" {
		t.Errorf("label = %q", got.Label)
	}
	if _, err := e.srv.PutSSHKey(SSHKey{Label: "x", Key: "junk", ProjectID: DefaultProjectID}); err == nil {
		t.Error("PutSSHKey accepted an unparseable key")
	}
	if _, err := e.srv.PutSSHKey(SSHKey{Label: "x", Key: newKeyLine(t, "x")}); err == nil {
		t.Error("PutSSHKey accepted a key without owner")
	}
	if !e.srv.DeleteSSHKey(k.ID) || e.srv.DeleteSSHKey(k.ID) {
		t.Error("DeleteSSHKey should report whether it removed something")
	}
	e.expect(e.do("GET", "/ssh-keys/"+k.ID, DefaultToken, nil), 404)
}

func TestNewTestServer(t *testing.T) {
	s := NewTestServer(t, Options{})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), "/metal/v1/") {
		t.Fatalf("URL = %q", s.URL())
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", s.URL()+"users/me", nil)
	req.Header.Set("X-Auth-Token", DefaultToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("status %d", res.StatusCode)
	}
}
