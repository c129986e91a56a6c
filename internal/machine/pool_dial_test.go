package machine

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/tcpproxy"
)

// silentServer accepts TCP connections and never says a word; closed
// receives each connection's end (when the client hangs up).
func silentServer(t *testing.T) (port int, closed <-chan time.Time) {
	t.Helper()
	ends := make(chan time.Time, 16)
	port = serveLoopback(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		for {
			if _, err := c.Read(buf); err != nil {
				ends <- time.Now()
				return
			}
		}
	})
	return port, ends
}

// The shared dial of a pool is called off once nobody waits for it: a
// caller that gives up on a machine that does not answer leaves no
// connection behind for the rest of the handshake timeout.
func TestPoolDialIsCalledOffWhenNobodyWaits(t *testing.T) {
	t.Parallel()
	port, closed := silentServer(t)
	pool := &Pool{}
	t.Cleanup(pool.Close)
	k := newKey(t, "")
	tgt := Target{Host: "127.0.0.1", Port: port, Timeout: 30 * time.Second}
	ctx, cancel := contextWithTimeout(t, 200*time.Millisecond)
	defer cancel()
	_, err := pool.FindKey(ctx, endpoint(tgt, HostKeyPolicy{InsecureIgnore: true}, Credentials{Password: rootPassword}), k.pub)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	gaveUp := time.Now()
	select {
	case end := <-closed:
		t.Logf("the dial was called off %v after its caller gave up", end.Sub(gaveUp))
	case <-time.After(5 * time.Second):
		t.Fatal("the dial still runs 5s after its only caller gave up")
	}
	if n := openConns(pool); n != 0 {
		t.Fatalf("%d connections left in the pool", n)
	}
}

// While one caller still waits, the dial goes on for it even when the
// caller that started it gave up; both shared one connection attempt.
func TestPoolDialGoesOnWhileSomeoneWaits(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	port := tcpproxy.New(t, dev.Addr(), tcpproxy.Options{Delay: 500 * time.Millisecond}).Port()
	pool := &Pool{}
	t.Cleanup(pool.Close)
	tgt := Target{Host: "127.0.0.1", Port: port, Timeout: 5 * time.Second}
	creds := Credentials{Keys: keyOf(admin.pem)}

	impatient, cancel := contextWithTimeout(t, 100*time.Millisecond)
	defer cancel()
	started := make(chan struct{})
	var impatientErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		close(started)
		_, impatientErr = pool.session(impatient, endpoint(tgt, trustOf(dev), creds))
	})
	<-started
	time.Sleep(20 * time.Millisecond) // the impatient caller starts the dial
	s, err := pool.session(ctxT(t), endpoint(tgt, trustOf(dev), creds))
	if err != nil {
		t.Fatalf("the patient caller: %v", err)
	}
	defer s.close()
	wg.Wait()
	if !errors.Is(impatientErr, context.DeadlineExceeded) {
		t.Fatalf("the impatient caller: %v, want its deadline", impatientErr)
	}
	if st := dev.Stats(); st.Connections != 1 {
		t.Fatalf("%d connections, want the one dial both waited for", st.Connections)
	}
}

// Closing the pool calls off its dials: their callers fail at once instead
// of waiting out the handshake timeout.
func TestPoolCloseCallsOffItsDials(t *testing.T) {
	t.Parallel()
	port, closed := silentServer(t)
	pool := &Pool{}
	k := newKey(t, "")
	tgt := Target{Host: "127.0.0.1", Port: port, Timeout: 30 * time.Second}
	done := make(chan error, 1)
	go func() {
		_, err := pool.FindKey(ctxT(t), endpoint(tgt, HostKeyPolicy{InsecureIgnore: true}, Credentials{Password: rootPassword}), k.pub)
		done <- err
	}()
	waitFor(t, func() bool { return openConns(pool) == 1 })
	time.Sleep(50 * time.Millisecond) // the dial reaches the server
	start := time.Now()
	pool.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a look-up through a closed pool on a silent server succeeded")
		}
		t.Log(err)
	case <-time.After(5 * time.Second):
		t.Fatal("the caller still waits 5s after the pool was closed")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("closing the pool and failing its caller took %v", d)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection is still open 5s after the pool was closed")
	}
}
