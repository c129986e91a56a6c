package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// publicKeys returns n distinct ed25519 public keys as OpenSSH lines with a
// "bench-<i>" comment. The private halves are dropped at once.
func publicKeys(n int) ([]string, error) {
	keys := make([]string, 0, n)
	seen := make(map[string]bool, n)
	for len(keys) < n {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generating key: %w", err)
		}
		sshPub, err := ssh.NewPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("encoding key: %w", err)
		}
		line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
		if seen[line] {
			continue // the mock refuses a key twice in one project
		}
		seen[line] = true
		keys = append(keys, fmt.Sprintf("%s bench-%d", line, len(keys)))
	}
	return keys, nil
}
