package machine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// DialTimeout is the connect and handshake timeout callers give Target.Timeout
// unless they have a reason to choose another (MinOperationTimeout assumes it).
const DialTimeout = 30 * time.Second

// Endpoint is one login, complete (in the manner of x/crypto's
// ssh.ClientConfig): which machine and file, whom to trust, what to offer,
// and the jump host in front of it, if any. The caller decides every
// default; this package only refuses an incomplete value.
type Endpoint struct {
	Target  Target
	HostKey HostKeyPolicy
	Auth    Credentials
	Jump    *Hop // nil: connect directly
}

// Target is the machine and file to edit.
type Target struct {
	Host               string
	Port               int
	User               string
	AuthorizedKeysPath string        // relative paths are relative to the user's home
	Timeout            time.Duration // for the TCP connect and the SSH handshake each (per hop); the whole operation is bounded by ctx
}

// Hop is a jump host (OpenSSH's ProxyJump): the connection to the target is
// forwarded through a login to it. Its host key must be known (HostKey or
// KnownHostsFile): a hop is never trusted on first use. Its credentials are
// offered to it alone, never to the target, and the target's never to it.
type Hop struct {
	Host    string
	Port    int
	User    string
	HostKey HostKeyPolicy
	Auth    Credentials
}

func (t Target) addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

func (h *Hop) addr() string { return net.JoinHostPort(h.Host, strconv.Itoa(h.Port)) }

// Addr names the target as Pins know it: host:port, followed by
// " via <jump host:port>" when it is reached through a jump host (the same
// address behind two jump hosts may be two machines).
func (e Endpoint) Addr() string {
	if e.Jump == nil {
		return e.Target.addr()
	}
	return e.Target.addr() + " via " + e.Jump.addr()
}

// errIncomplete: the caller left out something this package does not guess.
var errIncomplete = errors.New("incomplete endpoint")

// check refuses an endpoint that leaves anything to guess. A missing host is
// the user's to fix and is reported as unreachable, as before.
func (e Endpoint) check() error {
	t := e.Target
	if t.Host == "" {
		return &UnreachableError{Addr: t.addr(), Err: errors.New("no host given")}
	}
	var missing []string
	if t.Port <= 0 || t.Port > 65535 {
		missing = append(missing, "port")
	}
	if t.User == "" {
		missing = append(missing, "user")
	}
	if t.AuthorizedKeysPath == "" {
		missing = append(missing, "authorized_keys path")
	}
	if t.Timeout <= 0 {
		missing = append(missing, "timeout")
	}
	if j := e.Jump; j != nil {
		if j.Host == "" {
			missing = append(missing, "jump host")
		}
		if j.Port <= 0 || j.Port > 65535 {
			missing = append(missing, "jump port")
		}
		if j.User == "" {
			missing = append(missing, "jump user")
		}
		if strings.TrimSpace(j.HostKey.HostKey) == "" && j.HostKey.KnownHostsFile == "" {
			return &JumpError{Addr: j.addr(), Err: &HostKeyPolicyError{
				Reason: "a jump host's key must be given (host_key or known_hosts_file); it is never trusted on first use"}}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: no %s", errIncomplete, strings.Join(missing, ", "))
	}
	return nil
}

// connKey tells apart everything that decides who a connection logs in as,
// which machine it trusts and which way it goes. Secrets go in only
// through a hash.
func connKey(e Endpoint) string {
	h := sha256.New()
	field := func(s string) {
		_ = binary.Write(h, binary.BigEndian, uint64(len(s)))
		h.Write([]byte(s))
	}
	login := func(addr, user string, hk HostKeyPolicy, c Credentials) {
		field(addr)
		field(user)
		field(hk.HostKey)
		field(hk.KnownHostsFile)
		field(strconv.FormatBool(hk.InsecureIgnore))
		field(hk.Pinned)
		field(strconv.Itoa(len(c.Keys)))
		for _, k := range c.Keys {
			field(string(k.PEM))
		}
		field(c.KeyFile)
		field(strconv.FormatBool(c.UseAgent))
		field(c.AgentSocket)
		field(c.Password)
	}
	login(e.Target.addr(), e.Target.User, e.HostKey, e.Auth)
	if j := e.Jump; j != nil {
		field("via")
		login(j.addr(), j.User, j.HostKey, j.Auth)
	}
	return hex.EncodeToString(h.Sum(nil))
}
