package provider

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// envSoakKeys sets the soak size: keys in total, half project and half
// personal keys. `make test` uses the default; the full soak is 200.
const (
	envSoakKeys     = "PACKET_SOAK_KEYS"
	defaultSoakKeys = 40
	maxSoakKeys     = 1000
)

func soakSize(t *testing.T) int {
	t.Helper()
	v := os.Getenv(envSoakKeys)
	if v == "" {
		return defaultSoakKeys
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 || n > maxSoakKeys {
		t.Fatalf("%s=%q: want a number of keys from 2 to %d", envSoakKeys, v, maxSoakKeys)
	}
	return n
}

// soakFaults is what the API does to every request during the soak: 20%
// answered 5xx, 5% dropped connections, 0–200 ms latency, a burst of 429s
// with Retry-After every 150 requests, and some creates, updates and
// deletes that succeed but answer 5xx (the worst case for a client).
func soakFaults(keys int, seed int64) mockapi.Faults {
	return mockapi.Faults{
		ErrorRate:      0.20,
		DropRate:       0.05,
		LatencyMin:     0,
		LatencyMax:     200 * time.Millisecond,
		RateLimitBurst: 5,
		RateLimitEvery: 150,
		RetryAfter:     time.Second,
		AfterCommit: map[string]int{
			"POST /projects/{id}/ssh-keys": 502,
			"POST /ssh-keys":               503,
			"PATCH /ssh-keys/{id}":         500,
			"DELETE /ssh-keys/{id}":        502,
		},
		AfterCommitCount: max(keys/10, 2),
		Seed:             seed,
	}
}

// soakProviderBlock allows more retries than providerBlock: with 25% of
// requests failing, 10 retries make an exhausted request (0.25^11) a
// practical impossibility even over tens of thousands of requests.
func soakProviderBlock(mock *mockapi.Server) string {
	p := mockProvider(mock)
	p.MaxRetries = 10
	return p.String()
}

// soakConfig declares the keys; renamed renames every other one.
func soakConfig(mock *mockapi.Server, project, user []testKey, renamed bool) string {
	names := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			name := fmt.Sprintf("%s-%03d", prefix, i)
			if renamed && i%2 == 0 {
				name += "-renamed"
			}
			fmt.Fprintf(&b, "%q,", name)
		}
		return b.String()
	}
	lines := func(keys []testKey) string {
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%q,\n", k.Line)
		}
		return b.String()
	}
	return soakProviderBlock(mock) + fmt.Sprintf(`
locals {
  project_keys  = [%s]
  project_names = [%s]
  user_keys     = [%s]
  user_names    = [%s]
}

resource "packet_project_ssh_key" "soak" {
  count      = length(local.project_keys)
  project_id = %q
  name       = local.project_names[count.index]
  public_key = local.project_keys[count.index]
}

resource "packet_user_ssh_key" "soak" {
  count      = length(local.user_keys)
  name       = local.user_names[count.index]
  public_key = local.user_keys[count.index]
}
`, lines(project), names("project", len(project)), lines(user), names("user", len(user)), mockapi.DefaultProjectID)
}

// reconciliation compares the API's keys with Terraform's state.
type reconciliation struct {
	inState, inAPI               int
	orphans, missing, duplicates int
	wrongNames                   int
	problems                     []string
}

func (r reconciliation) String() string {
	return fmt.Sprintf("state=%d api=%d orphans=%d missing=%d duplicates=%d wrong_names=%d",
		r.inState, r.inAPI, r.orphans, r.missing, r.duplicates, r.wrongNames)
}

// reconcile finds keys in the API that state does not know (orphans), state
// entries the API does not have (missing), and keys that exist twice.
func reconcile(mock *mockapi.Server, s *terraform.State) reconciliation {
	var r reconciliation
	stateByID := map[string]*terraform.ResourceState{}
	if s != nil {
		for addr, rs := range s.RootModule().Resources {
			if rs.Type != "packet_project_ssh_key" && rs.Type != "packet_user_ssh_key" {
				continue
			}
			r.inState++
			if _, twice := stateByID[rs.Primary.ID]; twice {
				r.duplicates++
				r.problems = append(r.problems, fmt.Sprintf("%s: id %s is in state twice", addr, rs.Primary.ID))
			}
			stateByID[rs.Primary.ID] = rs
		}
	}
	byOwnerAndFingerprint := map[string]int{}
	apiIDs := map[string]bool{}
	for _, k := range mock.SSHKeys() {
		r.inAPI++
		apiIDs[k.ID] = true
		owner := "project/" + k.ProjectID
		if k.UserID != "" {
			owner = "user/" + k.UserID
		}
		if byOwnerAndFingerprint[owner+" "+k.Fingerprint]++; byOwnerAndFingerprint[owner+" "+k.Fingerprint] == 2 {
			r.duplicates++
			r.problems = append(r.problems, fmt.Sprintf("key %s exists more than once under %s", k.Fingerprint, owner))
		}
		rs, tracked := stateByID[k.ID]
		if !tracked {
			r.orphans++
			r.problems = append(r.problems, fmt.Sprintf("orphan: key %s %q is in the API but not in state", k.ID, k.Label))
			continue
		}
		if rs.Primary.Attributes["name"] != k.Label || rs.Primary.Attributes["fingerprint"] != k.Fingerprint {
			r.wrongNames++
			r.problems = append(r.problems, fmt.Sprintf("key %s: API has %q %s, state has %q %s", k.ID,
				k.Label, k.Fingerprint, rs.Primary.Attributes["name"], rs.Primary.Attributes["fingerprint"]))
		}
	}
	for id := range stateByID {
		if !apiIDs[id] {
			r.missing++
			r.problems = append(r.problems, fmt.Sprintf("missing: key %s is in state but not in the API", id))
		}
	}
	return r
}

// soakRun tracks the phases of a soak: each phase gets fresh faults (so
// every operation kind meets its after-commit errors) and its own figures.
type soakRun struct {
	t       *testing.T
	mock    *mockapi.Server
	keys    int
	seed    int64
	phase   int
	started time.Time
	total   mockapi.FaultCounts
}

// arm switches the faults on, fresh, for the next phase.
func (r *soakRun) arm() {
	r.phase++
	r.mock.SetFaults(soakFaults(r.keys, r.seed+int64(r.phase)))
	r.started = time.Now()
}

// checkReconciled fails unless state and the API hold exactly the same
// wantKeys keys, and logs the figures of the phase.
func (r *soakRun) checkReconciled(phase string, wantKeys int) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rec := reconcile(r.mock, s)
		f := r.mock.InjectedFaults()
		r.total.Requests += f.Requests
		r.total.Errors += f.Errors
		r.total.Drops += f.Drops
		r.total.RateLimited += f.RateLimited
		r.total.AfterCommit += f.AfterCommit
		r.t.Logf("soak %-8s keys=%d %s | requests=%d 5xx=%d dropped=%d 429=%d committed-then-5xx=%d | %s",
			phase, wantKeys, rec, f.Requests, f.Errors, f.Drops, f.RateLimited, f.AfterCommit, time.Since(r.started).Round(time.Millisecond))
		if len(rec.problems) > 0 || rec.inState != wantKeys || rec.inAPI != wantKeys {
			shown := rec.problems[:min(len(rec.problems), 20)]
			return fmt.Errorf("after %s, %s (want %d keys in each):\n%s", phase, rec, wantKeys, strings.Join(shown, "\n"))
		}
		return nil
	}
}

// checkRenamed proves the rename reached the API: every other key carries
// the new name.
func checkRenamed(mock *mockapi.Server, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		renamed := 0
		for _, k := range mock.SSHKeys() {
			if strings.HasSuffix(k.Label, "-renamed") {
				renamed++
			}
		}
		if renamed != want {
			return fmt.Errorf("%d keys renamed in the API, want %d", renamed, want)
		}
		return nil
	}
}

// TestAccSoak_keysUnderFaults applies, refreshes, renames half of and
// destroys many project and personal keys while the API misbehaves, and
// after every phase proves the API and state agree: no orphan, nothing
// missing, no duplicate. Size: PACKET_SOAK_KEYS (default 40; full soak 200).
func TestAccSoak_keysUnderFaults(t *testing.T) {
	t.Parallel()
	total := soakSize(t)
	mock := testMock(t, mockapi.Options{})
	project := make([]testKey, total/2)
	user := make([]testKey, total-total/2)
	for i := range project {
		project[i] = newTestKey(t, fmt.Sprintf("soak-project-%d", i))
	}
	for i := range user {
		user[i] = newTestKey(t, fmt.Sprintf("soak-user-%d", i))
	}
	renamed := (len(project)+1)/2 + (len(user)+1)/2
	run := &soakRun{t: t, mock: mock, keys: total, seed: time.Now().UnixNano()}
	t.Logf("soak: %d keys (%d project, %d personal), fault seed %d", total, len(project), len(user), run.seed)
	begin := time.Now()

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			// Destroy ran under faults too; nothing may be left behind.
			if err := run.checkReconciled("destroy", 0)(nil); err != nil {
				return err
			}
			f := run.total
			t.Logf("soak total: %d keys, %d requests (5xx=%d dropped=%d 429=%d committed-then-5xx=%d), %s",
				total, f.Requests, f.Errors, f.Drops, f.RateLimited, f.AfterCommit, time.Since(begin).Round(time.Millisecond))
			return nil
		},
		Steps: []resource.TestStep{
			{
				PreConfig: run.arm,
				Config:    soakConfig(mock, project, user, false),
				Check:     run.checkReconciled("apply", total),
			},
			{
				PreConfig:    run.arm,
				RefreshState: true,
				Check:        run.checkReconciled("refresh", total),
			},
			{
				PreConfig: run.arm,
				Config:    soakConfig(mock, project, user, true),
				Check: resource.ComposeAggregateTestCheckFunc(
					run.checkReconciled("rename", total),
					checkRenamed(mock, renamed),
				),
			},
			{
				// Re-arm the faults (with fresh after-commit errors) for the destroy.
				PreConfig: run.arm,
				Config:    soakConfig(mock, project, user, true),
				Check:     run.checkReconciled("no-op", total),
			},
		},
	})
}

// TestAccRetries_exhaustedSaysSo proves max_retries bounds the retries and
// the error says that it gave up, for a create (429: the API refused it, so
// it is safe to repeat) and for a read (5xx), and that nothing was created.
func TestAccRetries_exhaustedSaysSo(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	key := newTestKey(t, "exhausted")
	p := mockProvider(mock)
	p.MaxRetries, p.Settings = 2, `request_timeout = "5s"`
	provider := p.String()
	keyHCL := fmt.Sprintf(`
resource "packet_project_ssh_key" "k" {
  project_id = %q
  name       = "exhausted"
  public_key = %q
}
`, mockapi.DefaultProjectID, key.Line)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					mock.SetFaults(mockapi.Faults{RateLimitBurst: 1000, RetryAfter: time.Second})
				},
				Config:      provider + keyHCL,
				ExpectError: errorLike("giving up after 3 attempts: 429 Too Many Requests"),
			},
			{
				PreConfig: func() {
					if n := len(mock.SSHKeys()); n != 0 {
						t.Errorf("%d keys in the API after the refused create, want 0", n)
					}
					mock.SetFaults(mockapi.Faults{ErrorRateByRoute: map[string]float64{"GET /ssh-keys/{id}": 1}})
				},
				Config:      provider + `data "packet_user_ssh_key" "k" { id = "0b5a2f4e-8c1d-4e8a-9f7b-2d3c4b5a6e7f" }`,
				ExpectError: errorLike("giving up after 3 attempts: 50"),
			},
		},
	})
	if got := mock.Requests()["GET /ssh-keys/{id}"]; got != 3 {
		t.Errorf("the read was tried %d times, want 3 (1 + max_retries 2)", got)
	}
}
