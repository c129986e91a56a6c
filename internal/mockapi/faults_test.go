package mockapi

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestErrorRate(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SetFaults(Faults{ErrorRate: 1, Seed: 1})
	seen := map[int]bool{}
	for range 30 {
		res := e.do("GET", "/ssh-keys", DefaultToken, nil)
		if res.status != 500 && res.status != 502 && res.status != 503 {
			t.Fatalf("status %d under ErrorRate 1", res.status)
		}
		seen[res.status] = true
	}
	if len(seen) < 2 {
		t.Errorf("only statuses %v: expected a mix of 500/502/503", seen)
	}
	// Faults fire before the store: a POST under errors creates nothing.
	e.do("POST", "/ssh-keys", DefaultToken, map[string]string{"label": "x", "key": newKeyLine(t, "x")})
	if n := len(e.srv.SSHKeys()); n != 0 {
		t.Errorf("%d keys created through an injected error", n)
	}

	// Per-route rates override the global one.
	e.srv.SetFaults(Faults{ErrorRate: 1, ErrorRateByRoute: map[string]float64{"GET /users/me": 0}})
	e.expect(e.do("GET", "/users/me", DefaultToken, nil), 200)
	if res := e.do("GET", "/projects", DefaultToken, nil); res.status < 500 {
		t.Errorf("GET /projects = %d under ErrorRate 1", res.status)
	}

	// A fractional rate fails some but not all requests.
	e.srv.SetFaults(Faults{ErrorRate: 0.5, Seed: 42})
	failed := 0
	for range 200 {
		if e.do("GET", "/users/me", DefaultToken, nil).status >= 500 {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Errorf("%d of 200 failed at rate 0.5", failed)
	}
	e.srv.SetFaults(Faults{})
	e.expect(e.do("GET", "/users/me", DefaultToken, nil), 200)
}

func TestRateLimitBurst(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	e := newEnv(t, Options{Clock: clock.Now})
	e.srv.SetFaults(Faults{RateLimitBurst: 2, RetryAfter: 1500 * time.Millisecond})
	for i := range 2 {
		res := e.expect(e.do("GET", "/ssh-keys", DefaultToken, nil), http.StatusTooManyRequests)
		if got := res.header.Get("Retry-After"); got != "2" {
			t.Errorf("request %d: Retry-After %q, want 2 (1.5s rounded up)", i, got)
		}
		if res.header.Get("X-RateLimit-Limit") != "2" || res.header.Get("X-RateLimit-Remaining") != "0" ||
			res.header.Get("X-RateLimit-Reset") != strconv.FormatInt(1_700_000_002, 10) {
			t.Errorf("rate limit headers: %v", res.header)
		}
	}
	e.expect(e.do("GET", "/ssh-keys", DefaultToken, nil), 200)
}

func TestRateLimitEveryRepeatsTheBurst(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SetFaults(Faults{RateLimitBurst: 2, RateLimitEvery: 5, RetryAfter: time.Second})
	var got []int
	for range 10 {
		got = append(got, e.do("GET", "/ssh-keys", DefaultToken, nil).status)
	}
	want := []int{429, 429, 200, 200, 429, 429, 200, 200, 200, 429}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
}

func TestInjectedFaultsAreCounted(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SetFaults(Faults{RateLimitBurst: 1, ErrorRate: 1, RetryAfter: time.Second})
	for range 3 {
		e.do("GET", "/ssh-keys", DefaultToken, nil)
	}
	if got, want := e.srv.InjectedFaults(), (FaultCounts{Requests: 3, RateLimited: 1, Errors: 2}); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	// A failed operation gives its AfterCommit back; a successful one counts.
	e.srv.SetFaults(Faults{AfterCommit: map[string]int{"POST /ssh-keys": 500}})
	e.expect(e.do("POST", "/ssh-keys", DefaultToken, map[string]string{"label": "bad", "key": "nope"}), 422)
	e.expect(e.do("POST", "/ssh-keys", DefaultToken, map[string]string{"label": "a", "key": newKeyLine(t, "a")}), 500)
	if got, want := e.srv.InjectedFaults(), (FaultCounts{Requests: 2, AfterCommit: 1}); got != want {
		t.Errorf("after SetFaults: counts %+v, want %+v", got, want)
	}
}

func TestAfterCommit(t *testing.T) {
	e := newEnv(t, Options{})
	route := "POST /projects/{id}/ssh-keys"
	e.srv.SetFaults(Faults{AfterCommit: map[string]int{route: 500}, AfterCommitCount: 1})
	path := "/projects/" + DefaultProjectID + "/ssh-keys"

	// A failing operation does not use up the fault.
	e.expect(e.do("POST", path, DefaultToken, map[string]string{"label": "bad", "key": "nope"}), 422)
	e.expect(e.do("POST", path, DefaultToken, map[string]string{"label": "a", "key": newKeyLine(t, "a")}), 500)
	keys := e.srv.SSHKeys()
	if len(keys) != 1 || keys[0].Label != "a" {
		t.Fatalf("the key behind the 500 was not created: %+v", keys)
	}
	// Count 1: the next create answers normally.
	e.expect(e.do("POST", path, DefaultToken, map[string]string{"label": "b", "key": newKeyLine(t, "b")}), 201)
	// Other routes are untouched.
	e.expect(e.do("GET", "/ssh-keys/"+keys[0].ID, DefaultToken, nil), 200)
}

func TestAfterCommitCountUnderConcurrency(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SetFaults(Faults{AfterCommit: map[string]int{"POST /ssh-keys": 503}, AfterCommitCount: 3})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 20 {
		wg.Go(func() {
			res, err := e.try("POST", "/ssh-keys", DefaultToken, map[string]string{"label": fmt.Sprint(i), "key": newKeyLine(t, "c")})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			statuses[res.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[503] != 3 || statuses[201] != 17 || len(e.srv.SSHKeys()) != 20 {
		t.Errorf("statuses %v, %d keys", statuses, len(e.srv.SSHKeys()))
	}
}

func TestDropClosesConnection(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SetFaults(Faults{DropRate: 1})
	if res, err := e.try("GET", "/users/me", DefaultToken, nil); err == nil {
		t.Fatalf("expected a transport error, got status %d", res.status)
	}
	if n := e.srv.Requests()["GET /users/me"]; n < 1 {
		t.Errorf("dropped request not counted: %d", n)
	}
	e.srv.SetFaults(Faults{})
	e.expect(e.do("GET", "/users/me", DefaultToken, nil), 200)
}

func TestLatency(t *testing.T) {
	e := newEnv(t, Options{})
	e.srv.SetFaults(Faults{LatencyMin: 40 * time.Millisecond, LatencyMax: 60 * time.Millisecond})
	start := time.Now()
	e.expect(e.do("GET", "/users/me", DefaultToken, nil), 200)
	if took := time.Since(start); took < 40*time.Millisecond {
		t.Errorf("request took %v, want at least 40ms", took)
	}
}

func TestRequestCounters(t *testing.T) {
	e := newEnv(t, Options{})
	k := e.createProjectKey("k", newKeyLine(t, "k"))
	for range 3 {
		e.do("GET", "/ssh-keys/"+k.ID, DefaultToken, nil)
	}
	e.do("GET", "/ssh-keys/"+k.ID, "", nil) // unauthenticated still counts
	e.do("GET", "/nowhere", DefaultToken, nil)
	got := e.srv.Requests()
	want := map[string]int{"POST /projects/{id}/ssh-keys": 1, "GET /ssh-keys/{id}": 4, "GET (no route)": 1}
	if len(got) != len(want) {
		t.Errorf("counters = %v, want %v", got, want)
	}
	for key, n := range want {
		if got[key] != n {
			t.Errorf("%s = %d, want %d (all: %v)", key, got[key], n, got)
		}
	}
	got["GET /ssh-keys/{id}"] = 100 // a copy: must not change the server's count
	if e.srv.Requests()["GET /ssh-keys/{id}"] != 4 {
		t.Error("Requests returned the live map")
	}
	e.srv.ResetRequests()
	if len(e.srv.Requests()) != 0 {
		t.Errorf("after reset: %v", e.srv.Requests())
	}
}
