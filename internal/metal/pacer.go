package metal

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pacer holds every request of a client back while the API has said that the
// rate limit is used up (X-RateLimit-Remaining: 0 until X-RateLimit-Reset).
// Waiting is cheaper than sending requests that are sure to get 429, and
// with Terraform's parallelism many requests would otherwise do just that.
type pacer struct {
	mu    sync.Mutex
	until time.Time
}

// observe records a "no requests left until reset" from any response.
func (p *pacer) observe(h http.Header, now time.Time) {
	if h.Get("X-RateLimit-Remaining") != "0" {
		return
	}
	unix, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil || unix <= 0 {
		return
	}
	reset := time.Unix(unix, 0)
	if !reset.After(now) {
		return
	}
	// A reset absurdly far away (clock skew, a broken proxy) is capped.
	if limit := now.Add(maxServerWait); reset.After(limit) {
		reset = limit
	}
	p.mu.Lock()
	if reset.After(p.until) {
		p.until = reset
	}
	p.mu.Unlock()
}

// wait blocks until the rate limit has reset or ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	d := time.Until(p.until)
	p.mu.Unlock()
	if d <= 0 {
		return nil
	}
	return sleepCtx(ctx, d)
}
