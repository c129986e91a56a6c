package machine

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/pkg/sftp"
)

// Pool shares SSH connections and reads of authorized_keys between callers
// in one process, so a refresh of many attachments to one machine logs in
// once and reads the file once. Connections are shared only between callers
// with the same address, user, host key policy and credentials, never across
// them; one nobody uses for Timing.IdleTimeout is closed. A read is reused
// for Timing.ReadTTL unless this pool edits the file meanwhile. Edits of one
// file through the pool are serialised, so its callers never lose a line;
// one pool per process (the provider's) makes that hold process-wide. The
// zero Pool is ready to use.
type Pool struct {
	Timing Timing // set before first use

	mu    sync.Mutex
	conns map[string]*pooledConn
	reads map[string]*sharedRead
	edits fileLocks         // one edit of a file at a time (lockKey)
	gens  map[string]uint64 // edits per file (lockKey): a read that started before an edit is never reused after it
}

// timing is the pool's Timing with defaults.
func (p *Pool) timing() Timing { return p.Timing.orDefaults() }

// pooledConn is one shared connection, from its dial until it is closed.
type pooledConn struct {
	key   string
	ready chan struct{} // closed once the dial is done (s or err set)
	s     *session
	err   error
	refs  int
	dead  bool
	idle  *time.Timer
	// cancelDial calls the dial off; nil once it is done.
	cancelDial context.CancelFunc
}

// snapshot is one read of an authorized_keys file.
type snapshot struct {
	path string // absolute, after symlinks
	keys []byte // nil when missing
	out  Outcome
}

// readRecord reads the writers' record beside the file at p (nil when
// missing), over the pool's connection.
func (p *Pool) readRecord(ctx context.Context, ep Endpoint, file string) ([]byte, error) {
	s, err := p.session(ctx, ep)
	if err != nil {
		return nil, err
	}
	defer s.close()
	data, err := s.readFile(file + writersSuffix)
	if err != nil {
		return nil, s.fileError(ctx, "read", file+writersSuffix, err)
	}
	return data, nil
}

// sharedRead is one read of a file through one kind of connection.
type sharedRead struct {
	ready chan struct{}
	snap  snapshot
	err   error
	gen   uint64 // the file's edit count when the read started
	at    time.Time
}

// writeGen is the number of edits of file (lockKey) through the pool; the caller holds p.mu.
func (p *Pool) writeGen(file string) uint64 { return p.gens[file] }

// bumpWriteGen counts an edit of file: reads from before it are not reused.
func (p *Pool) bumpWriteGen(file string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gens == nil {
		p.gens = map[string]uint64{}
	}
	p.gens[file]++
}

// session returns a session for ep: the pool's shared connection for this
// kind of caller, dialled once for all who ask meanwhile. Closing it hands
// it back. If ctx ends while it is held, the connection is dropped (an SFTP
// call in flight cannot be cancelled any other way) and the next caller
// dials afresh.
func (p *Pool) session(ctx context.Context, ep Endpoint) (*session, error) {
	if err := ep.check(); err != nil {
		return nil, err
	}
	key := connKey(ep)
	p.mu.Lock()
	if p.conns == nil {
		p.conns = map[string]*pooledConn{}
	}
	pc := p.conns[key]
	if pc == nil || pc.dead {
		// The dial outlives the caller that started it, as others may wait
		// on it too; the last to stop waiting calls it off (see release).
		dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		pc = &pooledConn{key: key, ready: make(chan struct{}), cancelDial: cancel}
		p.conns[key] = pc
		go p.dialInto(pc, dctx, ep)
	}
	pc.refs++
	if pc.idle != nil {
		pc.idle.Stop()
		pc.idle = nil
	}
	p.mu.Unlock()

	select {
	case <-pc.ready:
	case <-ctx.Done():
		p.release(pc)
		return nil, &UnreachableError{Addr: ep.Addr(), Err: ctx.Err()}
	}
	if pc.err != nil {
		p.release(pc)
		return nil, pc.err
	}
	stop := context.AfterFunc(ctx, func() { p.discard(pc) })
	var once sync.Once
	lease := *pc.s
	lease.stopFn = func() bool { return true }
	lease.release = func() {
		once.Do(func() {
			stop()
			p.release(pc)
		})
	}
	lease.discard = func() { p.discard(pc) }
	return &lease, nil
}

// dialInto dials for pc (bounded by dialLimit, and called off by release
// once nobody waits) and hands the result to its waiters.
func (p *Pool) dialInto(pc *pooledConn, ctx context.Context, ep Endpoint) {
	s, err := dialDetached(ctx, ep, p.timing())
	p.mu.Lock()
	if pc.cancelDial != nil {
		pc.cancelDial() // frees the context; the session does not depend on it
		pc.cancelDial = nil
	}
	abandoned := err == nil && pc.dead // every caller gave up as it finished
	if abandoned {
		err = &UnreachableError{Addr: ep.Addr(), Err: context.Canceled}
	}
	pc.err = err
	if err == nil {
		pc.s = s
	} else {
		pc.dead = true
		if p.conns[pc.key] == pc {
			delete(p.conns, pc.key)
		}
	}
	p.mu.Unlock()
	close(pc.ready)
	if abandoned {
		s.closeConn()
	}
	if err == nil {
		go func() {
			_ = s.ssh.Wait() // the connection died or was closed
			p.discard(pc)
		}()
	}
}

// release hands a connection back; the last one out starts its idle timer,
// or calls the dial off when it is still under way.
func (p *Pool) release(pc *pooledConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc.refs--
	if pc.refs == 0 && pc.cancelDial != nil {
		pc.cancelDial()
		pc.cancelDial = nil
		pc.dead = true // the next caller dials afresh
		if p.conns[pc.key] == pc {
			delete(p.conns, pc.key)
		}
		return
	}
	if pc.refs == 0 && !pc.dead && pc.s != nil {
		pc.idle = time.AfterFunc(p.timing().IdleTimeout, func() {
			p.mu.Lock()
			idle := pc.refs == 0
			p.mu.Unlock()
			if idle {
				p.discard(pc)
			}
		})
	}
}

// discard closes a connection and forgets it.
func (p *Pool) discard(pc *pooledConn) {
	p.mu.Lock()
	if pc.dead {
		p.mu.Unlock()
		return
	}
	pc.dead = true
	if p.conns[pc.key] == pc {
		delete(p.conns, pc.key)
	}
	if pc.idle != nil {
		pc.idle.Stop()
	}
	p.mu.Unlock()
	if pc.s != nil {
		pc.s.closeConn()
	}
}

// Close closes every connection of the pool (those in use fail their
// callers) and calls off the dials under way.
func (p *Pool) Close() {
	p.mu.Lock()
	var all []*pooledConn
	for _, pc := range p.conns {
		all = append(all, pc)
		if pc.cancelDial != nil { // no dial outlives the pool
			pc.cancelDial()
			pc.cancelDial = nil
		}
	}
	p.reads = nil
	p.mu.Unlock()
	for _, pc := range all {
		<-pc.ready
		p.discard(pc)
	}
}

// readFile reads ep's authorized_keys (empty if missing), sharing one read among concurrent callers and reusing it for
// Timing.ReadTTL while nothing edits the file through the pool.
func (p *Pool) readFile(ctx context.Context, ep Endpoint) (snapshot, error) {
	if err := ep.check(); err != nil {
		return snapshot{}, err
	}
	file := lockKey(ep)
	key := file + "\x00" + connKey(ep)
	ttl := p.timing().ReadTTL
	for {
		p.mu.Lock()
		gen := p.writeGen(file)
		if p.reads == nil {
			p.reads = map[string]*sharedRead{}
		}
		r := p.reads[key]
		if r == nil || r.gen != gen || (!r.at.IsZero() && time.Since(r.at) >= ttl) {
			r = &sharedRead{ready: make(chan struct{}), gen: gen}
			p.reads[key] = r
			p.mu.Unlock()
			r.snap, r.err = p.readOnce(ctx, ep)
			p.mu.Lock()
			r.at = time.Now()
			if (r.err != nil || p.writeGen(file) != gen) && p.reads[key] == r {
				delete(p.reads, key) // not worth keeping: failed, or an edit overtook it
			}
			p.mu.Unlock()
			close(r.ready)
			return r.snap, r.err
		}
		p.mu.Unlock()
		select {
		case <-r.ready:
		case <-ctx.Done():
			return snapshot{}, &UnreachableError{Addr: ep.Addr(), Err: ctx.Err()}
		}
		if r.err != nil && ctx.Err() == nil && isContextError(r.err) {
			continue // the caller that read for us gave up; we have not
		}
		return r.snap, r.err
	}
}

// isContextError: the operation stopped because its context ended.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// readOnce reads the file over a (pooled) connection. A shared connection
// that turns out to have died (the server dropped it while it sat in the
// pool) is replaced once: reads are safe to repeat, edits are not.
func (p *Pool) readOnce(ctx context.Context, ep Endpoint) (snapshot, error) {
	snap, err := p.readOver(ctx, ep)
	if err != nil && ctx.Err() == nil && lostConnection(err) {
		snap, err = p.readOver(ctx, ep)
	}
	return snap, err
}

func (p *Pool) readOver(ctx context.Context, ep Endpoint) (snapshot, error) {
	s, err := p.session(ctx, ep)
	if err != nil {
		return snapshot{}, err
	}
	defer s.close()
	snap := snapshot{out: s.outcome}
	snap.path, err = s.locate(ctx, ep.Target.AuthorizedKeysPath)
	if err == nil {
		if snap.keys, err = s.readFile(snap.path); err == nil {
			return snap, nil
		}
		err = s.fileError(ctx, "read", snap.path, err)
	}
	if lostConnection(err) {
		s.drop()
	}
	return snapshot{out: s.outcome}, err
}

// lostConnection: an SFTP call failed because the connection under it is gone.
func lostConnection(err error) bool {
	return errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed)
}
