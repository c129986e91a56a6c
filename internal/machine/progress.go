package machine

import (
	"context"
	"fmt"
	"time"
)

// LockWait describes a wait for the machine-side lock of another run.
type LockWait struct {
	LockPath string
	Addr     string
	Holder   string        // the owner line of the lock: "<host> pid <N> (...)" for locks of this provider
	Since    time.Time     // when the lock was taken, by the machine's clock; zero if the server does not say
	Age      time.Duration // how old the lock is by the machine's clock (when Since is known)
	Waited   time.Duration // how long this operation has waited so far
}

// String is the progress message: "waiting for the lock <path> on <addr>
// held by <holder> since <time> by the machine's clock (<age> old; waited <n>s)".
func (w LockWait) String() string {
	since := "since before this wait began (the server reports no file times"
	if !w.Since.IsZero() {
		since = fmt.Sprintf("since %s by the machine's clock (%s old", w.Since.UTC().Format(time.RFC3339), roundDuration(w.Age))
	}
	return fmt.Sprintf("waiting for the lock %s on %s held by %s %s; waited %s)", w.LockPath, w.Addr, w.Holder, since, roundDuration(w.Waited))
}

// taken says when the lock was taken, for an error message.
func (w LockWait) taken() string {
	if w.Since.IsZero() {
		return "at a time the server does not report"
	}
	return fmt.Sprintf("at %s by the machine's clock (%s ago)", w.Since.UTC().Format(time.RFC3339), roundDuration(w.Age))
}

// roundDuration rounds d for people: to the second, below one to the millisecond.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second && d > -time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

type progressKey struct{}

// WithProgress returns a context under which machine operations report
// what they are waiting for to fn: at the start of a wait for another
// run's lock and every 10 s while it lasts, with a LockWait's String. fn is
// called on the operation's goroutine and must not block for long.
func WithProgress(ctx context.Context, fn func(msg string)) context.Context {
	if fn == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, fn)
}

// report passes msg to the context's progress hook, if any.
func report(ctx context.Context, msg string) {
	if fn, ok := ctx.Value(progressKey{}).(func(string)); ok {
		fn(msg)
	}
}
