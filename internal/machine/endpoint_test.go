package machine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// endpoint completes a test's target the way the provider would (user
// root, .ssh/authorized_keys, a 5 s timeout) and adds trust and credentials.
func endpoint(t Target, hk HostKeyPolicy, c Credentials) Endpoint {
	if t.User == "" {
		t.User = "root"
	}
	if t.AuthorizedKeysPath == "" {
		t.AuthorizedKeysPath = ".ssh/authorized_keys"
	}
	if t.Timeout == 0 {
		t.Timeout = 5 * time.Second
	}
	return Endpoint{Target: t, HostKey: hk, Auth: c}
}

// The *Once helpers run one operation over a pool of its own, closed right
// after: a fresh login and a fresh read, as a separate run would make.

func addKeyOnce(ctx context.Context, ep Endpoint, l Line) (AddResult, error) {
	p := new(Pool)
	defer p.Close()
	return p.AddKey(ctx, ep, l)
}

func replaceKeyOnce(ctx context.Context, ep Endpoint, old Line, text string) (ReplaceResult, error) {
	p := new(Pool)
	defer p.Close()
	return p.ReplaceKey(ctx, ep, old, text)
}

func removeKeyOnce(ctx context.Context, ep Endpoint, l Line) (RemoveResult, error) {
	p := new(Pool)
	defer p.Close()
	return p.RemoveKey(ctx, ep, l)
}

func findKeyOnce(ctx context.Context, ep Endpoint, pub ssh.PublicKey) (FindResult, error) {
	p := new(Pool)
	defer p.Close()
	return p.FindKey(ctx, ep, pub)
}

// An endpoint that leaves anything to guess is refused before any
// connection: this package applies no defaults of its own.
func TestIncompleteEndpointIsRefused(t *testing.T) {
	t.Parallel()
	full := Endpoint{
		Target: Target{Host: "127.0.0.1", Port: 1, User: "root", AuthorizedKeysPath: ".ssh/authorized_keys", Timeout: time.Second},
		Auth:   Credentials{Password: "x"},
	}
	jump := &Hop{Host: "127.0.0.1", Port: 1, User: "root", HostKey: HostKeyPolicy{HostKey: "ssh-ed25519 AAAA"}}
	for name, tc := range map[string]struct {
		change func(*Endpoint)
		want   string
	}{
		"no port":             {func(e *Endpoint) { e.Target.Port = 0 }, "no port"},
		"no user":             {func(e *Endpoint) { e.Target.User = "" }, "no user"},
		"no path":             {func(e *Endpoint) { e.Target.AuthorizedKeysPath = "" }, "no authorized_keys path"},
		"no timeout":          {func(e *Endpoint) { e.Target.Timeout = 0 }, "no timeout"},
		"jump without port":   {func(e *Endpoint) { j := *jump; j.Port = 0; e.Jump = &j }, "no jump port"},
		"jump without user":   {func(e *Endpoint) { j := *jump; j.User = ""; e.Jump = &j }, "no jump user"},
		"jump without trust":  {func(e *Endpoint) { j := *jump; j.HostKey = HostKeyPolicy{}; e.Jump = &j }, "never trusted on first use"},
		"jump only insecure":  {func(e *Endpoint) { j := *jump; j.HostKey = HostKeyPolicy{InsecureIgnore: true}; e.Jump = &j }, "never trusted on first use"},
		"jump with only pins": {func(e *Endpoint) { j := *jump; j.HostKey = HostKeyPolicy{Pinned: jump.HostKey.HostKey}; e.Jump = &j }, "never trusted on first use"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ep := full
			tc.change(&ep)
			pool := new(Pool)
			defer pool.Close()
			_, err := pool.FindKey(t.Context(), ep, newKey(t, "").pub)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
			var down *UnreachableError
			if errors.As(err, &down) {
				t.Fatalf("err = %v: an incomplete endpoint was dialled", err)
			}
		})
	}
}
