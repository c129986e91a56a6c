// Package tcpproxy forwards loopback TCP connections to a target, with the
// knobs tests and the bench need to stand between a client and a server:
// count connections, hold each back, reset the first few, switch the target,
// and stall the open connections as a machine that stops answering.
package tcpproxy

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Options are the faults a proxy puts in the way; the zero value forwards.
type Options struct {
	// Delay holds each accepted connection back this long before dialing the target.
	Delay time.Duration
	// ResetFirst resets (RST, not FIN) this many connections before forwarding any.
	ResetFirst int
}

// Proxy listens on a loopback port and forwards every connection to its target.
type Proxy struct {
	ln       net.Listener
	opts     Options
	target   atomic.Pointer[string]
	accepted atomic.Int64
	taken    atomic.Int64

	mu      sync.Mutex
	stalled *atomic.Bool // the stall flag of the connections opened from now on
	conns   map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// Start listens on 127.0.0.1 and forwards to target until Close.
func Start(target string, opts Options) (*Proxy, error) {
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, opts: opts, stalled: new(atomic.Bool), conns: map[net.Conn]struct{}{}}
	p.target.Store(&target)
	p.wg.Go(p.serve)
	return p, nil
}

// TB is the part of testing.TB that New needs.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// New starts a proxy for a test and closes it when the test ends.
func New(t TB, target string, opts Options) *Proxy {
	t.Helper()
	p, err := Start(target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// Port is the loopback port the proxy listens on.
func (p *Proxy) Port() int { return int(netip.MustParseAddrPort(p.ln.Addr().String()).Port()) }

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget sends the connections accepted from now on to addr.
func (p *Proxy) SetTarget(addr string) { p.target.Store(&addr) }

// Accepted is how many connections the proxy accepted, reset ones included.
func (p *Proxy) Accepted() int { return int(p.accepted.Load()) }

// Take returns the connections accepted since the last call.
func (p *Proxy) Take() int {
	n := p.accepted.Load()
	return int(n - p.taken.Swap(n))
}

// Stall makes the connections open now forward nothing more, as a machine
// that stops answering; connections opened later work.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled.Store(true)
	p.stalled = new(atomic.Bool)
}

// Close stops listening, closes every open connection and waits for them.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if n := p.accepted.Add(1); n <= int64(p.opts.ResetFirst) {
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // RST, not FIN, as a busy sshd sheds
			}
			_ = c.Close()
			continue
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

// track remembers c for Close; it reports false once the proxy is closed.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *Proxy) forward(c net.Conn) {
	defer c.Close()
	if !p.track(c) {
		return
	}
	defer p.untrack(c)
	if p.opts.Delay > 0 {
		time.Sleep(p.opts.Delay)
	}
	p.mu.Lock()
	stalled := p.stalled
	p.mu.Unlock()
	up, err := new(net.Dialer).DialContext(context.Background(), "tcp", *p.target.Load())
	if err != nil {
		return
	}
	defer up.Close()
	if !p.track(up) {
		return
	}
	defer p.untrack(up)
	done := make(chan struct{}, 2)
	go func() { copyUnlessStalled(up, c, stalled); done <- struct{}{} }()
	go func() { copyUnlessStalled(c, up, stalled); done <- struct{}{} }()
	<-done
	_, _ = c.Close(), up.Close() // ends the other direction too
	<-done
}

// copyUnlessStalled copies src to dst until either fails, dropping what it
// reads once stalled is set (the connection stays open but silent).
func copyUnlessStalled(dst, src net.Conn, stalled *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
