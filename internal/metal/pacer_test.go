package metal

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestPacerWaitsForRateLimitReset(t *testing.T) {
	var reset time.Time
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			// Allowed, but the last request of the window.
			reset = time.Unix(time.Now().Unix()+1, 0)
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		}
		writeJSON(w, http.StatusOK, keyJSON(keyID))
	})
	c := newTestClient(t, f, nil)
	for range 2 {
		if _, err := c.GetSSHKey(context.Background(), keyID); err != nil {
			t.Fatal(err)
		}
	}
	seen := f.seen()
	if len(seen) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(seen))
	}
	if seen[1].At.Before(reset) {
		t.Errorf("second request sent at %v, before the rate limit reset at %v", seen[1].At, reset)
	}
}

func TestPacerObserve(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	header := func(remaining string, reset int64) http.Header {
		h := http.Header{}
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
		return h
	}
	for name, tc := range map[string]struct {
		h    http.Header
		want time.Time
	}{
		"requests left":        {header("3", now.Unix()+10), time.Time{}},
		"used up":              {header("0", now.Unix()+10), now.Add(10 * time.Second)},
		"reset in the past":    {header("0", now.Unix()-10), time.Time{}},
		"reset not a number":   {http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"soon"}}, time.Time{}},
		"reset far away":       {header("0", now.Unix()+86400), now.Add(maxServerWait)},
		"no rate limit at all": {http.Header{}, time.Time{}},
	} {
		t.Run(name, func(t *testing.T) {
			var p pacer
			p.observe(tc.h, now)
			if !p.until.Equal(tc.want) {
				t.Errorf("holds requests until %v, want %v", p.until, tc.want)
			}
		})
	}
	// A later observation never shortens the wait.
	var p pacer
	p.observe(header("0", now.Unix()+20), now)
	p.observe(header("0", now.Unix()+5), now)
	if want := now.Add(20 * time.Second); !p.until.Equal(want) {
		t.Errorf("holds requests until %v, want %v", p.until, want)
	}
}

func TestPacerWaitHonoursContext(t *testing.T) {
	p := pacer{until: time.Now().Add(time.Minute)}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := p.wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait = %v, want the context's deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("wait took %v after the context ended", took)
	}
}
