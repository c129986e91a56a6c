package metal

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// connectionRefusedRetries bounds the retries of a refused connection or a
// failed DNS lookup: a stopped API (or packet-mock) refuses every try, a host
// name that is gone stays gone, and all of max_retries with backoff kept a
// person waiting 22 s before saying so. Three retries give a restarting
// server up to 1.75 s with the default backoff (250ms, 500ms, 1s).
const connectionRefusedRetries = 3

// maxServerWait bounds how long a Retry-After or X-RateLimit-Reset may make us
// wait before one retry; the caller's context can always cut it shorter.
const maxServerWait = 5 * time.Minute

// newHTTPClient layers: caller → retry loop (retryablehttp, pacer) → per-attempt
// timeout → attemptTransport (count, log, observe rate limits) → pooled
// keep-alive transport.
func newHTTPClient(cfg Config, counter *atomic.Int64, p *pacer) *http.Client {
	transport := cleanhttp.DefaultPooledTransport()
	if cfg.Dial != nil {
		transport.DialContext = cfg.Dial
	}
	perAttempt := &http.Client{
		Transport:     &attemptTransport{next: transport, counter: counter, pacer: p},
		Timeout:       cfg.RequestTimeout,
		CheckRedirect: refuseRedirect,
	}

	rc := retryablehttp.NewClient()
	rc.HTTPClient = perAttempt
	rc.Logger = nil // attempts are logged through tflog by attemptTransport
	rc.RetryMax = cfg.MaxRetries
	rc.RetryWaitMin = cfg.RetryWaitMin
	rc.RetryWaitMax = cfg.RetryWaitMax
	rc.CheckRetry = retryPolicy
	rc.Backoff = backoff
	rc.ErrorHandler = keepLastResponse
	// Waiting for a used-up rate limit happens here and in Client.call, not
	// in the transport, so that it never eats into the per-attempt timeout.
	rc.PrepareRetry = func(req *http.Request) error { return p.wait(req.Context()) }

	hc := rc.StandardClient()
	hc.CheckRedirect = refuseRedirect
	return hc
}

// refuseRedirect returns a 3xx as is: following it to another host would
// hand X-Auth-Token to that host (Go strips only its own auth headers).
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// retryPolicy decides whether one attempt is repeated. The method comes from
// the context because a connection error carries no response.
func retryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	info := requestInfoFrom(ctx)
	if info == nil {
		return false, nil // not one of our calls: don't guess whether it is safe
	}
	if err != nil {
		if nothingSent(err) {
			// Nothing was sent, so even a POST is safe to repeat, a few times.
			return int(info.attempts.Load()) <= connectionRefusedRetries, nil
		}
		return info.idempotent() && !isPermanentTransportError(err), nil
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// The request was refused before any work was done: safe even for POST.
		return true, nil
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented:
		return info.idempotent(), nil
	}
	return false, nil
}

// isPermanentTransportError reports errors that a retry cannot fix.
func isPermanentTransportError(err error) bool {
	var (
		verifyErr    *tls.CertificateVerificationError
		authorityErr x509.UnknownAuthorityError
		hostnameErr  x509.HostnameError
		invalidErr   x509.CertificateInvalidError
	)
	return errors.As(err, &verifyErr) || errors.As(err, &authorityErr) ||
		errors.As(err, &hostnameErr) || errors.As(err, &invalidErr)
}

// keepLastResponse hands the last response to packngo when retries run out,
// so the error still carries the API's own message. Errors pass through.
func keepLastResponse(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err != nil {
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
		}
		return nil, err
	}
	return resp, nil
}

// backoff waits as long as the server asks, or else exponentially longer per
// attempt with jitter, so that many clients retrying together spread out.
func backoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if wait, ok := serverRequestedWait(resp.StatusCode, resp.Header, time.Now()); ok {
			return wait
		}
	}
	return withJitter(exponential(minWait, maxWait, attempt))
}

// exponential is minWait·2^attempt, capped at maxWait.
func exponential(minWait, maxWait time.Duration, attempt int) time.Duration {
	wait := minWait
	for i := 0; i < attempt && wait < maxWait; i++ {
		wait *= 2
	}
	return min(wait, maxWait)
}

// withJitter picks uniformly from [wait/2, wait].
func withJitter(wait time.Duration) time.Duration {
	half := wait / 2
	return half + rand.N(wait-half+1) //nolint:gosec // jitter, not security
}

// serverRequestedWait reads Retry-After (seconds or an HTTP date) on 429 and
// 503, and X-RateLimit-Reset (Unix seconds) on 429.
func serverRequestedWait(status int, header http.Header, now time.Time) (time.Duration, bool) {
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return 0, false
	}
	if v := header.Get("Retry-After"); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 {
			return clampServerWait(time.Duration(min(secs, int64(maxServerWait/time.Second))) * time.Second), true
		}
		if at, err := http.ParseTime(v); err == nil {
			return clampServerWait(at.Sub(now)), true
		}
	}
	if status == http.StatusTooManyRequests {
		if v := header.Get("X-RateLimit-Reset"); v != "" {
			if unix, err := strconv.ParseInt(v, 10, 64); err == nil && unix > 0 {
				return clampServerWait(time.Unix(unix, 0).Sub(now)), true
			}
		}
	}
	return 0, false
}

func clampServerWait(d time.Duration) time.Duration {
	return min(max(d, 0), maxServerWait)
}
