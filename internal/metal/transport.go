package metal

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// requestInfo travels in the request context from call to the retry policy
// and the attempt transport: the retry policy must know the method even when
// no response exists (connection errors), and attempts are counted per call.
type requestInfo struct {
	method   string
	path     string
	attempts atomic.Int32
}

// idempotent reports whether repeating the request cannot create a second object.
func (i *requestInfo) idempotent() bool { return i.method != http.MethodPost }

type requestInfoKey struct{}

func withRequestInfo(ctx context.Context, info *requestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// attemptTransport sits below the retry loop, so it sees every attempt that
// goes to the network: it counts and logs them.
type attemptTransport struct {
	next    http.RoundTripper
	counter *atomic.Int64
	pacer   *pacer
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.counter.Add(1)
	ctx := req.Context()
	method, path, attempt := req.Method, req.URL.Path, 1
	if info := requestInfoFrom(ctx); info != nil {
		path = info.path
		attempt = int(info.attempts.Add(1))
	}

	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		t.pacer.observe(resp.Header, time.Now())
	}
	logAttempt(ctx, method, path, attempt, time.Since(start), resp, err)
	return resp, err
}
