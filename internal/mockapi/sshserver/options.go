package sshserver

import (
	"net"
	"net/netip"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
)

// Keys of ssh.Permissions.Extensions that carry what the authorizing
// authorized_keys line imposes on the connection's sessions.
const (
	extForceCommand = "packet-mock-force-command"
	extNoPTY        = "packet-mock-no-pty"
)

// checkPublicKey re-reads authorized_keys at every attempt and logs in with
// the first line of the key whose options allow it, like sshd: from= is
// checked against the client's address, expiry-time against Config.Clock.
func (s *Server) checkPublicKey(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	if meta.User() != rootUser {
		return nil, errDenied
	}
	data, err := s.AuthorizedKeys()
	if err != nil {
		return nil, errDenied
	}
	addr := clientAddr(meta.RemoteAddr())
	for _, l := range authorizedkeys.Parse(data).KeyLines(key) {
		g, err := l.Authorize(addr, s.now(), time.Local)
		if err != nil {
			continue
		}
		perms := &ssh.Permissions{Extensions: map[string]string{}}
		if g.Command != "" {
			perms.Extensions[extForceCommand] = g.Command
		}
		if g.NoPTY {
			perms.Extensions[extNoPTY] = ""
		}
		return perms, nil
	}
	return nil, errDenied
}

func (s *Server) now() time.Time {
	if s.cfg.Clock != nil {
		return s.cfg.Clock()
	}
	return time.Now()
}

// clientAddr is the client's IP; loopback clients come from 127.0.0.1.
func clientAddr(a net.Addr) netip.Addr {
	if tcp, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(tcp.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.Addr{}
}

// sessionRules is what the login's line allows its sessions.
type sessionRules struct {
	forceCommand string // runs instead of any command, shell or subsystem
	noPTY        bool
}

func rulesOf(p *ssh.Permissions) sessionRules {
	if p == nil { // password login: no authorized_keys line applies
		return sessionRules{}
	}
	_, noPTY := p.Extensions[extNoPTY]
	return sessionRules{forceCommand: p.Extensions[extForceCommand], noPTY: noPTY}
}
