package tcpproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// echo serves line echoes prefixed with name on a loopback port.
func echo(t *testing.T, name string) string {
	t.Helper()
	l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := io.WriteString(c, name+":"+line); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := new(net.Dialer).DialContext(t.Context(), "tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// ask sends a line and returns the answer, or the read error after a second.
func ask(c net.Conn, line string) (string, error) {
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

func TestForwardsCountsAndSwitchesTarget(t *testing.T) {
	p := New(t, echo(t, "a"), Options{})
	if got, err := ask(dial(t, p), "hi"); got != "a:hi\n" || err != nil {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}
	p.SetTarget(echo(t, "b"))
	if got, err := ask(dial(t, p), "hi"); got != "b:hi\n" || err != nil {
		t.Fatalf("after SetTarget: %q, %v, want the new target", got, err)
	}
	if n := p.Take(); n != 2 {
		t.Fatalf("Take = %d, want 2", n)
	}
	if n := p.Take(); n != 0 {
		t.Fatalf("Take again = %d, want 0", n)
	}
}

func TestStallSilencesOpenConnectionsOnly(t *testing.T) {
	p := New(t, echo(t, "a"), Options{})
	old := dial(t, p)
	if _, err := ask(old, "before"); err != nil {
		t.Fatal(err)
	}
	p.Stall()
	if _, err := ask(old, "after"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection open at the stall answered: %v", err)
	}
	if got, err := ask(dial(t, p), "new"); got != "a:new\n" || err != nil {
		t.Fatalf("a connection opened after the stall: %q, %v", got, err)
	}
}

func TestResetFirstAndDelay(t *testing.T) {
	p := New(t, echo(t, "a"), Options{ResetFirst: 1, Delay: 200 * time.Millisecond})
	// The reset may come before the dial returns, or at the first read.
	if c, err := new(net.Dialer).DialContext(t.Context(), "tcp", p.Addr()); err == nil {
		if got, err := ask(c, "shed"); err == nil {
			t.Fatalf("the first connection was forwarded (%q), want it reset", got)
		}
		_ = c.Close()
	}
	start := time.Now()
	if got, err := ask(dial(t, p), "hi"); got != "a:hi\n" || err != nil {
		t.Fatalf("the second connection: %q, %v", got, err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Fatalf("answered after %v, want the delay first", took)
	}
	if n := p.Accepted(); n != 2 {
		t.Fatalf("Accepted = %d, want 2", n)
	}
}

func TestCloseEndsOpenConnections(t *testing.T) {
	p, err := Start(echo(t, "a"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	if _, err := ask(c, "hi"); err != nil {
		t.Fatal(err)
	}
	p.Stall() // a silent connection must not keep Close waiting
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Close waits for a stalled connection")
	}
	if _, err := ask(c, "after"); err == nil {
		t.Fatal("a connection answered after Close")
	}
}
