package machine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/packethost/terraform-provider-packet/internal/homedir"
)

// Credentials are what may be offered to log in. Every available one is
// offered, in this order: Keys, the ssh-agent, KeyFile, then Password. None
// of them is ever logged or put in an error.
type Credentials struct {
	Keys     []PrivateKey // private key contents, in the order to offer them
	KeyFile  string       // path of a private key file; "~/" is expanded
	UseAgent bool         // offer the keys of the ssh-agent at AgentSocket
	// AgentSocket is the ssh-agent's unix socket (the caller's SSH_AUTH_SOCK);
	// with UseAgent and no socket the agent is reported as not usable.
	AgentSocket string
	Password    string // e.g. the device's root password, read from the API just before use
}

// PrivateKey is one private key's content and the name errors call it by
// (the caller's name for where it came from, never the key itself).
type PrivateKey struct {
	Label string
	PEM   []byte
}

// Any reports whether there is anything to offer at all.
func (c Credentials) Any() bool {
	return len(c.Keys) > 0 || c.KeyFile != "" || c.UseAgent || c.Password != ""
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

	for _, k := range c.Keys {
		if s, err := parseSigner(k.PEM); err != nil {
			a.skipped = append(a.skipped, k.Label+": "+err.Error())
		} else {
			static = append(static, s)
			a.tried = append(a.tried, k.Label)
		}
	}
	if c.UseAgent {
		if c.AgentSocket == "" {
			a.skipped = append(a.skipped, "ssh-agent: no agent socket (SSH_AUTH_SOCK is not set)")
		} else if conn, err := new(net.Dialer).DialContext(ctx, "unix", c.AgentSocket); err != nil {
			a.skipped = append(a.skipped, fmt.Sprintf("ssh-agent: cannot connect to its socket: %v", err))
		} else {
			a.closers = append(a.closers, conn.Close)
			agentKeys = agent.NewClient(conn).Signers
			a.tried = append(a.tried, "ssh-agent")
		}
	}
	if c.KeyFile != "" {
		if s, err := signerFromFile(c.KeyFile); err != nil {
			a.skipped = append(a.skipped, fmt.Sprintf("private key file %s: %v", c.KeyFile, err))
		} else {
			fileSigner = s
			a.tried = append(a.tried, "private key file "+c.KeyFile)
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

func signerFromFile(path string) (ssh.Signer, error) {
	p, err := homedir.Expand(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p) //nolint:gosec // the key file the configuration names
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err // the path is already in the caller's message
		}
		return nil, err
	}
	return parseSigner(data)
}

// parseSigner parses an unencrypted private key. Its errors describe the
// problem, never the key.
func parseSigner(pemBytes []byte) (ssh.Signer, error) {
	s, err := ssh.ParsePrivateKey(pemBytes)
	if err == nil {
		return s, nil
	}
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, errors.New("the private key is encrypted; give an unencrypted key or load it into an ssh-agent")
	}
	return nil, errors.New("cannot parse the private key (expected an OpenSSH or PEM private key)")
}
