package machine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// session is one SSH connection with an SFTP client on it.
type session struct {
	addr    string // the target as errors name it (Endpoint.Addr)
	ssh     *ssh.Client
	jump    *ssh.Client // the jump host's connection the target's runs through; nil without one
	sftp    *sftp.Client
	timing  Timing      // the pool's, with defaults
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
	s.closeSSH()
}

func (s *session) closeConn() {
	s.stopFn()
	// The connection first: closing SFTP waits for its reader, which a
	// machine that stopped answering never lets go otherwise.
	s.closeSSH()
	_ = s.sftp.Close()
}

// closeSSH closes the connection to the target, then the jump host's under it.
func (s *session) closeSSH() {
	_ = s.ssh.Close()
	if s.jump != nil {
		_ = s.jump.Close()
	}
}

// dial connects, retrying refused and reset connections (sshd sheds them
// under load, see MaxStartups) with bounded backoff. The dial is bounded by
// ctx and by dialLimit; the session it returns ends when ctx does
// (including SFTP calls made later on it).
func dial(ctx context.Context, ep Endpoint, tm Timing) (*session, error) {
	s, err := dialDetached(ctx, ep, tm)
	if err != nil {
		return nil, err
	}
	s.stopFn = context.AfterFunc(ctx, s.closeSSH)
	return s, nil
}

// dialDetached is dial for a session that outlives ctx: ctx and dialLimit
// bound the dial only, and whoever gets the session closes it.
func dialDetached(ctx context.Context, ep Endpoint, tm Timing) (*session, error) {
	if err := ep.check(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, dialLimit(ep, tm))
	defer cancel()
	var err error
	for attempt := 0; ; attempt++ {
		var s *session
		s, err = dialOnce(ctx, ep, tm)
		if err == nil || !transient(err) || attempt+1 >= dialAttempts {
			return s, err
		}
		if werr := sleepCtx(ctx, backoff(attempt)); werr != nil {
			return nil, err
		}
	}
}

// dialBackoffBudget is what the waits between dial attempts add up to at most.
func dialBackoffBudget() time.Duration {
	var d time.Duration
	for n := range dialAttempts - 1 {
		d += min(backoffBase<<n, backoffMax)
	}
	return d
}

// dialLimit bounds a whole dial, retries included, whatever its callers'
// contexts allow: the TCP connect (or the forwarded channel) and the
// handshake of each hop (Target.Timeout each), the start of SFTP, and the
// backoff between attempts.
func dialLimit(ep Endpoint, tm Timing) time.Duration {
	t := ep.Target.Timeout
	hops := time.Duration(1)
	if ep.Jump != nil {
		hops = 2
	}
	return hops*2*t + min(tm.SFTPStart, t) + dialBackoffBudget()
}

// dialOnce connects (through the jump host, if any), verifies the host
// key, logs in and starts SFTP. The TCP connect and the handshake each get
// Target.Timeout, starting SFTP at most tm.SFTPStart; ctx cancels all of
// it. The session it returns is tied to no context.
func dialOnce(ctx context.Context, ep Endpoint, tm Timing) (*session, error) {
	t := ep.Target
	target, err := prepareLogin(ctx, t.addr(), t.User, ep.HostKey, ep.Auth)
	if err != nil {
		return nil, err
	}
	defer target.close() // the agent is only needed during login

	var jump *ssh.Client
	var conn net.Conn
	if ep.Jump != nil {
		if jump, err = dialJump(ctx, ep.Jump, t.Timeout); err != nil {
			return nil, err
		}
		if conn, err = forward(ctx, jump, ep, t.Timeout); err != nil {
			_ = jump.Close()
			return nil, err
		}
	} else {
		if conn, err = dialTCP(ctx, t.addr(), t.Timeout); err != nil {
			return nil, err
		}
	}
	client, err := target.handshake(ctx, conn, t.Timeout)
	if err != nil {
		if jump != nil {
			_ = jump.Close()
		}
		return nil, err
	}
	s := &session{addr: ep.Addr(), ssh: client, jump: jump, timing: tm, stopFn: func() bool { return true }}
	stop := context.AfterFunc(ctx, s.closeSSH)
	sc, err := startSFTP(ctx, client, s.addr, min(tm.SFTPStart, t.Timeout))
	if err != nil {
		stop()
		s.closeSSH()
		return nil, err
	}
	s.sftp = sc
	if !stop() { // ctx ended as the dial finished: the connection is closed
		_ = sc.Close()
		s.closeSSH()
		return nil, &UnreachableError{Addr: s.addr, Err: ctx.Err()}
	}
	seen, _ := target.check.outcome()
	s.outcome = Outcome{Use: target.check.use}
	if seen != nil {
		s.outcome.HostKey = HostKeyLine(seen)
	}
	return s, nil
}

// dialJump logs in to the jump host. Every failure is a *JumpError.
func dialJump(ctx context.Context, j *Hop, timeout time.Duration) (*ssh.Client, error) {
	addr := j.addr()
	hop, err := prepareLogin(ctx, addr, j.User, j.HostKey, j.Auth)
	if err != nil {
		return nil, &JumpError{Addr: addr, Err: err}
	}
	defer hop.close()
	conn, err := dialTCP(ctx, addr, timeout)
	if err != nil {
		return nil, &JumpError{Addr: addr, Err: err}
	}
	client, err := hop.handshake(ctx, conn, timeout)
	if err != nil {
		return nil, &JumpError{Addr: addr, Err: err}
	}
	return client, nil
}

// forward opens the jump host's forwarded connection (direct-tcpip) to the
// target. The jump host refusing to forward at all is its failure; a
// target that does not answer there is the target's.
func forward(ctx context.Context, jump *ssh.Client, ep Endpoint, timeout time.Duration) (net.Conn, error) {
	fctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := jump.DialContext(fctx, "tcp", ep.Target.addr())
	if err == nil {
		return conn, nil
	}
	var open *ssh.OpenChannelError
	if errors.As(err, &open) && open.Reason == ssh.Prohibited {
		return nil, &JumpError{Addr: ep.Jump.addr(), Err: fmt.Errorf("it refuses to forward connections to %s: %w", ep.Target.addr(), err)}
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	} else if fctx.Err() != nil {
		err = errors.New("the jump host's connection to it timed out")
	}
	return nil, &UnreachableError{Addr: ep.Addr(), Err: err}
}

// dialTCP opens a TCP connection to addr within timeout.
func dialTCP(ctx context.Context, addr string, timeout time.Duration) (net.Conn, error) {
	dialCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dialCtx, "tcp", addr)
	if err != nil {
		return nil, &UnreachableError{Addr: addr, Err: cleanDialError(err)}
	}
	return conn, nil
}

// login is one hop's SSH login, prepared before any connection is made so
// that a bad host key setting or no credentials at all fail at once.
type login struct {
	addr, user string
	check      *hostKeyCheck
	auth       *auth
}

func prepareLogin(ctx context.Context, addr, user string, hk HostKeyPolicy, c Credentials) (*login, error) {
	check, err := newHostKeyCheck(hk, addr)
	if err != nil {
		return nil, err
	}
	a := buildAuth(ctx, c)
	if len(a.methods) == 0 {
		a.close()
		return nil, &AuthError{User: user, Addr: addr, Skipped: a.skipped}
	}
	return &login{addr: addr, user: user, check: check, auth: a}, nil
}

func (l *login) close() { l.auth.close() }

// handshake runs the SSH handshake and login over conn within timeout (and
// ctx), closing conn when it fails.
func (l *login) handshake(ctx context.Context, conn net.Conn, timeout time.Duration) (*ssh.Client, error) {
	var timedOut atomic.Bool
	// A timer rather than a deadline: a forwarded connection has none.
	timer := time.AfterFunc(timeout, func() {
		timedOut.Store(true)
		_ = conn.Close()
	})
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	cfg := &ssh.ClientConfig{
		User:              l.user,
		Auth:              l.auth.methods,
		HostKeyCallback:   l.check.callback,
		HostKeyAlgorithms: l.check.algorithms,
	}
	cc, chans, reqs, err := ssh.NewClientConn(conn, l.addr, cfg)
	timer.Stop()
	stopped := stop()
	if err != nil || timedOut.Load() || !stopped {
		_ = conn.Close()
		if err == nil {
			err = errors.New("closed as it answered")
		}
		return nil, handshakeError(ctx, err, timedOut.Load(), l.check, l.auth, l.user, l.addr)
	}
	return ssh.NewClient(cc, chans, reqs), nil
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
func handshakeError(ctx context.Context, err error, timedOut bool, check *hostKeyCheck, a *auth, user, addr string) error {
	seen, failure := check.outcome()
	passed := seen != nil
	if failure != nil {
		return failure
	}
	if ctx.Err() != nil {
		return &UnreachableError{Addr: addr, Err: ctx.Err()}
	}
	var ne net.Error
	timedOut = timedOut || errors.As(err, &ne) && ne.Timeout()
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
