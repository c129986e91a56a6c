// Package sshdtest runs a real OpenSSH sshd for tests: on a loopback port,
// with its own host key and config, logging the current user in with the
// keys of one authorized_keys file. Without sshd a test prints a SKIP line
// and skips, except under CI=true, where it fails.
package sshdtest

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

// Server is an OpenSSH sshd started by a test on a loopback port with its
// own config and host key, logging in the current user as itself.
type Server struct {
	Port           int
	User           string
	HostKey        string // OpenSSH public line
	AuthorizedKeys string // absolute path sshd reads keys from
	// Log is what sshd wrote so far (raise LogLevel with an extra line to
	// see more than errors).
	Log *testutil.SyncBuffer
}

func findProgram(name string, fallbacks ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range fallbacks {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// skipOrFail skips with a SKIP line on stderr that no test runner hides,
// except under CI=true, where a test that cannot run fails.
func skipOrFail(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the real-sshd test cannot run: %s", reason)
	}
	fmt.Fprintf(os.Stderr, "SKIP: %s: %s\n", t.Name(), reason)
	t.Skip(reason)
}

// Start starts sshd with the test's config; an extra line replaces
// the default line of the same keyword (sshd keeps the first value of some
// keywords and the last of others, so they are never both given).
func Start(t *testing.T, initialKeys []byte, extra ...string) *Server {
	t.Helper()
	sshd := findProgram("sshd", "/usr/sbin/sshd", "/usr/local/sbin/sshd")
	keygen := findProgram("ssh-keygen", "/usr/bin/ssh-keygen")
	if sshd == "" || keygen == "" {
		skipOrFail(t, "OpenSSH sshd/ssh-keygen not found: install openssh-server (Debian/Ubuntu: apt-get install -y openssh-server) to run the real-sshd integration test")
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		ensurePrivsepDir(t)
	}

	dir := t.TempDir()
	hostKeyFile := filepath.Join(dir, "ssh_host_ed25519_key")
	if out, err := exec.CommandContext(t.Context(), keygen, "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", hostKeyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	hostPub, err := os.ReadFile(hostKeyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	authorizedKeys := filepath.Join(home, ".ssh", "authorized_keys")
	if err := os.MkdirAll(filepath.Dir(authorizedKeys), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(authorizedKeys, initialKeys, 0o600); err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	config := filepath.Join(dir, "sshd_config")
	cfg := strings.Join(withOverrides([]string{
		fmt.Sprintf("Port %d", port),
		"ListenAddress 127.0.0.1",
		"HostKey " + hostKeyFile,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + authorizedKeys,
		"StrictModes no",
		"UsePAM no",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"Subsystem sftp internal-sftp",
		"MaxStartups 100",
		"LogLevel ERROR",
	}, extra), "\n") + "\n"
	if err := os.WriteFile(config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(t.Context(), sshd, "-t", "-f", config).CombinedOutput(); err != nil {
		t.Fatalf("sshd rejects the test config: %v\n%s", err, out)
	}

	log := &testutil.SyncBuffer{}
	cmd := exec.CommandContext(t.Context(), sshd, "-D", "-e", "-f", config)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sshd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		exitErr := <-exited
		if t.Failed() {
			t.Logf("sshd (%v) log:\n%s", exitErr, log.String())
		}
	})
	waitListening(t, port, exited, log)
	return &Server{Port: port, User: me.Username, HostKey: strings.TrimSpace(string(hostPub)), AuthorizedKeys: authorizedKeys, Log: log}
}

// withOverrides is lines with each keyword that extra sets replaced by extra's line.
func withOverrides(lines, extra []string) []string {
	set := map[string]bool{}
	for _, l := range extra {
		set[strings.ToLower(strings.Fields(l)[0])] = true
	}
	var out []string
	for _, l := range lines {
		if !set[strings.ToLower(strings.Fields(l)[0])] {
			out = append(out, l)
		}
	}
	return append(out, extra...)
}

// ensurePrivsepDir creates /run/sshd, which sshd requires when started as
// root (the Debian service creates it at boot). It is left in place: tests
// of other packages run their own sshd at the same time, and removing the
// directory under them makes every new connection fail.
func ensurePrivsepDir(t *testing.T) {
	const dir = "/run/sshd"
	if _, err := os.Stat(dir); err == nil {
		return
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if !os.IsExist(err) {
			skipOrFail(t, fmt.Sprintf("sshd needs %s when run as root and it cannot be created: %v", dir, err))
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return int(netip.MustParseAddrPort(l.Addr().String()).Port())
}

func waitListening(t *testing.T, port int, exited <-chan error, log *testutil.SyncBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("sshd exited: %v\n%s", err, log.String())
		default:
		}
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		c, err := d.DialContext(t.Context(), "tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sshd did not listen on port %d within 10s\n%s", port, log.String())
}
