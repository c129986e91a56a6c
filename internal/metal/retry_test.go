package metal

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRetry429HonoursRetryAfter(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, apiErrors("slow down"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": projectID, "name": "infra"})
	})
	// Backoff alone would wait at most 5ms: only the header explains a 1s wait.
	c := newTestClient(t, f, nil)

	p, err := c.GetProject(context.Background(), projectID)
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	if p.ID != projectID {
		t.Errorf("project id = %q, want %q", p.ID, projectID)
	}
	seen := f.seen()
	if len(seen) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(seen))
	}
	if gap := seen[1].At.Sub(seen[0].At); gap < time.Second {
		t.Errorf("retried after %v, want at least the 1s of Retry-After", gap)
	}
	if got := c.Requests(); got != 2 {
		t.Errorf("Requests() = %d, want 2", got)
	}
}

func TestRetry5xxThenSuccess(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			writeJSON(w, http.StatusServiceUnavailable, apiErrors("maintenance"))
		case 2:
			writeJSON(w, http.StatusBadGateway, apiErrors("upstream"))
		default:
			writeJSON(w, http.StatusOK, keyJSON(keyID))
		}
	})
	c := newTestClient(t, f, nil)

	key, err := c.GetSSHKey(context.Background(), keyID)
	if err != nil {
		t.Fatalf("GetSSHKey: %v", err)
	}
	if key.ID != keyID {
		t.Errorf("key id = %q", key.ID)
	}
	if f.hits() != 3 {
		t.Errorf("server saw %d requests, want 3", f.hits())
	}
}

func TestRetriesExhausted(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusServiceUnavailable, apiErrors("maintenance"))
	})
	c := newTestClient(t, f, func(cfg *Config) { cfg.MaxRetries = 2 })

	err := c.DeleteSSHKey(context.Background(), keyID)
	want := "DELETE /ssh-keys/" + keyID + ": giving up after 3 attempts: 503 Service Unavailable: maintenance"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant    %s", err, want)
	}
	if f.hits() != 3 {
		t.Errorf("server saw %d requests, want 3 (1 + MaxRetries)", f.hits())
	}
	if !IsStatus(err, http.StatusServiceUnavailable) {
		t.Errorf("IsStatus(503) = false")
	}
}

func TestRetriesExhaustedOnConnectionErrors(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { dropConnection(t, w) })
	c := newTestClient(t, f, func(cfg *Config) { cfg.MaxRetries = 1 })

	_, err := c.GetDevice(context.Background(), deviceID)
	if err == nil || !strings.Contains(err.Error(), "GET /devices/"+deviceID+": giving up after 2 attempts: ") {
		t.Fatalf("error = %v, want a giving-up message", err)
	}
	if f.hits() != 2 {
		t.Errorf("server saw %d requests, want 2", f.hits())
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				writeJSON(w, status, apiErrors("no"))
			})
			c := newTestClient(t, f, nil)
			_, err := c.GetSSHKey(context.Background(), keyID)
			if !IsStatus(err, status) {
				t.Fatalf("error = %v, want status %d", err, status)
			}
			if f.hits() != 1 {
				t.Errorf("server saw %d requests, want 1", f.hits())
			}
		})
	}
}

func TestPostNotRetriedOn5xx(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeJSON(w, http.StatusInternalServerError, apiErrors("oops"))
	})
	c := newTestClient(t, f, nil)

	_, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "a", Key: "k"})
	if !IsStatus(err, http.StatusInternalServerError) {
		t.Fatalf("error = %v, want a 500", err)
	}
	if f.hits() != 1 {
		t.Errorf("server saw %d requests, want 1: a POST must not be retried", f.hits())
	}
	if !IsAmbiguous(err) {
		t.Errorf("IsAmbiguous = false for a POST answered 500")
	}
	if strings.Contains(err.Error(), "giving up") {
		t.Errorf("error %q claims retries for a single attempt", err)
	}
}

func TestPostNotRetriedOnDroppedConnection(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { dropConnection(t, w) })
	c := newTestClient(t, f, nil)

	_, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerUser}, SSHKeyCreate{Label: "a", Key: "k"})
	if err == nil {
		t.Fatal("CreateSSHKey succeeded on a dropped connection")
	}
	if f.hits() != 1 {
		t.Errorf("server saw %d requests, want 1: a POST must not be retried", f.hits())
	}
	if !IsAmbiguous(err) {
		t.Errorf("IsAmbiguous = false for a POST whose connection dropped: %v", err)
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 0 || apiErr.Method != http.MethodPost {
		t.Errorf("error = %#v, want *Error with status 0 and method POST", err)
	}
}

func TestPostRetriedOn429(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			writeJSON(w, http.StatusTooManyRequests, apiErrors("slow down"))
			return
		}
		writeJSON(w, http.StatusCreated, keyJSON(keyID))
	})
	c := newTestClient(t, f, nil)

	key, err := c.CreateSSHKey(context.Background(), Owner{Kind: OwnerProject, ID: projectID}, SSHKeyCreate{Label: "a", Key: "k"})
	if err != nil {
		t.Fatalf("CreateSSHKey: %v", err)
	}
	if key.ID != keyID || f.hits() != 2 {
		t.Errorf("key %q after %d requests, want %q after 2", key.ID, f.hits(), keyID)
	}
	seen := f.seen()
	if string(seen[0].Body) != string(seen[1].Body) || len(seen[1].Body) == 0 {
		t.Errorf("retried body %q differs from first %q", seen[1].Body, seen[0].Body)
	}
}

func TestContextCancellationStopsRequest(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	c := newTestClient(t, f, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetSSHKey(ctx, keyID)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("call returned after %v, want soon after the deadline", took)
	}
	if f.hits() != 1 {
		t.Errorf("server saw %d requests, want 1 (no retry after cancellation)", f.hits())
	}
}

func TestContextCancellationStopsBackoff(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		writeJSON(w, http.StatusTooManyRequests, apiErrors("slow down"))
	})
	c := newTestClient(t, f, nil)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.GetProject(ctx, projectID)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("call returned after %v; the 30s Retry-After wait was not interrupted", took)
	}
	if IsAmbiguous(err) && f.hits() == 0 {
		t.Errorf("nothing was sent, yet the error is ambiguous")
	}
}

func TestRequestTimeoutIsPerAttempt(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select { // hang the first attempt past the timeout
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": projectID, "name": "p"})
	})
	c := newTestClient(t, f, func(cfg *Config) { cfg.RequestTimeout = 200 * time.Millisecond })

	start := time.Now()
	p, err := c.GetProject(context.Background(), projectID)
	if err != nil {
		t.Fatalf("GetProject: %v", err)
	}
	if p.Name != "p" || f.hits() != 2 {
		t.Errorf("project %+v after %d requests, want name p after 2", p, f.hits())
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v: the first attempt was not cut at the 200ms timeout", took)
	}
}

func TestServerRequestedWait(t *testing.T) {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	type response struct {
		status int
		header http.Header
	}
	resp := func(status int, hdr ...string) response {
		r := response{status: status, header: http.Header{}}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	tests := []struct {
		name string
		resp response
		want time.Duration
		ok   bool
	}{
		{"seconds", resp(429, "Retry-After", "7"), 7 * time.Second, true},
		{"http date", resp(429, "Retry-After", now.Add(3*time.Second).Format(http.TimeFormat)), 3 * time.Second, true},
		{"date in the past", resp(503, "Retry-After", now.Add(-time.Minute).Format(http.TimeFormat)), 0, true},
		{"503 seconds", resp(503, "Retry-After", "2"), 2 * time.Second, true},
		{"capped", resp(429, "Retry-After", "86400"), maxServerWait, true},
		{"rate limit reset", resp(429, "X-RateLimit-Reset", strconv.FormatInt(now.Add(5*time.Second).Unix(), 10)), 5 * time.Second, true},
		{"reset ignored on 503", resp(503, "X-RateLimit-Reset", strconv.FormatInt(now.Add(5*time.Second).Unix(), 10)), 0, false},
		{"garbage", resp(429, "Retry-After", "soon"), 0, false},
		{"other status", resp(500, "Retry-After", "4"), 0, false},
		{"no headers", resp(429), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := serverRequestedWait(tt.resp.status, tt.resp.header, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBackoffGrowsWithJitterWithinBounds(t *testing.T) {
	minWait, maxWait := 10*time.Millisecond, 100*time.Millisecond
	for attempt, base := range []time.Duration{10, 20, 40, 80, 100, 100} {
		base *= time.Millisecond
		if got := exponential(minWait, maxWait, attempt); got != base {
			t.Errorf("exponential(attempt %d) = %v, want %v", attempt, got, base)
		}
		distinct := map[time.Duration]bool{}
		for range 50 {
			got := backoff(minWait, maxWait, attempt, nil)
			if got < base/2 || got > base {
				t.Fatalf("backoff(attempt %d) = %v, want within [%v, %v]", attempt, got, base/2, base)
			}
			distinct[got] = true
		}
		if len(distinct) < 2 {
			t.Errorf("backoff(attempt %d) gave one value 50 times: no jitter", attempt)
		}
	}
}
