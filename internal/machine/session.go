package machine

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

const (
	defaultPort           = 22
	defaultUser           = "root"
	defaultTimeout        = 30 * time.Second
	defaultAuthorizedKeys = ".ssh/authorized_keys"
)

// sftpStartTimeout bounds starting SFTP once logged in (at most
// Target.Timeout): a server that answers SSH but never starts the
// subsystem fails fast instead of using up the whole operation.
var sftpStartTimeout = 15 * time.Second

// Target is the machine and file to edit.
type Target struct {
	Host               string
	Port               int           // default 22
	User               string        // default "root"
	AuthorizedKeysPath string        // default ".ssh/authorized_keys"; relative paths are relative to the user's home
	Timeout            time.Duration // for TCP connect and SSH handshake each (starting SFTP gets at most 15s of it); default 30s. The whole operation is bounded by ctx.
}

func (t Target) withDefaults() Target {
	if t.Port == 0 {
		t.Port = defaultPort
	}
	if t.User == "" {
		t.User = defaultUser
	}
	if t.AuthorizedKeysPath == "" {
		t.AuthorizedKeysPath = defaultAuthorizedKeys
	}
	if t.Timeout <= 0 {
		t.Timeout = defaultTimeout
	}
	return t
}

func (t Target) addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// session is one SSH connection with an SFTP client on it.
type session struct {
	addr    string
	ssh     *ssh.Client
	sftp    *sftp.Client
	stopFn  func() bool // detaches the ctx watcher
	outcome Outcome
	release func() // set on a pooled session: close hands it back
	discard func() // set on a pooled session: forget the dead connection
}

// close ends the caller's use: a pooled session goes back to its pool.
func (s *session) close() {
	if s.release != nil {
		s.release()
		return
	}
	s.closeConn()
}

// drop makes sure a connection found dead is not handed out again.
func (s *session) drop() {
	if s.discard != nil {
		s.discard()
	}
}

// abort closes the connection under a caller that still uses it, so that
// its SFTP calls in flight fail at once; a pooled one is not handed out again.
func (s *session) abort() {
	if s.discard != nil {
		s.discard()
		return
	}
	_ = s.ssh.Close()
}

func (s *session) closeConn() {
	s.stopFn()
	_ = s.sftp.Close()
	_ = s.ssh.Close()
}

// dial connects, retrying refused and reset connections (sshd sheds them
// under load, see MaxStartups) with bounded backoff. The dial is bounded by
// ctx and by dialLimit; the session it returns ends when ctx does
// (including SFTP calls made later on it).
func dial(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials) (*session, error) {
	s, err := dialDetached(ctx, t, hk, c)
	if err != nil {
		return nil, err
	}
	s.stopFn = context.AfterFunc(ctx, func() { _ = s.ssh.Close() })
	return s, nil
}

// dialDetached is dial for a session that outlives ctx: ctx and dialLimit
// bound the dial only, and whoever gets the session closes it.
func dialDetached(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials) (*session, error) {
	ctx, cancel := context.WithTimeout(ctx, dialLimit(t))
	defer cancel()
	var err error
	for attempt := 0; ; attempt++ {
		var s *session
		s, err = dialOnce(ctx, t, hk, c)
		if err == nil || !transient(err) || attempt+1 >= dialAttempts {
			return s, err
		}
		if werr := sleepCtx(ctx, backoff(attempt)); werr != nil {
			return nil, err
		}
	}
}

// dialBackoffBudget is what the waits between dial attempts add up to at most.
var dialBackoffBudget = func() time.Duration {
	var d time.Duration
	for n := range dialAttempts - 1 {
		d += min(backoffBase<<n, backoffMax)
	}
	return d
}()

// dialLimit bounds a whole dial, retries included, whatever its callers'
// contexts allow: the TCP connect and the handshake (t.Timeout each), the
// start of SFTP, and the backoff between attempts.
func dialLimit(t Target) time.Duration {
	return 2*t.Timeout + min(sftpStartTimeout, t.Timeout) + dialBackoffBudget
}

// dialOnce connects, verifies the host key, logs in and starts SFTP. The TCP
// connect and the handshake each get t.Timeout, starting SFTP at most
// sftpStartTimeout; ctx cancels all of it. The session it returns is tied to
// no context.
func dialOnce(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials) (*session, error) {
	addr := t.addr()
	if t.Host == "" {
		return nil, &UnreachableError{Addr: addr, Err: errors.New("no host given")}
	}
	check, err := newHostKeyCheck(hk, addr)
	if err != nil {
		return nil, err
	}
	a := buildAuth(ctx, c)
	defer a.close() // the agent is only needed during login
	if len(a.methods) == 0 {
		return nil, &AuthError{User: t.User, Addr: addr, Skipped: a.skipped}
	}

	dialCtx, cancel := context.WithTimeout(ctx, t.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dialCtx, "tcp", addr)
	if err != nil {
		return nil, &UnreachableError{Addr: addr, Err: cleanDialError(err)}
	}
	deadline := time.Now().Add(t.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })

	cfg := &ssh.ClientConfig{
		User:              t.User,
		Auth:              a.methods,
		HostKeyCallback:   check.callback,
		HostKeyAlgorithms: check.algorithms,
	}
	cc, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		stop()
		_ = conn.Close()
		return nil, handshakeError(ctx, err, check, a, t.User, addr)
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(cc, chans, reqs)
	sc, err := startSFTP(ctx, client, addr, min(sftpStartTimeout, t.Timeout))
	if err != nil {
		stop()
		_ = client.Close()
		return nil, err
	}
	if !stop() { // ctx ended as the dial finished: the connection is closed
		_ = sc.Close()
		_ = client.Close()
		return nil, &UnreachableError{Addr: addr, Err: ctx.Err()}
	}
	seen, _ := check.outcome()
	out := Outcome{Use: check.use}
	if seen != nil {
		out.HostKey = HostKeyLine(seen)
	}
	return &session{addr: addr, ssh: client, sftp: sc, stopFn: func() bool { return true }, outcome: out}, nil
}

// startSFTP starts the sftp subsystem on a logged-in connection within
// limit, closing the connection when the server does not answer in time.
// The machine answered SSH, so no failure here is an UnreachableError.
func startSFTP(ctx context.Context, client *ssh.Client, addr string, limit time.Duration) (*sftp.Client, error) {
	var timedOut atomic.Bool
	timer := time.AfterFunc(limit, func() {
		timedOut.Store(true)
		_ = client.Close()
	})
	sc, err := sftp.NewClient(client)
	timer.Stop()
	switch {
	case timedOut.Load():
		if sc != nil {
			_ = sc.Close()
		}
		if err == nil {
			err = errors.New("closed as it answered")
		}
		return nil, &SFTPStartError{Addr: addr, Timeout: limit, Err: err}
	case err != nil && ctx.Err() != nil:
		return nil, &SFTPStartError{Addr: addr, Err: ctx.Err()}
	case err != nil:
		return nil, &SFTPStartError{Addr: addr, Err: err}
	}
	return sc, nil
}

// handshakeError tells apart a refused host key, a refused login and a
// connection that failed on the way.
func handshakeError(ctx context.Context, err error, check *hostKeyCheck, a *auth, user, addr string) error {
	seen, failure := check.outcome()
	passed := seen != nil
	if failure != nil {
		return failure
	}
	if ctx.Err() != nil {
		return &UnreachableError{Addr: addr, Err: ctx.Err()}
	}
	var ne net.Error
	timedOut := errors.As(err, &ne) && ne.Timeout()
	if passed && !timedOut {
		// Key exchange is over, so the server turned our credentials down
		// (or hung up on them, as sshd does after MaxAuthTries).
		reason := errors.New("the server accepted none of them")
		if !strings.Contains(err.Error(), "unable to authenticate") {
			reason = err
		}
		return &AuthError{User: user, Addr: addr, Tried: a.tried, Skipped: a.skipped, Err: reason}
	}
	if timedOut {
		return &UnreachableError{Addr: addr, Err: errors.New("SSH handshake timed out (is an SSH server listening there?)")}
	}
	return &UnreachableError{Addr: addr, Err: err}
}

// cleanDialError drops Go's "dial tcp" prefix noise but keeps the cause.
func cleanDialError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
