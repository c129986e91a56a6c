package machine

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"time"
)

// Connection attempts per operation, and the backoff between them: sshd
// drops new connections beyond MaxStartups (10:30:100 by default) with a
// reset or a bare EOF, which clears up within seconds. A machine that is
// really down costs about ten seconds of retries before the error.
const (
	dialAttempts = 8
	backoffBase  = 150 * time.Millisecond
	backoffMax   = 3 * time.Second
)

// backoff is the wait before attempt n+1: exponential with full jitter.
func backoff(n int) time.Duration {
	d := min(backoffBase<<n, backoffMax)
	return d/2 + rand.N(d/2+1) //nolint:gosec // jitter, not security
}

// transient reports whether a failed connection is worth another try: the
// server refused or reset it, or hung up before the key exchange finished.
// Host key, login and timeout failures are not.
func transient(err error) bool {
	var u *UnreachableError
	if !errors.As(err, &u) {
		return false
	}
	switch {
	case errors.Is(u.Err, context.Canceled), errors.Is(u.Err, context.DeadlineExceeded):
		return false
	case errors.Is(u.Err, syscall.ECONNREFUSED), errors.Is(u.Err, syscall.ECONNRESET),
		errors.Is(u.Err, syscall.ECONNABORTED), errors.Is(u.Err, syscall.EPIPE),
		errors.Is(u.Err, io.EOF), errors.Is(u.Err, io.ErrUnexpectedEOF):
		return true
	}
	// x/crypto wraps some of these as text only.
	msg := u.Err.Error()
	return strings.Contains(msg, "connection reset") || strings.Contains(msg, "connection refused") ||
		strings.HasSuffix(msg, "EOF")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
