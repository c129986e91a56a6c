package provider

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// holdCreates answers a key create only once released: the key is stored
// (the mock has run the request), but terraform has not heard back, which
// is the moment a kill -9 of terraform turns the key into an orphan.
type holdCreates struct {
	next      http.Handler
	committed chan struct{} // closed once the first create is stored
	release   chan struct{} // close to let the answers through
	once      sync.Once
}

func (h *holdCreates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/ssh-keys") {
		h.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, r)
	h.once.Do(func() { close(h.committed) })
	select {
	case <-h.release:
	case <-r.Context().Done():
		return
	}
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// TestAccInterrupt_killedApplyOrphanIsAdopted: terraform is killed with
// SIGKILL after the API stored the key but before terraform heard back, so
// the key is in the API and not in state: an orphan. The next apply meets
// "already exists" for a key with the same key, name and tags under the
// same owner, and adopts it (with a warning) instead of failing.
func TestAccInterrupt_killedApplyOrphanIsAdopted(t *testing.T) {
	acctest.Required(t)
	mock, err := mockapi.New(mockapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hold := &holdCreates{next: mock.Handler(), committed: make(chan struct{}), release: make(chan struct{})}
	api := httptest.NewServer(hold)
	t.Cleanup(func() { api.Close(); mock.Close() })
	released := sync.OnceFunc(func() { close(hold.release) })
	t.Cleanup(released)

	key := newTestKey(t, "killed")
	cli := newTerraformCLI(t, requiredPacketHCL+
		acctest.ProviderBlock{AuthToken: mockapi.DefaultToken, APIURL: api.URL + mockapi.APIPrefix + "/", MaxRetries: 2}.String()+
		fmt.Sprintf(`
resource "packet_user_ssh_key" "k" {
  name       = "killed"
  public_key = %q
  tags       = ["ci"]
}
`, key.Line))
	cli.Run("init", "-input=false", "-no-color")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	apply, out := cli.Command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hold.committed:
	case <-time.After(time.Minute):
		t.Fatalf("the create never reached the API:\n%s", out)
	}
	if err := apply.Process.Kill(); err != nil { // kill -9
		t.Fatal(err)
	}
	_ = apply.Wait()
	released()

	if n := len(mock.SSHKeys()); n != 1 {
		t.Fatalf("%d keys in the API after the kill, want the 1 created", n)
	}
	orphan := mock.SSHKeys()[0]
	// The killed terraform leaves at most an empty state file behind.
	if st, err := os.Stat(filepath.Join(cli.Dir, "terraform.tfstate")); err == nil && st.Size() > 0 {
		if keys := stateKeys(cli); len(keys) != 0 {
			t.Fatalf("state holds %+v after kill -9; want no key (an orphan)", keys)
		}
	}

	again := cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	if !strings.Contains(again, "Warning: Existing key adopted") {
		t.Errorf("the second apply did not warn about adopting the orphan:\n%s", again)
	}
	keys := stateKeys(cli)
	if len(keys) != 1 || keys[0].ID != orphan.ID {
		t.Errorf("state keys %+v, want the orphan %s", keys, orphan.ID)
	}
	if n := len(mock.SSHKeys()); n != 1 {
		t.Errorf("%d keys in the API after the second apply, want 1", n)
	}
	if plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan after adoption is not empty:\n%s", plan)
	}
	cli.Run("destroy", "-auto-approve", "-input=false", "-no-color")
	if n := len(mock.SSHKeys()); n != 0 {
		t.Errorf("%d keys left after destroy", n)
	}
}
