package machine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/packethost/terraform-provider-packet/internal/homedir"
)

// Credentials are what may be offered to log in. Every available one is
// offered, in the order of DESIGN.md §6: PrivateKeyPEM, the ssh-agent,
// PrivateKeyFile, then Password. None of them is ever logged or put in an error.
type Credentials struct {
	PrivateKeyPEM  []byte // private key content (provider-level, sensitive)
	PrivateKeyFile string // path of a private key file; "~/" is expanded
	Passphrase     []byte // for an encrypted PrivateKeyPEM / PrivateKeyFile
	UseAgent       bool   // offer the keys of the agent at SSH_AUTH_SOCK
	Password       string // e.g. the device's root password, read from the API just before use
}

// auth is the set of methods built from Credentials for one connection.
type auth struct {
	methods []ssh.AuthMethod
	tried   []string // names of what was offered, for AuthError
	skipped []string // what could not be used and why, for AuthError
	closers []func() error
}

func (a *auth) close() {
	for _, c := range a.closers {
		_ = c()
	}
}

// buildAuth turns credentials into auth methods. x/crypto tries each method
// name once, so all keys go into a single "publickey" method, in order.
func buildAuth(ctx context.Context, c Credentials) *auth {
	a := &auth{}
	var static []ssh.Signer
	var agentKeys func() ([]ssh.Signer, error)
	var fileSigner ssh.Signer

	if len(c.PrivateKeyPEM) > 0 {
		if s, err := parseSigner(c.PrivateKeyPEM, c.Passphrase); err != nil {
			a.skipped = append(a.skipped, "private_key: "+err.Error())
		} else {
			static = append(static, s)
			a.tried = append(a.tried, "private_key")
		}
	}
	if c.UseAgent {
		if sock := os.Getenv("SSH_AUTH_SOCK"); sock == "" {
			a.skipped = append(a.skipped, "ssh-agent: SSH_AUTH_SOCK is not set")
		} else if conn, err := new(net.Dialer).DialContext(ctx, "unix", sock); err != nil {
			a.skipped = append(a.skipped, fmt.Sprintf("ssh-agent: cannot connect to SSH_AUTH_SOCK: %v", err))
		} else {
			a.closers = append(a.closers, conn.Close)
			agentKeys = agent.NewClient(conn).Signers
			a.tried = append(a.tried, "ssh-agent")
		}
	}
	if c.PrivateKeyFile != "" {
		if s, err := signerFromFile(c.PrivateKeyFile, c.Passphrase); err != nil {
			a.skipped = append(a.skipped, fmt.Sprintf("private_key_file %s: %v", c.PrivateKeyFile, err))
		} else {
			fileSigner = s
			a.tried = append(a.tried, "private_key_file "+c.PrivateKeyFile)
		}
	}
	if len(static) > 0 || agentKeys != nil || fileSigner != nil {
		a.methods = append(a.methods, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			signers := append([]ssh.Signer(nil), static...)
			if agentKeys != nil {
				// An agent that stopped answering must not hide the key file.
				if keys, err := agentKeys(); err == nil {
					signers = append(signers, keys...)
				}
			}
			if fileSigner != nil {
				signers = append(signers, fileSigner)
			}
			return signers, nil
		}))
	}
	if c.Password != "" {
		password := c.Password
		a.methods = append(a.methods,
			ssh.Password(password),
			// Servers with PasswordAuthentication off often still ask for it this way.
			ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range questions {
					if !echos[i] {
						answers[i] = password
					}
				}
				return answers, nil
			}))
		a.tried = append(a.tried, "password")
	}
	return a
}

func signerFromFile(path string, passphrase []byte) (ssh.Signer, error) {
	p, err := homedir.Expand(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err // the path is already in the caller's message
		}
		return nil, err
	}
	return parseSigner(data, passphrase)
}

// parseSigner parses a private key. Its errors describe the problem, never the key.
func parseSigner(pemBytes, passphrase []byte) (ssh.Signer, error) {
	var (
		s   ssh.Signer
		err error
	)
	if len(passphrase) > 0 {
		s, err = ssh.ParsePrivateKeyWithPassphrase(pemBytes, passphrase)
	} else {
		s, err = ssh.ParsePrivateKey(pemBytes)
	}
	if err == nil {
		return s, nil
	}
	var missing *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &missing):
		return nil, errors.New("the private key is encrypted and no passphrase was given")
	case len(passphrase) > 0 && isDecryptionError(err):
		return nil, errors.New("cannot decrypt the private key: wrong passphrase?")
	default:
		return nil, errors.New("cannot parse the private key (expected an OpenSSH or PEM private key)")
	}
}

func isDecryptionError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "decrypt") || strings.Contains(msg, "password") || strings.Contains(msg, "passphrase")
}
