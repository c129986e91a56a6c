package machine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
	"github.com/packethost/terraform-provider-packet/internal/tcpproxy"
)

const testLockPath = "/root/.ssh/authorized_keys" + lockSuffix

// lockContent is a lock file as another run writes it.
func lockContent(owner string, taken time.Time) string {
	return fmt.Sprintf("packet terraform provider edit lock\nowner: %s\ntaken: %d\n", owner, taken.Unix())
}

// A lock that is not a regular file (a dangling symlink, a symlink to a
// file, a directory) is no lock any run of ours makes: it is reported at
// once, naming what to remove, and never followed or removed.
func TestLockThatIsNotARegularFileIsReportedAtOnce(t *testing.T) {
	t.Parallel()
	for name, setUp := range map[string]func(*testing.T, *sshserver.Server){
		"dangling symlink": func(t *testing.T, d *sshserver.Server) {
			if err := d.Symlink("nowhere", testLockPath); err != nil {
				t.Fatal(err)
			}
		},
		"symlink to a lock": func(t *testing.T, d *sshserver.Server) {
			if err := d.WriteFile("/root/real-lock", []byte(lockContent("someone", time.Now())), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := d.Symlink("../real-lock", testLockPath); err != nil {
				t.Fatal(err)
			}
		},
		"directory": func(t *testing.T, d *sshserver.Server) {
			if err := d.MkdirAll(testLockPath, 0o700); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			admin := newKey(t, "admin")
			dev := startDevice(t, []byte(admin.line+"\n"))
			setUp(t, dev)
			ctx, cancel := contextWithTimeout(t, 20*time.Second)
			defer cancel()
			start := time.Now()
			_, err := addKey(ctx, targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, newKey(t, ""))
			var notRegular *LockNotRegularError
			if !errors.As(err, &notRegular) {
				t.Fatalf("err = %v, want LockNotRegularError", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("reported after %v, want at once", d)
			}
			msg := err.Error()
			if notRegular.LockPath != testLockPath || !strings.Contains(msg, "remove "+testLockPath) {
				t.Fatalf("message does not say what to remove: %s", msg)
			}
			t.Log(msg)
			if _, err := dev.Lstat(testLockPath); err != nil {
				t.Fatalf("the odd lock was touched: %v", err)
			}
			if got, _ := dev.AuthorizedKeys(); string(got) != admin.line+"\n" {
				t.Fatal("the file was edited without the lock")
			}
		})
	}
}

// setMtime dates a file of the device, as "touch -d" on the machine would.
func setMtime(t *testing.T, dev *sshserver.Server, p string, when time.Time) {
	t.Helper()
	s, err := dial(ctxT(t), endpoint(targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}), Timing{}.orDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if err := s.sftp.Chtimes(p, when, when); err != nil {
		t.Fatal(err)
	}
}

// placeLock writes a lock as another run would and dates it by the
// machine's clock.
func placeLock(t *testing.T, dev *sshserver.Server, content string, mtime time.Time) {
	t.Helper()
	if err := dev.WriteFile(testLockPath, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	setMtime(t, dev, testLockPath, mtime)
}

// The age of a lock is its age by the machine's clock (its modification
// time against the machine's now), never by the clock of whoever wrote its
// "taken:" line nor by ours: a run whose clock was an hour fast took it an
// hour ago and died, and it is broken at once.
func TestLockOldByTheMachineClockIsBroken(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	creds := Credentials{Password: rootPassword}
	dev := startDevice(t, []byte(admin.line+"\n"))
	placeLock(t, dev, lockContent("a runner with a fast clock", time.Now().Add(time.Hour)), time.Now().Add(-time.Hour))
	ctx, cancel := contextWithTimeout(t, 20*time.Second)
	defer cancel()
	if _, err := addKey(ctx, targetOf(dev), trustOf(dev), creds, newKey(t, "")); err != nil {
		t.Fatalf("AddKey with a lock an hour old by the machine's clock: %v", err)
	}
	assertNoTempFiles(t, dev)
}

// A run whose clock is an hour slow took the lock just now: it is alive,
// and waited for.
func TestLockFreshByTheMachineClockIsNotBroken(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	creds := Credentials{Password: rootPassword}
	dev := startDevice(t, []byte(admin.line+"\n"))
	live := lockContent("a runner with a slow clock", time.Now().Add(-time.Hour))
	placeLock(t, dev, live, time.Now())
	ctx, cancel := contextWithTimeout(t, 700*time.Millisecond)
	defer cancel()
	_, err := addKey(ctx, targetOf(dev), trustOf(dev), creds, newKey(t, ""))
	var locked *LockedError
	if !errors.As(err, &locked) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want LockedError after waiting", err)
	}
	if got, _ := dev.ReadFile(testLockPath); string(got) != live {
		t.Fatal("a lock taken just now by the machine's clock was broken")
	}
}

// A lock dated ahead of the machine's clock would never grow old: it is
// reported at once, saying what to remove, and left alone.
func TestLockDatedInTheFutureIsReportedAtOnce(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	held := lockContent("a lock touched into the future", time.Now())
	placeLock(t, dev, held, time.Now().Add(time.Hour))
	ctx, cancel := contextWithTimeout(t, 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err := addKey(ctx, targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, newKey(t, ""))
	var future *LockFutureError
	if !errors.As(err, &future) {
		t.Fatalf("err = %v, want LockFutureError", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("reported after %v, want at once", d)
	}
	msg := err.Error()
	if !strings.Contains(msg, "remove "+testLockPath) || !strings.Contains(msg, "a lock touched into the future") {
		t.Fatalf("message does not say what to remove and who holds it: %s", msg)
	}
	t.Log(msg)
	if got, _ := dev.ReadFile(testLockPath); string(got) != held {
		t.Fatal("the future-dated lock was touched")
	}
	assertNoProbeFiles(t, dev)
}

// assertNoProbeFiles fails if a clock probe was left beside the lock.
func assertNoProbeFiles(t *testing.T, dev *sshserver.Server) {
	t.Helper()
	names, err := dev.ReadDir("/root/.ssh")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n != "authorized_keys" && n != "authorized_keys"+lockSuffix {
			t.Errorf("unexpected file left in /root/.ssh: %s", n)
		}
	}
}

// deadPid returns the pid of a process of this host that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// livePid returns the pid of a process of this host that runs until the test ends.
func livePid(t *testing.T) int {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// After a kill -9 the next run on the same host finds the lock of a process
// that is gone: it is stale at once, whatever its age.
func TestLockOfADeadProcessOnThisHostIsBrokenAtOnce(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	owner := fmt.Sprintf("%s pid %d (0123456789abcdef) fedcba9876543210", lockHost, deadPid(t))
	placeLock(t, dev, lockContent(owner, time.Now()), time.Now())
	ctx, cancel := contextWithTimeout(t, 20*time.Second)
	defer cancel()
	if _, err := addKey(ctx, targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, newKey(t, "")); err != nil {
		t.Fatalf("AddKey with the fresh lock of a process that is gone: %v", err)
	}
	assertNoTempFiles(t, dev)
}

// A fresh lock of a process that still runs on this host (this very one
// included), or of any process of another host, is waited for.
func TestLockOfALiveProcessOrAnotherHostIsWaitedFor(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	for name, owner := range map[string]string{
		"live process":  fmt.Sprintf("%s pid %d (0123456789abcdef) fedcba9876543210", lockHost, livePid(t)),
		"this process":  fmt.Sprintf("%s pid %d (0123456789abcdef) fedcba9876543210", lockHost, os.Getpid()),
		"another host":  fmt.Sprintf("%s-elsewhere pid %d (0123456789abcdef) fedcba9876543210", lockHost, deadPid(t)),
		"unknown owner": "someone",
	} {
		t.Run(name, func(t *testing.T) {
			dev := startDevice(t, []byte(admin.line+"\n"))
			held := lockContent(owner, time.Now())
			placeLock(t, dev, held, time.Now())
			ctx, cancel := contextWithTimeout(t, 500*time.Millisecond)
			defer cancel()
			_, err := addKey(ctx, targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, newKey(t, ""))
			var locked *LockedError
			if !errors.As(err, &locked) {
				t.Fatalf("err = %v, want LockedError", err)
			}
			if got, _ := dev.ReadFile(testLockPath); string(got) != held {
				t.Fatal("a live lock was broken")
			}
		})
	}
}

func TestLockOwnerParses(t *testing.T) {
	t.Parallel()
	host, pid, ok := parseLockOwner(lockOwner + " " + randomSuffix())
	if !ok || host != lockHost || pid != os.Getpid() {
		t.Fatalf("parseLockOwner(%q) = %q, %d, %v", lockOwner, host, pid, ok)
	}
	for _, bad := range []string{"", "someone", "host pid x (y)", "host pid -3 (y)", "pid 12 (y)"} {
		if _, _, ok := parseLockOwner(bad); ok {
			t.Errorf("parseLockOwner(%q) parsed", bad)
		}
	}
}

// A wait for another run's lock is shown as it goes, saying whose lock it
// is and since when; when the operation runs out of time the error says
// the same and what to remove if nobody is running.
func TestLockWaitReportsProgressAndWhoHoldsIt(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	taken := time.Now().Add(-30 * time.Second).Truncate(time.Second)
	placeLock(t, dev, lockContent("another pipeline", taken), taken)

	var (
		mu   sync.Mutex
		msgs []string
	)
	ctx, cancel := contextWithTimeout(t, time.Second)
	defer cancel()
	ctx = WithProgress(ctx, func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		msgs = append(msgs, msg)
	})
	pool := &Pool{Timing: Timing{LockProgressEvery: 100 * time.Millisecond}}
	defer pool.Close()
	_, err := pool.AddKey(ctx, endpoint(targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}), newKey(t, "").asLine())

	mu.Lock()
	defer mu.Unlock()
	if len(msgs) < 3 {
		t.Fatalf("%d progress messages, want one at the start and one every 100ms: %q", len(msgs), msgs)
	}
	for _, want := range []string{"waiting for the lock " + testLockPath, "held by another pipeline", "since " + taken.UTC().Format(time.RFC3339)} {
		if !strings.Contains(msgs[0], want) {
			t.Fatalf("first progress message %q lacks %q", msgs[0], want)
		}
	}
	t.Log(msgs)

	var locked *LockedError
	var wait *LockWaitError
	if !errors.As(err, &locked) || !errors.As(err, &wait) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want LockedError with a LockWaitError, ending in the deadline", err)
	}
	if wait.Holder != "another pipeline" || !wait.Since.Equal(taken) || wait.Waited < 300*time.Millisecond {
		t.Fatalf("wait = %+v, want the holder, the lock's time and how long we waited", wait.LockWait)
	}
	msg := err.Error()
	for _, want := range []string{"another pipeline", "taken at " + taken.UTC().Format(time.RFC3339), "remove " + testLockPath} {
		if !strings.Contains(msg, want) {
			t.Fatalf("error %q lacks %q", msg, want)
		}
	}
	t.Log(msg)
}

// One edit holds the lock at most Timing.LockHoldMax: when the machine stops
// answering mid-edit, the connection is cut then, the lock is removed over
// a fresh one, and the error says what happened, long before the
// operation's own deadline. So a live run's lock never grows as old as
// LockStaleAfter.
func TestOneEditHoldsTheLockAtMostLockHoldMax(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	proxy := tcpproxy.New(t, dev.Addr(), tcpproxy.Options{})
	tgt := Target{Host: "127.0.0.1", Port: proxy.Port(), Timeout: 5 * time.Second}
	creds := Credentials{Password: rootPassword}
	ctx, cancel := contextWithTimeout(t, 20*time.Second)
	defer cancel()
	tm := Timing{LockHoldMax: 300 * time.Millisecond}.orDefaults()
	s, err := dial(ctx, endpoint(tgt, trustOf(dev), creds), tm)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	redial := func(rctx context.Context) (*session, error) {
		return dial(rctx, endpoint(tgt, trustOf(dev), creds), tm)
	}

	lctx, unlock, err := s.remoteLock(ctx, "/root/.ssh/authorized_keys", redial)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Stall() // the machine stops answering in the middle of the edit
	start := time.Now()
	_, err = s.readFile("/root/.ssh/authorized_keys")
	if err == nil {
		t.Fatal("a read over a connection that stopped answering succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the stalled edit held the lock for %v, want about Timing.LockHoldMax", d)
	}
	if lctx.Err() == nil {
		t.Fatal("the locked phase's context is not done")
	}
	err = unlock(err)
	var tooLong *LockHeldTooLongError
	if !errors.As(err, &tooLong) || !strings.Contains(err.Error(), "/root/.ssh/authorized_keys") {
		t.Fatalf("err = %v, want LockHeldTooLongError naming the file", err)
	}
	t.Log(err)
	if _, err := dev.Lstat(testLockPath); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the lock is still there after the cut-off edit: %v", err)
	}
}

// What the provider relies on: a live run's lock never looks stale, and an
// operation given MinOperationTimeout can wait out a dead run's lock, break
// it and still make its own edit.
func TestOperationTimeoutOutlastsAStaleLock(t *testing.T) {
	t.Parallel()
	if tm := (Timing{}).orDefaults(); tm.LockStaleAfter != LockStaleAfter || tm.LockHoldMax != LockHoldMax {
		t.Fatalf("the default lock times (%v, %v) are not the exported ones (%v, %v)", tm.LockStaleAfter, tm.LockHoldMax, LockStaleAfter, LockHoldMax)
	}
	// Cut off at LockHoldMax, an edit may still remove its temp file and
	// then the lock, each over a fresh connection bounded by cleanupTimeout.
	if held := LockHoldMax + 2*cleanupTimeout; held >= LockStaleAfter {
		t.Fatalf("a live lock may stay %v: not below the stale age %v", held, LockStaleAfter)
	}
	if MinOperationTimeout <= LockStaleAfter+LockHoldMax {
		t.Fatalf("MinOperationTimeout %v leaves no time to edit after waiting out a stale lock (%v + %v)", MinOperationTimeout, LockStaleAfter, LockHoldMax)
	}
}

// A lock file caught between its creation and its first write is empty: it
// is another run's lock being written, and is waited for, not broken.
func TestLockBeingWrittenIsNotBroken(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	placeLock(t, dev, "", time.Now())
	ctx, cancel := contextWithTimeout(t, 500*time.Millisecond)
	defer cancel()
	_, err := addKey(ctx, targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, newKey(t, ""))
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("err = %v, want LockedError", err)
	}
	if _, err := dev.Lstat(testLockPath); err != nil {
		t.Fatalf("a lock being written was broken: %v", err)
	}
}

// However the operation's time runs out during a wait (asleep between two
// looks, or in an SFTP call to a machine that stopped answering), the
// error is the LockedError saying whose lock it waited for.
func TestLockWaitEndingInACallIsStillALockedError(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	placeLock(t, dev, lockContent("another pipeline", time.Now()), time.Now())
	proxy := tcpproxy.New(t, dev.Addr(), tcpproxy.Options{})
	tgt := Target{Host: "127.0.0.1", Port: proxy.Port(), Timeout: 5 * time.Second}
	ctx, cancel := contextWithTimeout(t, time.Second)
	defer cancel()
	var once sync.Once
	ctx = WithProgress(ctx, func(string) { once.Do(proxy.Stall) }) // the machine stops answering once we wait
	_, err := addKey(ctx, tgt, trustOf(dev), Credentials{Password: rootPassword}, newKey(t, ""))
	var locked *LockedError
	var wait *LockWaitError
	if !errors.As(err, &locked) || !errors.As(err, &wait) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want LockedError with a LockWaitError, ending in the deadline", err)
	}
	if wait.Holder != "another pipeline" {
		t.Fatalf("wait = %+v, want the holder", wait.LockWait)
	}
}
