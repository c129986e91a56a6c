// Package sshserver simulates a freshly provisioned device: an SSH server on
// loopback with an SFTP subsystem over a private temp directory that plays
// the machine's "/". Only root exists; it logs in with the root password or
// with a key in the current /root/.ssh/authorized_keys, re-read at each
// attempt exactly as sshd does, so keys added over SFTP work at once. The
// key's line is honoured as sshd honours it, as far as a client can see:
// from= (against the client's address), expiry-time, command= (forced on
// exec, shell and subsystem alike), no-pty, restrict and pty, and a line
// with options sshd would not read is skipped (options.go).
package sshserver

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

const (
	rootUser           = "root"
	rootHome           = "/root"
	authorizedKeysPath = rootHome + "/.ssh/authorized_keys"
	handshakeTimeout   = 10 * time.Second
)

// Config describes one simulated device.
type Config struct {
	Listen         string     // default "127.0.0.1:0"
	HostKey        ssh.Signer // nil → a new ed25519 key
	RootPassword   string     // accepted for root; empty disables password login
	AuthorizedKeys []byte     // initial /root/.ssh/authorized_keys (nil → no .ssh dir, as on an image without keys)
	// Clock judges authorized_keys expiry-time options (nil → time.Now);
	// values without Z are in the local zone, as sshd reads them.
	Clock func() time.Time
}

// Faults are failures injected for reliability tests. The zero value injects nothing.
type Faults struct {
	// DropAfterWriteBytes > 0 drops a connection once that many bytes were
	// written to files over it (the write that crosses the limit is cut short).
	DropAfterWriteBytes int
	// FailRename makes every rename fail.
	FailRename bool
	// DelayRenameReply holds the reply to a rename onto an authorized_keys
	// file for this long after the file was replaced.
	DelayRenameReply time.Duration
	// DenyWrite answers "permission denied" to every open for writing.
	DenyWrite bool
}

// Server is a running simulated device.
type Server struct {
	cfg      Config
	signer   ssh.Signer
	listener net.Listener
	dir      string // temp directory acting as "/"
	root     *os.Root

	mu     sync.Mutex
	faults Faults
	conns  map[net.Conn]struct{}
	closed bool
	stats  Stats

	wg sync.WaitGroup
}

// Start creates the filesystem, then listens and serves until Close.
func Start(cfg Config) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	signer := cfg.HostKey
	if signer == nil {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate host key: %w", err)
		}
		if signer, err = ssh.NewSignerFromKey(priv); err != nil {
			return nil, fmt.Errorf("host key: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "packet-mock-device-")
	if err != nil {
		return nil, fmt.Errorf("device filesystem: %w", err)
	}
	s := &Server{cfg: cfg, signer: signer, dir: dir, conns: map[net.Conn]struct{}{}}
	if err := s.initFilesystem(); err != nil {
		s.removeFilesystem()
		return nil, err
	}
	if s.listener, err = new(net.ListenConfig).Listen(context.Background(), "tcp", cfg.Listen); err != nil {
		s.removeFilesystem()
		return nil, fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *Server) initFilesystem() error {
	var err error
	if s.root, err = os.OpenRoot(s.dir); err != nil {
		return fmt.Errorf("device filesystem: %w", err)
	}
	if err := s.root.Mkdir("root", 0o700); err != nil {
		return fmt.Errorf("device filesystem: %w", err)
	}
	if s.cfg.AuthorizedKeys != nil {
		return s.SetAuthorizedKeys(s.cfg.AuthorizedKeys)
	}
	return nil
}

func (s *Server) removeFilesystem() {
	if s.root != nil {
		_ = s.root.Close()
	}
	_ = os.RemoveAll(s.dir)
}

// Host is the address the server listens on (always an IP).
func (s *Server) Host() string {
	return netip.MustParseAddrPort(s.listener.Addr().String()).Addr().String()
}

// Port is the TCP port the server listens on.
func (s *Server) Port() int { return int(netip.MustParseAddrPort(s.listener.Addr().String()).Port()) }

// Addr is host:port, ready for ssh.Dial.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// HostKey is the public host key as one OpenSSH line, without comment.
func (s *Server) HostKey() string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.signer.PublicKey())))
}

// HostPublicKey is the public host key.
func (s *Server) HostPublicKey() ssh.PublicKey { return s.signer.PublicKey() }

// AuthorizedKeys returns root's authorized_keys as it is now.
func (s *Server) AuthorizedKeys() ([]byte, error) { return s.ReadFile(authorizedKeysPath) }

// SetAuthorizedKeys replaces root's authorized_keys (0600, dir 0700), as cloud-init does.
func (s *Server) SetAuthorizedKeys(data []byte) error {
	if err := s.root.MkdirAll("root/.ssh", 0o700); err != nil {
		return fmt.Errorf("create /root/.ssh: %w", err)
	}
	if err := s.root.WriteFile(localName(authorizedKeysPath), data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", authorizedKeysPath, err)
	}
	return s.root.Chmod(localName(authorizedKeysPath), 0o600)
}

// ReadFile reads any file of the machine by its absolute path there.
func (s *Server) ReadFile(path string) ([]byte, error) {
	return s.root.ReadFile(localName(path))
}

// Stat describes any file of the machine by its absolute path there.
func (s *Server) Stat(path string) (fs.FileInfo, error) {
	return s.root.Stat(localName(path))
}

// WriteFile writes any file of the machine (parents must exist), with mode perm.
func (s *Server) WriteFile(path string, data []byte, perm fs.FileMode) error {
	if err := s.root.WriteFile(localName(path), data, perm); err != nil {
		return err
	}
	return s.root.Chmod(localName(path), perm)
}

// MkdirAll creates a directory of the machine and its parents.
func (s *Server) MkdirAll(path string, perm fs.FileMode) error {
	return s.root.MkdirAll(localName(path), perm)
}

// Chmod changes the mode of any file of the machine.
func (s *Server) Chmod(path string, perm fs.FileMode) error {
	return s.root.Chmod(localName(path), perm)
}

// Symlink makes link point at target (relative to link's directory, or
// absolute on the machine), as an admin's "ln -s" would.
func (s *Server) Symlink(target, link string) error {
	return s.root.Symlink(target, localName(link))
}

// Lstat describes a path of the machine without following a final symlink.
func (s *Server) Lstat(path string) (fs.FileInfo, error) {
	return s.root.Lstat(localName(path))
}

// ReadDir lists the names in a directory of the machine.
func (s *Server) ReadDir(path string) ([]string, error) {
	f, err := s.root.Open(localName(path))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// SetFaults replaces the injected faults; connections already open see the change.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

func (s *Server) currentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// Stats counts what clients did, for tests that assert how much a caller costs.
type Stats struct {
	Connections int // TCP connections accepted
	Logins      int // SSH handshakes that logged in
	FileReads   int // files opened for reading over SFTP
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// Close stops listening, drops every connection, waits for all goroutines
// and removes the machine's filesystem.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.listener.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.removeFilesystem()
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		if !s.track(c) {
			_ = c.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(c)
			s.serveConn(c)
		}()
	}
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.stats.Connections++
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrack(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	_ = c.Close()
}

func (s *Server) sshConfig() *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: s.checkPublicKey,
		ServerVersion:     "SSH-2.0-packet-mock-device",
	}
	if s.cfg.RootPassword != "" {
		cfg.PasswordCallback = s.checkPassword
	}
	cfg.AddHostKey(s.signer)
	return cfg
}

var errDenied = errors.New("access denied")

func (s *Server) checkPassword(meta ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	ok := subtle.ConstantTimeCompare(password, []byte(s.cfg.RootPassword)) == 1
	if meta.User() != rootUser || !ok {
		return nil, errDenied
	}
	return nil, nil
}

func (s *Server) serveConn(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	sconn, chans, reqs, err := ssh.NewServerConn(c, s.sshConfig())
	if err != nil {
		return
	}
	_ = c.SetDeadline(time.Time{})
	s.count(func(st *Stats) { st.Logins++ })
	defer sconn.Close()
	go ssh.DiscardRequests(reqs)

	var sessions sync.WaitGroup
	defer sessions.Wait()
	conn := &deviceConn{server: s, netConn: c, rules: rulesOf(sconn.Permissions)}
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only session channels")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			continue
		}
		sessions.Add(1)
		go func() {
			defer sessions.Done()
			conn.serveSession(ch, chReqs)
		}()
	}
}

// deviceConn is the state one SSH connection shares across its sessions.
type deviceConn struct {
	server  *Server
	netConn net.Conn
	rules   sessionRules

	mu      sync.Mutex
	written int // bytes written to files, for DropAfterWriteBytes
}

// allowWrite returns how many of n bytes may still be written before the
// injected drop, and whether the connection must be dropped after them.
func (d *deviceConn) allowWrite(n int) (allowed int, drop bool) {
	limit := d.server.currentFaults().DropAfterWriteBytes
	d.mu.Lock()
	defer d.mu.Unlock()
	if limit <= 0 {
		return n, false
	}
	allowed = min(n, max(limit-d.written, 0))
	d.written += allowed
	return allowed, allowed < n
}

func (d *deviceConn) drop() { _ = d.netConn.Close() }

func (d *deviceConn) serveSession(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "exec", "shell", "subsystem":
			// A forced command runs instead of whatever was asked, as in sshd.
			if d.rules.forceCommand != "" {
				d.run(ch, req, d.rules.forceCommand)
				return
			}
			if req.Type == "exec" {
				d.run(ch, req, subsystemName(req.Payload))
				return
			}
			if req.Type == "shell" || subsystemName(req.Payload) != "sftp" {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			d.serveSFTP(ch)
			return
		case "pty-req":
			_ = req.Reply(!d.rules.noPTY, nil)
		case "env":
			_ = req.Reply(true, nil)
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// run answers a request with the output and exit status of cmd.
func (d *deviceConn) run(ch ssh.Channel, req *ssh.Request, cmd string) {
	status, out := runCommand(cmd)
	_ = req.Reply(true, nil)
	_, _ = io.WriteString(ch, out)
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{status}))
}

func (d *deviceConn) serveSFTP(ch ssh.Channel) {
	h := &fsHandler{root: d.server.root, conn: d}
	handlers := sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h}
	srv := sftp.NewRequestServer(ch, handlers, sftp.WithStartDirectory(rootHome))
	_ = srv.Serve()
	_ = srv.Close()
}

// subsystemName decodes the single string payload of "subsystem" and "exec".
func subsystemName(payload []byte) string {
	var p struct{ Value string }
	if ssh.Unmarshal(payload, &p) != nil {
		return ""
	}
	return p.Value
}

// runCommand answers the few commands a provisioning check might send.
func runCommand(cmd string) (uint32, string) {
	fields := strings.Fields(cmd)
	switch {
	case len(fields) == 0:
		return 127, ""
	case fields[0] == "true":
		return 0, ""
	case fields[0] == "echo":
		return 0, strings.Join(fields[1:], " ") + "\n"
	case fields[0] == "whoami":
		return 0, rootUser + "\n"
	default:
		return 127, fields[0] + ": command not found\n"
	}
}
