package tcpproxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// target is an HTTP server on a loopback port that answers with its name.
func target(t *testing.T, name string) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) }))
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
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

// ask sends a request over c and returns the answer, or the error after a second.
func ask(c net.Conn) (string, error) {
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: proxy\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func TestForwardsCountsAndSwitchesTarget(t *testing.T) {
	p := New(t, target(t, "a"), Options{})
	if got, err := ask(dial(t, p)); got != "a" || err != nil {
		t.Fatalf("through the proxy: %q, %v", got, err)
	}
	p.SetTarget(target(t, "b"))
	if got, err := ask(dial(t, p)); got != "b" || err != nil {
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
	p := New(t, target(t, "a"), Options{})
	old := dial(t, p)
	if _, err := ask(old); err != nil {
		t.Fatal(err)
	}
	p.Stall()
	if _, err := ask(old); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection open at the stall answered: %v", err)
	}
	if got, err := ask(dial(t, p)); got != "a" || err != nil {
		t.Fatalf("a connection opened after the stall: %q, %v", got, err)
	}
}

func TestResetFirstAndDelay(t *testing.T) {
	p := New(t, target(t, "a"), Options{ResetFirst: 1, Delay: 200 * time.Millisecond})
	// The reset may come before the dial returns, or at the first read.
	if c, err := new(net.Dialer).DialContext(t.Context(), "tcp", p.Addr()); err == nil {
		if got, err := ask(c); err == nil {
			t.Fatalf("the first connection was forwarded (%q), want it reset", got)
		}
		_ = c.Close()
	}
	start := time.Now()
	if got, err := ask(dial(t, p)); got != "a" || err != nil {
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
	p, err := Start(target(t, "a"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, p)
	if _, err := ask(c); err != nil {
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
	if _, err := ask(c); err == nil {
		t.Fatal("a connection answered after Close")
	}
}
