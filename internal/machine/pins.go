package machine

import (
	"bytes"
	"fmt"
	"sync"
)

// Pins is what one process knows of the host keys of the addresses it
// connects to: the key any caller had pinned, was given, or saw verified.
// Callers that reach the same address share it, so a new caller with no
// pin of its own checks what another already pinned instead of trusting
// whatever answers, and two different keys for one address are an error.
// The zero value is ready to use.
type Pins struct {
	mu   sync.Mutex
	keys map[string]string // address (host:port) → OpenSSH public line
}

// For returns the host key known for addr, or "".
func (p *Pins) For(addr string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[addr]
}

// Remember records key for addr. A different key already known for addr
// is a *PinConflictError naming both (nothing is recorded then).
func (p *Pins) Remember(addr, key string) error {
	if key == "" {
		return nil
	}
	got, err := parseHostKey(key)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	known, ok := p.keys[addr]
	if !ok {
		p.keys[addr] = key
		return nil
	}
	want, err := parseHostKey(known)
	if err != nil || bytes.Equal(want.Marshal(), got.Marshal()) {
		return nil
	}
	return &PinConflictError{Addr: addr, Known: HostKeyFingerprint(known), Other: HostKeyFingerprint(key)}
}

// PinConflictError: two host keys are held for one address in one run
// (two states' pins, or a pin and a given key): at most one is the
// machine's.
type PinConflictError struct {
	Addr         string
	Known, Other string // SHA256 fingerprints
}

func (e *PinConflictError) Error() string {
	return fmt.Sprintf("two different host keys are held for %s in this run: %s and %s; at most one of them is the "+
		"machine's. Check its host key out of band (its console prints the fingerprints at boot) and give it as "+
		"ssh.host_key where the other one is pinned", e.Addr, e.Known, e.Other)
}
