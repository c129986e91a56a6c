package machine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
)

// fileLocks serialises edits of one file on one machine inside a pool, so
// parallel attachments never read the same old content and lose a line.
// Waiting honours the context; entries disappear when nobody holds them.
// The zero value is ready to use.
type fileLocks struct {
	mu    sync.Mutex
	locks map[string]*fileLock
}

type fileLock struct {
	held chan struct{} // capacity 1: a token in it means "locked"
	refs int
}

// acquire waits for the lock of key and returns its release function.
func (l *fileLocks) acquire(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*fileLock{}
	}
	fl := l.locks[key]
	if fl == nil {
		fl = &fileLock{held: make(chan struct{}, 1)}
		l.locks[key] = fl
	}
	fl.refs++
	l.mu.Unlock()

	select {
	case fl.held <- struct{}{}:
		return func() {
			<-fl.held
			l.drop(key, fl)
		}, nil
	case <-ctx.Done():
		l.drop(key, fl)
		return nil, ctx.Err()
	}
}

func (l *fileLocks) drop(key string, fl *fileLock) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fl.refs--
	if fl.refs == 0 {
		delete(l.locks, key)
	}
}

// The machine-side lock: a file created with O_EXCL next to the edited
// file, so editors in other processes (another pipeline, another
// workspace) wait for each other too. It says who took it and when (by the
// taker's clock, for people to read). Its age is judged by the machine's
// clock only: the lock file's modification time against the modification
// time of a probe file made beside it, so no clock of any runner matters.
// A lock older than Timing.LockStaleAfter by that clock, or unchanged for that
// long while we waited, is taken to be left by a run that died and is
// broken. A lock dated ahead of the machine's clock, or that is not a
// regular file, cannot be judged and is reported at once. The lock of a
// process of this host that no longer runs is broken at once.

// LockStaleAfter: a machine-side lock older than this by the machine's
// clock was left by a run that died, and is broken. One edit holds the lock
// at most LockHoldMax (then cleaning up its temp file and removing the
// lock take at most cleanupTimeout each), so a live run's lock never grows
// this old.
const LockStaleAfter = 2 * time.Minute

// LockHoldMax bounds how long one edit holds the machine-side lock: its
// read-modify-write-verify cycle is cut off (its connection closed, the
// lock removed over a fresh one) when it takes longer.
const LockHoldMax = time.Minute

// MinOperationTimeout is the least time to give an operation that edits
// (the context of AddKey, ReplaceKey, RemoveKey): enough to wait out the
// lock of a run that died the moment it took it (LockStaleAfter), break it
// and still make its own edit (LockHoldMax) after connecting (with
// DialTimeout). With less, such a lock outlives every waiter.
const MinOperationTimeout = LockStaleAfter + LockHoldMax + DialTimeout

// lockSuffix names the lock file: "<file>.packet-lock".
const lockSuffix = ".packet-lock"

// lockHost is this host's name as lock owners give it.
var lockHost, _ = os.Hostname()

// lockOwner identifies this process's locks in the lock file:
// "<host> pid <N> (<random>)", each lock adding a random word of its own.
// parseLockOwner reads it back.
var lockOwner = fmt.Sprintf("%s pid %d (%s)", lockHost, os.Getpid(), randomSuffix())

// parseLockOwner reads back the host and pid of an owner lockOwner wrote.
func parseLockOwner(owner string) (host string, pid int, ok bool) {
	host, rest, found := strings.Cut(owner, " pid ")
	fields := strings.Fields(rest)
	if !found || host == "" || len(fields) < 2 || !strings.HasPrefix(fields[1], "(") {
		return "", 0, false
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return "", 0, false
	}
	return host, pid, true
}

// ownerIsGone: the lock was taken by a process of this host that no longer
// runs (a run killed with -9), so nobody can release it. A host name that
// many machines share says nothing, and this process is never gone.
func ownerIsGone(held []byte) bool {
	host, pid, ok := parseLockOwner(lockHolder(held))
	switch {
	case !ok || host != lockHost || pid == os.Getpid():
		return false
	case host == "" || host == "localhost" || strings.HasPrefix(host, "localhost."):
		return false
	}
	return processGone(pid)
}

// remoteLock takes the lock of file p on the machine. It returns the
// context for the work done under the lock and the lock's release, which
// passes on the work's error.
func (s *session) remoteLock(ctx context.Context, p string, redial func(context.Context) (*session, error)) (context.Context, func(error) error, error) {
	lockPath := p + lockSuffix
	mine := fmt.Sprintf("packet terraform provider edit lock\nowner: %s\ntaken: %d\n", lockOwner+" "+randomSuffix(), time.Now().Unix())
	var (
		clock     *machineClock // read once the lock is found taken; nil if it cannot be
		clockRead bool
		lastSeen  string
		seenSince time.Time
		waitStart time.Time // when we first had to wait
		reported  time.Time // when the wait was last reported
		// waitEnded turns an error into the LockedError of the wait under way, if ctx ended it.
		waitEnded = func(_ context.Context, err error) error { return err }
	)
	for {
		created, err := s.createExclusive(lockPath, []byte(mine))
		if err == nil {
			held, unlock := s.holdLock(ctx, p, lockPath, mine, redial)
			return held, unlock, nil
		}
		if created {
			s.releaseLock(ctx, lockPath, mine, redial) // a partly written lock of ours
		}
		if created {
			return nil, nil, s.fileError(ctx, "create the lock file", lockPath, err)
		}
		if !errors.Is(err, fs.ErrExist) && !isExistError(err) {
			return nil, nil, waitEnded(ctx, s.fileError(ctx, "create the lock file", lockPath, err))
		}
		held, rerr := s.readLock(ctx, lockPath)
		if rerr != nil {
			return nil, nil, waitEnded(ctx, rerr)
		}
		if held != nil {
			if seenSince.IsZero() || string(held.data) != lastSeen { // an empty lock is news too
				lastSeen, seenSince = string(held.data), time.Now()
			}
			if !clockRead {
				clock, clockRead = s.readClock(path.Dir(lockPath)), true
			}
			age, known := held.age(clock)
			if known && age < -s.timing.LockFutureSlack {
				return nil, nil, &LockFutureError{LockPath: lockPath, Addr: s.addr, Holder: lockHolder(held.data), Dated: held.mtime, MachineNow: clock.now()}
			}
			if ownerIsGone(held.data) || lockIsStale(held.data, age, known, time.Since(seenSince), s.timing) {
				s.breakLock(lockPath, held.data)
				continue
			}
			if waitStart.IsZero() {
				waitStart = time.Now()
			}
			waiting := held.wait(lockPath, s.addr, clock, time.Since(waitStart))
			if reported.IsZero() || time.Since(reported) >= s.timing.LockProgressEvery {
				reported = time.Now()
				report(ctx, waiting.String())
			}
			// Should the context end before the lock is ours, say what we
			// waited for, whichever call it ends in.
			waitEnded = func(ctx context.Context, err error) error {
				if ctx.Err() == nil {
					return err
				}
				waiting.Waited = time.Since(waitStart)
				return &LockedError{LockPath: lockPath, Addr: s.addr, Holder: waiting.Holder, Err: &LockWaitError{LockWait: waiting, Err: ctx.Err(), StaleAfter: s.timing.LockStaleAfter}}
			}
		}
		wait := s.timing.LockPoll/2 + rand.N(s.timing.LockPoll) //nolint:gosec // jitter, not security
		if err := sleepCtx(ctx, wait); err != nil {
			if waitStart.IsZero() { // the lock vanished before we waited
				return nil, nil, &LockedError{LockPath: lockPath, Addr: s.addr, Holder: held.holder(), Err: err}
			}
			return nil, nil, waitEnded(ctx, err)
		}
	}
}

// errHeldTooLong ends the work under a lock that took over Timing.LockHoldMax.
var errHeldTooLong = errors.New("the edit held the lock too long")

// holdLock bounds the work under the lock just taken to Timing.LockHoldMax: then
// the connection is closed (an SFTP call in flight cannot be cancelled any
// other way), which fails the work at once. The release removes the lock,
// over a fresh connection when this one is closed, while the bound still
// stands, and names the cut-off in the work's error.
func (s *session) holdLock(ctx context.Context, p, lockPath, mine string, redial func(context.Context) (*session, error)) (context.Context, func(error) error) {
	held, cancel := context.WithTimeoutCause(ctx, s.timing.LockHoldMax, errHeldTooLong)
	stop := context.AfterFunc(held, func() {
		if errors.Is(context.Cause(held), errHeldTooLong) {
			s.abort()
		}
	})
	return held, func(err error) error {
		s.releaseLock(ctx, lockPath, mine, redial)
		stop()
		cancel()
		if err != nil && errors.Is(context.Cause(held), errHeldTooLong) {
			return &LockHeldTooLongError{Path: p, Addr: s.addr, Limit: s.timing.LockHoldMax, Err: err}
		}
		return err
	}
}

// heldLock is another editor's lock as read from the machine.
type heldLock struct {
	data  []byte
	mtime time.Time // by the machine's clock; zero if the server did not say
}

// age is how old the lock is by the machine's clock; known is false when
// the server reports no times.
func (h *heldLock) age(clock *machineClock) (age time.Duration, known bool) {
	if clock == nil || h.mtime.Unix() <= 0 {
		return 0, false
	}
	return clock.now().Sub(h.mtime), true
}

// wait describes waiting for this lock.
func (h *heldLock) wait(lockPath, addr string, clock *machineClock, waited time.Duration) LockWait {
	w := LockWait{LockPath: lockPath, Addr: addr, Holder: h.holder(), Waited: waited}
	if age, known := h.age(clock); known {
		w.Since, w.Age = h.mtime, age
	}
	return w
}

func (h *heldLock) holder() string {
	if h == nil {
		return lockHolder(nil)
	}
	return lockHolder(h.data)
}

// readLock reads the lock at lockPath, nil if it is gone. It looks before
// it reads, and never follows a symlink: a lock that is not a regular file
// was made by no run of ours and is reported at once. Its time and content
// come from one open handle, so they belong to the same file.
func (s *session) readLock(ctx context.Context, lockPath string) (*heldLock, error) {
	fi, err := s.sftp.Lstat(lockPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, s.fileError(ctx, "look at the lock file", lockPath, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &LockNotRegularError{LockPath: lockPath, Addr: s.addr, Kind: s.kindOf(lockPath, fi)}
	}
	f, err := s.sftp.Open(lockPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, s.fileError(ctx, "read the lock file", lockPath, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); errors.Is(err, fs.ErrNotExist) {
		return nil, nil // servers that stat an open file by its name see it gone
	} else if err != nil {
		return nil, s.fileError(ctx, "look at the lock file", lockPath, err)
	}
	if !fi.Mode().IsRegular() { // swapped for something else since the look
		return nil, &LockNotRegularError{LockPath: lockPath, Addr: s.addr, Kind: s.kindOf(lockPath, fi)}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, s.fileError(ctx, "read the lock file", lockPath, err)
	}
	return &heldLock{data: data, mtime: fi.ModTime()}, nil
}

// kindOf names what a path that is not a regular file is, for a person.
func (s *session) kindOf(p string, fi fs.FileInfo) string {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		if target, err := s.sftp.ReadLink(p); err == nil {
			return fmt.Sprintf("a symlink to %q", target)
		}
		return "a symlink"
	case fi.IsDir():
		return "a directory"
	default:
		return fmt.Sprintf("a special file (%v)", fi.Mode().Type())
	}
}

// machineClock is the machine's clock as read once over SFTP, carried on
// by our monotonic clock (which measures time passing, whatever our wall
// clock says).
type machineClock struct {
	at   time.Time // the machine's time...
	read time.Time // ...when we read it, by our monotonic clock
}

func (c *machineClock) now() time.Time { return c.at.Add(time.Since(c.read)) }

// lockProbePrefix names the probe files readClock makes and removes.
const lockProbePrefix = ".packet-clock-"

// readClock reads the machine's clock: the modification time of a probe
// file it creates beside the lock and removes at once. nil when that cannot
// be done or the server reports no times (then only how long a lock stayed
// unchanged while we watched can make it stale).
func (s *session) readClock(dir string) *machineClock {
	probe := path.Join(dir, lockProbePrefix+randomSuffix())
	read := time.Now()
	f, err := s.sftp.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil
	}
	fi, err := f.Stat()
	_ = f.Close()
	_ = s.sftp.Remove(probe)
	if err != nil || fi.ModTime().Unix() <= 0 {
		return nil
	}
	return &machineClock{at: fi.ModTime(), read: read}
}

// createExclusive creates p with content, failing if it exists; created
// says whether the file was made (and so is ours to clean up on failure).
func (s *session) createExclusive(p string, content []byte) (created bool, err error) {
	f, err := s.sftp.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return false, err
	}
	_, werr := f.Write(content)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return true, werr
}

// releaseLock removes the lock if it holds mine or only part of it (a lock
// broken as stale and retaken by someone else is theirs now). When this
// connection died it uses a fresh one, bounded in time.
func (s *session) releaseLock(ctx context.Context, lockPath, mine string, redial func(context.Context) (*session, error)) {
	release := func(on *session) error {
		held, err := on.readFile(lockPath)
		if err != nil {
			return err
		}
		if held != nil && strings.HasPrefix(mine, string(held)) {
			return on.sftp.Remove(lockPath)
		}
		return nil
	}
	if release(s) == nil {
		return
	}
	overFresh(ctx, redial, func(fresh *session) { _ = release(fresh) })
}

// lockIsStale: by the machine's clock the lock is older than
// tm.LockStaleAfter (when age is known), or it has not changed for that long
// while we waited, or it was never completely written.
func lockIsStale(held []byte, age time.Duration, known bool, unchangedFor time.Duration, tm Timing) bool {
	limit := tm.LockStaleAfter
	if _, ok := lockTakenAt(held); !ok {
		limit = tm.LockIncompleteAfter
	}
	return (known && age > limit) || unchangedFor > limit
}

// breakLock removes a stale lock if it still holds what was judged stale.
func (s *session) breakLock(lockPath string, stale []byte) {
	if held, err := s.readFile(lockPath); err == nil && bytes.Equal(held, stale) {
		_ = s.sftp.Remove(lockPath)
	}
}

// isExistError: SFTP v3 servers report O_EXCL on an existing file as a
// plain failure, so look at the file instead of the status code.
func isExistError(err error) bool {
	var se *sftp.StatusError
	return errors.As(err, &se) && se.FxCode() == sftp.ErrSSHFxFailure
}

func lockTakenAt(held []byte) (time.Time, bool) {
	for _, l := range strings.Split(string(held), "\n") {
		if v, ok := strings.CutPrefix(l, "taken: "); ok && strings.HasSuffix(string(held), "\n") {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(n, 0), true
			}
		}
	}
	return time.Time{}, false
}

func lockHolder(held []byte) string {
	for _, l := range strings.Split(string(held), "\n") {
		if v, ok := strings.CutPrefix(l, "owner: "); ok {
			return v
		}
	}
	return "an unknown editor"
}
