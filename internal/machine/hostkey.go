package machine

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/packethost/terraform-provider-packet/internal/homedir"
)

// HostKeyPolicy says how the machine's host key is verified, strictest
// first: HostKey, then KnownHostsFile, then InsecureIgnore (no check at all),
// then Pinned. With none of them the first key seen is accepted and reported
// (trust on first use, like OpenSSH's StrictHostKeyChecking=accept-new); the
// caller keeps it and passes it as Pinned from then on.
type HostKeyPolicy struct {
	HostKey        string // OpenSSH public line of the expected host key (a known_hosts line is accepted too)
	KnownHostsFile string // a known_hosts file; "~/" is expanded
	InsecureIgnore bool   // accept any host key
	Pinned         string // OpenSSH public line of the key seen at the first connection
}

// HostKeyUse is how the host key of a connection was trusted.
type HostKeyUse int

const (
	// HostKeyVerified: it matched HostKey, KnownHostsFile or Pinned.
	HostKeyVerified HostKeyUse = iota
	// HostKeyFirstUse: nothing was known, so it was accepted and must be pinned.
	HostKeyFirstUse
	// HostKeyUnchecked: InsecureIgnore.
	HostKeyUnchecked
)

// Outcome tells the caller what it needs to remember about a connection.
type Outcome struct {
	HostKey string // OpenSSH public line of the host key the machine presented
	Use     HostKeyUse
}

// hostKeyCheck is the verification of one connection: the callback for
// x/crypto/ssh, the algorithms to ask for, and what it saw.
type hostKeyCheck struct {
	callback   ssh.HostKeyCallback
	algorithms []string // nil → library default
	use        HostKeyUse

	mu      sync.Mutex    // the callback runs on x/crypto's key-exchange goroutine
	failure error         // typed error from the callback, kept for the caller
	seen    ssh.PublicKey // the host key accepted (so later errors are about login)
}

// outcome is what the callback saw: the key accepted if any, and its error.
func (c *hostKeyCheck) outcome() (seen ssh.PublicKey, failure error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen, c.failure
}

// newHostKeyCheck prepares verification for addr under policy p.
func newHostKeyCheck(p HostKeyPolicy, addr string) (*hostKeyCheck, error) {
	check := &hostKeyCheck{}
	var verify ssh.HostKeyCallback
	switch {
	case strings.TrimSpace(p.HostKey) != "":
		want, err := parseHostKey(p.HostKey)
		if err != nil {
			return nil, err
		}
		verify = expectKey(want, addr, SourceGiven)
		check.algorithms = algorithmsFor(want.Type())
	case p.KnownHostsFile != "":
		file, err := homedir.Expand(p.KnownHostsFile)
		if err != nil {
			return nil, &HostKeyPolicyError{Reason: fmt.Sprintf("known_hosts file %s: %v", p.KnownHostsFile, err)}
		}
		kh, err := knownhosts.New(file)
		if err != nil {
			return nil, &HostKeyPolicyError{Reason: fmt.Sprintf("cannot read the known_hosts file: %v", err)}
		}
		verify = func(hostname string, remote net.Addr, got ssh.PublicKey) error {
			err := kh(hostname, remote, got)
			var keyErr *knownhosts.KeyError
			if !errors.As(err, &keyErr) {
				return err
			}
			if len(keyErr.Want) == 0 {
				return &UnknownHostError{Addr: addr, KnownHostsFile: file, Got: ssh.FingerprintSHA256(got), GotType: got.Type()}
			}
			mismatch := &HostKeyMismatchError{Addr: addr, Got: ssh.FingerprintSHA256(got), GotType: got.Type(),
				Source: SourceKnownHosts, KnownHostsFile: file}
			for _, k := range keyErr.Want {
				mismatch.Expected = append(mismatch.Expected, ssh.FingerprintSHA256(k.Key))
			}
			return mismatch
		}
		check.algorithms = knownAlgorithms(kh, addr)
	case p.InsecureIgnore:
		verify = ssh.InsecureIgnoreHostKey() //nolint:gosec // the caller asked for it explicitly and warns
		check.use = HostKeyUnchecked
	case strings.TrimSpace(p.Pinned) != "":
		want, err := parseHostKey(p.Pinned)
		if err != nil {
			return nil, err
		}
		verify = expectKey(want, addr, SourcePinned)
		check.algorithms = algorithmsFor(want.Type())
	default:
		verify = func(string, net.Addr, ssh.PublicKey) error { return nil }
		check.use = HostKeyFirstUse
	}
	check.callback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := verify(hostname, remote, key)
		check.mu.Lock()
		defer check.mu.Unlock()
		if err != nil {
			check.failure = err
			return err
		}
		check.seen = key
		return nil
	}
	return check, nil
}

// expectKey accepts exactly want.
func expectKey(want ssh.PublicKey, addr string, source HostKeySource) ssh.HostKeyCallback {
	return func(_ string, _ net.Addr, got ssh.PublicKey) error {
		if bytes.Equal(got.Marshal(), want.Marshal()) {
			return nil
		}
		return &HostKeyMismatchError{Addr: addr, Expected: []string{ssh.FingerprintSHA256(want)},
			Got: ssh.FingerprintSHA256(got), GotType: got.Type(), Source: source}
	}
}

// HostKeyLine is the OpenSSH public line of a host key, without comment.
func HostKeyLine(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// HostKeyFingerprint is the SHA256 fingerprint of an OpenSSH public line, or "".
func HostKeyFingerprint(line string) string {
	k, err := parseHostKey(line)
	if err != nil {
		return ""
	}
	return ssh.FingerprintSHA256(k)
}

// parseHostKey reads an OpenSSH public key line, or a known_hosts line.
func parseHostKey(s string) (ssh.PublicKey, error) {
	if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err == nil {
		return key, nil
	}
	if _, _, key, _, _, err := ssh.ParseKnownHosts([]byte(s)); err == nil {
		return key, nil
	}
	return nil, &HostKeyPolicyError{Reason: "the host key is not an OpenSSH public key line (expected e.g. \"ssh-ed25519 AAAA...\")"}
}

// algorithmsFor lists the host key algorithms that make a server present a
// key of this type, so a machine with several host keys shows the one we know.
func algorithmsFor(keyType string) []string {
	switch keyType {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	case ssh.CertAlgoRSAv01:
		return []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01}
	default:
		return []string{keyType}
	}
}

// knownAlgorithms asks the known_hosts callback which keys it holds for
// addr (by offering a key it cannot know) and returns their algorithms.
func knownAlgorithms(kh ssh.HostKeyCallback, addr string) []string {
	tcpAddr, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return nil
	}
	err = kh(addr, tcpAddr, probeKey{})
	var keyErr *knownhosts.KeyError
	if !errors.As(err, &keyErr) || len(keyErr.Want) == 0 {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	for _, k := range keyErr.Want {
		for _, a := range algorithmsFor(k.Key.Type()) {
			if !seen[a] {
				seen[a] = true
				algos = append(algos, a)
			}
		}
	}
	return algos
}

// probeKey is a public key no known_hosts file can contain.
type probeKey struct{}

func (probeKey) Type() string                        { return "packet-probe" }
func (probeKey) Marshal() []byte                     { return []byte("\x00\x00\x00\x0cpacket-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error { return errors.New("probe key") }
