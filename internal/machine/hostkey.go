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

// HostKeyPolicy says how the machine's host key is verified. HostKey wins
// when set; otherwise KnownHostsFile is used. InsecureIgnore only matters
// when neither is given: it is the explicit opt-out of any check.
type HostKeyPolicy struct {
	HostKey        string // OpenSSH public line of the expected host key (a known_hosts line is accepted too)
	KnownHostsFile string // a known_hosts file; "~/" is expanded
	InsecureIgnore bool   // accept any host key
}

// hostKeyCheck is the verification of one connection: the callback for
// x/crypto/ssh, the algorithms to ask for, and the last failure it saw.
type hostKeyCheck struct {
	callback   ssh.HostKeyCallback
	algorithms []string // nil → library default

	mu      sync.Mutex // the callback runs on x/crypto's key-exchange goroutine
	failure error      // typed error from the callback, kept for the caller
	passed  bool       // the host key was accepted (so later errors are about login)
}

// outcome is what the callback saw: its error, and whether a key was accepted.
func (c *hostKeyCheck) outcome() (failure error, passed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failure, c.passed
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
		verify = func(_ string, _ net.Addr, got ssh.PublicKey) error {
			if bytes.Equal(got.Marshal(), want.Marshal()) {
				return nil
			}
			return &HostKeyMismatchError{Addr: addr, Expected: []string{ssh.FingerprintSHA256(want)},
				Got: ssh.FingerprintSHA256(got), GotType: got.Type(), Source: "host_key"}
		}
		check.algorithms = algorithmsFor(want.Type())
	case p.KnownHostsFile != "":
		file, err := homedir.Expand(p.KnownHostsFile)
		if err != nil {
			return nil, &HostKeyPolicyError{Reason: fmt.Sprintf("known_hosts_file %s: %v", p.KnownHostsFile, err)}
		}
		kh, err := knownhosts.New(file)
		if err != nil {
			return nil, &HostKeyPolicyError{Reason: fmt.Sprintf("cannot read known_hosts_file: %v", err)}
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
			mismatch := &HostKeyMismatchError{Addr: addr, Got: ssh.FingerprintSHA256(got), GotType: got.Type(), Source: file}
			for _, k := range keyErr.Want {
				mismatch.Expected = append(mismatch.Expected, ssh.FingerprintSHA256(k.Key))
			}
			return mismatch
		}
		check.algorithms = knownAlgorithms(kh, addr)
	case p.InsecureIgnore:
		verify = ssh.InsecureIgnoreHostKey()
	default:
		return nil, &HostKeyPolicyError{Reason: fmt.Sprintf("no way to verify the host key of %s: "+
			"set connection.host_key, known_hosts_file, or insecure_ignore_host_key = true", addr)}
	}
	check.callback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := verify(hostname, remote, key)
		check.mu.Lock()
		defer check.mu.Unlock()
		if err != nil {
			check.failure = err
			return err
		}
		check.passed = true
		return nil
	}
	return check, nil
}

// parseHostKey reads an OpenSSH public key line, or a known_hosts line.
func parseHostKey(s string) (ssh.PublicKey, error) {
	if key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s)); err == nil {
		return key, nil
	}
	if _, _, key, _, _, err := ssh.ParseKnownHosts([]byte(s)); err == nil {
		return key, nil
	}
	return nil, &HostKeyPolicyError{Reason: "host_key is not an OpenSSH public key line (expected e.g. \"ssh-ed25519 AAAA...\")"}
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
