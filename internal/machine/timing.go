package machine

import (
	"cmp"
	"time"
)

// Timing is how long a Pool waits for things. A zero field takes its
// default; tests shorten them on a pool of their own.
type Timing struct {
	// IdleTimeout: a connection nobody uses is closed after it (15 s).
	IdleTimeout time.Duration
	// ReadTTL: a read of a file is reused this long, while nothing in the
	// pool edits the file (5 s).
	ReadTTL time.Duration
	// SFTPStart bounds starting SFTP once logged in, at most Target.Timeout
	// (15 s): a server that answers SSH but never starts the subsystem fails
	// fast instead of using up the whole operation.
	SFTPStart time.Duration
	// LockStaleAfter: a machine-side lock this old by the machine's clock,
	// or unchanged this long while waited for, is broken (LockStaleAfter).
	LockStaleAfter time.Duration
	// LockHoldMax bounds one edit under the machine-side lock (LockHoldMax).
	LockHoldMax time.Duration
	// LockIncompleteAfter: a lock file without its "taken:" line was cut off
	// while being written (its writer writes it right after creating it);
	// after this long it is broken (5 s).
	LockIncompleteAfter time.Duration
	// LockPoll is the mean wait between looks at another run's lock (100 ms).
	LockPoll time.Duration
	// LockFutureSlack is how far ahead of the machine's clock a lock may be
	// dated before it is reported (30 s): file systems and clocks differ a little.
	LockFutureSlack time.Duration
	// LockProgressEvery is how often a wait for a lock is reported (10 s).
	LockProgressEvery time.Duration
}

// orDefaults is t with every zero field set to its default.
func (t Timing) orDefaults() Timing {
	return Timing{
		IdleTimeout:         cmp.Or(t.IdleTimeout, 15*time.Second),
		ReadTTL:             cmp.Or(t.ReadTTL, 5*time.Second),
		SFTPStart:           cmp.Or(t.SFTPStart, 15*time.Second),
		LockStaleAfter:      cmp.Or(t.LockStaleAfter, LockStaleAfter),
		LockHoldMax:         cmp.Or(t.LockHoldMax, LockHoldMax),
		LockIncompleteAfter: cmp.Or(t.LockIncompleteAfter, 5*time.Second),
		LockPoll:            cmp.Or(t.LockPoll, 100*time.Millisecond),
		LockFutureSlack:     cmp.Or(t.LockFutureSlack, 30*time.Second),
		LockProgressEvery:   cmp.Or(t.LockProgressEvery, 10*time.Second),
	}
}
