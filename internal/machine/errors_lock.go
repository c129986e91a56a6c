package machine

import (
	"fmt"
	"time"
)

// Errors about the machine-side lock file (see lock.go) and about starting
// SFTP (session.go). Like those in errors.go they name the file or the
// machine, and say what a person can do about it.

// LockNotRegularError: the lock path holds something no run of this
// provider makes (a symlink, dangling or not, a directory, a device...).
// It is never followed nor removed: a person must look at it.
type LockNotRegularError struct {
	LockPath string
	Addr     string
	Kind     string // "a symlink to /x", "a directory", ...
}

func (e *LockNotRegularError) Error() string {
	return fmt.Sprintf("the edit lock %s on %s is %s, not a regular file: no run of this provider makes one, so it cannot be judged "+
		"and is not followed; remove %s on the machine and try again", e.LockPath, e.Addr, e.Kind, e.LockPath)
}

// LockFutureError: the lock file is dated (its modification time, by the
// machine's own clock) well ahead of the machine's clock, so its age cannot
// be judged and waiting would never end.
type LockFutureError struct {
	LockPath   string
	Addr       string
	Holder     string
	Dated      time.Time // the lock's modification time, by the machine's clock
	MachineNow time.Time // the machine's clock when it was judged
}

func (e *LockFutureError) Error() string {
	return fmt.Sprintf("the edit lock %s on %s (held by %s) is dated %s, %s ahead of the machine's clock (%s): its age cannot be judged, "+
		"so it would never be broken (was it touched by hand, or did the machine's clock go back?); "+
		"if you are sure no run is active, remove %s on the machine and try again",
		e.LockPath, e.Addr, e.Holder, e.Dated.UTC().Format(time.RFC3339), e.Dated.Sub(e.MachineNow).Round(time.Second),
		e.MachineNow.UTC().Format(time.RFC3339), e.LockPath)
}

// LockWaitError is the cause inside a LockedError: the wait that ended
// (with the context's error, which it wraps) and what to do about it.
type LockWaitError struct {
	LockWait
	Err        error
	StaleAfter time.Duration // the age at which a lock is treated as abandoned
}

func (e *LockWaitError) Error() string {
	return fmt.Sprintf("%v after waiting %s for it; the lock was taken %s and is treated as abandoned once %s old; "+
		"if you are sure no run is still editing the file, remove %s on the machine and try again",
		e.Err, roundDuration(e.Waited), e.taken(), e.StaleAfter, e.LockPath)
}

func (e *LockWaitError) Unwrap() error { return e.Err }

// LockHeldTooLongError: one edit held the machine-side lock longer than
// LockHoldMax (the machine stopped answering), so it was cut off and the
// lock removed; the file holds the old or the new version, never part of one.
type LockHeldTooLongError struct {
	Path  string
	Addr  string
	Limit time.Duration
	Err   error // what the cut-off edit ran into
}

func (e *LockHeldTooLongError) Error() string {
	return fmt.Sprintf("the edit of %s on %s did not finish within %s of taking its lock (did the machine stop answering?), "+
		"so it was cut off and its lock removed (over a fresh connection, if one could be made); the file holds either the old or the new version, never part of one; "+
		"run again to finish it (%v)", e.Path, e.Addr, e.Limit, e.Err)
}

func (e *LockHeldTooLongError) Unwrap() error { return e.Err }

// SFTPStartError: the machine let us log in but did not start its sftp
// subsystem (refused it, or did not answer within the time allowed).
type SFTPStartError struct {
	Addr    string
	Timeout time.Duration // the time allowed, when that ran out
	Err     error
}

func (e *SFTPStartError) Error() string {
	why := fmt.Sprintf("(%v)", e.Err)
	if e.Timeout > 0 {
		why = fmt.Sprintf("within %s", e.Timeout)
	}
	return fmt.Sprintf("the SSH server on %s accepted the login but did not start the sftp subsystem %s: "+
		"this provider edits files over SFTP only; check that the server's sshd_config enables it "+
		"(a line such as `Subsystem sftp internal-sftp`, or `Subsystem sftp /usr/lib/openssh/sftp-server`) and reload sshd", e.Addr, why)
}

func (e *SFTPStartError) Unwrap() error { return e.Err }
