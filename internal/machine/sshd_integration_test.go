package machine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// realSSHD is an OpenSSH server started by a test on a loopback port with
// its own config and host key, logging in the current user as itself.
type realSSHD struct {
	port           int
	user           string
	hostKey        string // OpenSSH public line
	authorizedKeys string // absolute path sshd reads keys from
}

// lockedBuffer collects sshd's log for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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

// startRealSSHD starts sshd with the test's config; an extra line replaces
// the default line of the same keyword (sshd keeps the first value of some
// keywords and the last of others, so they are never both given).
func startRealSSHD(t *testing.T, initialKeys []byte, extra ...string) *realSSHD {
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

	log := &lockedBuffer{}
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
	return &realSSHD{port: port, user: me.Username, hostKey: strings.TrimSpace(string(hostPub)), authorizedKeys: authorizedKeys}
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
// root (the Debian service creates it at boot); it is removed afterwards if
// this test created it.
func ensurePrivsepDir(t *testing.T) {
	const dir = "/run/sshd"
	if _, err := os.Stat(dir); err == nil {
		return
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		skipOrFail(t, fmt.Sprintf("sshd needs %s when run as root and it cannot be created: %v", dir, err))
	}
	t.Cleanup(func() { _ = os.Remove(dir) })
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, port int, exited <-chan error, log *lockedBuffer) {
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

func TestAgainstRealOpenSSH(t *testing.T) {
	admin := newKey(t, "admin")
	initial := []byte("# managed by hand\n" + admin.line + "\n\ncommand=\"uptime, quietly\" " + newKey(t, "").line + " monitor\n")
	srv := startRealSSHD(t, initial)
	tgt := Target{Host: "127.0.0.1", Port: srv.port, User: srv.user, AuthorizedKeysPath: srv.authorizedKeys, Timeout: 10 * time.Second}
	trust := HostKeyPolicy{HostKey: srv.hostKey}
	creds := Credentials{Keys: keyOf(admin.pem)}
	t.Setenv("SSH_AUTH_SOCK", "")

	k := newKey(t, "attached")
	if canLogin(t, "127.0.0.1", srv.port, srv.user, k) {
		t.Fatal("key logs in before it was added")
	}
	changed, err := addKey(ctxT(t), tgt, trust, creds, k)
	if err != nil || !changed {
		t.Fatalf("AddKey = %v, %v", changed, err)
	}
	if !canLogin(t, "127.0.0.1", srv.port, srv.user, k) {
		t.Fatal("added key cannot log in to sshd")
	}
	got, _ := os.ReadFile(srv.authorizedKeys)
	if want := string(initial) + k.line + "\n"; string(got) != want {
		t.Fatalf("file after add:\n%q\nwant\n%q", got, want)
	}
	if fi, err := os.Stat(srv.authorizedKeys); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after add: %v %v", fi, err)
	}

	// known_hosts works against a real server too (non-22 port form).
	khFile := filepath.Join(t.TempDir(), "known_hosts")
	hostKey, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(srv.hostKey))
	line := knownhosts.Line([]string{fmt.Sprintf("[127.0.0.1]:%d", srv.port)}, hostKey)
	if err := os.WriteFile(khFile, []byte(line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if has, err := hasKey(ctxT(t), tgt, HostKeyPolicy{KnownHostsFile: khFile}, creds, k.pub); err != nil || !has {
		t.Fatalf("HasKey via known_hosts = %v, %v", has, err)
	}

	// A wrong expected host key is refused before anything is written.
	impostor := newKey(t, "")
	if _, err := removeKey(ctxT(t), tgt, HostKeyPolicy{HostKey: impostor.line}, creds, k); !errors.As(err, new(*HostKeyMismatchError)) {
		t.Fatalf("mismatch against sshd: %v", err)
	}

	removed, err := removeKey(ctxT(t), tgt, trust, creds, k)
	if err != nil || !removed {
		t.Fatalf("RemoveKey = %v, %v", removed, err)
	}
	if canLogin(t, "127.0.0.1", srv.port, srv.user, k) {
		t.Fatal("removed key still logs in to sshd")
	}
	if got, _ := os.ReadFile(srv.authorizedKeys); !bytes.Equal(got, initial) {
		t.Fatalf("file after remove:\n%q\nwant\n%q", got, initial)
	}
	entries, err := os.ReadDir(filepath.Dir(srv.authorizedKeys))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("files left next to authorized_keys: %v", entries)
	}
}

func TestAgainstRealOpenSSHParallelAndFreshDirectory(t *testing.T) {
	admin := newKey(t, "admin")
	srv := startRealSSHD(t, []byte(admin.line+"\n"))
	t.Setenv("SSH_AUTH_SOCK", "")
	creds := Credentials{Keys: keyOf(admin.pem)}
	trust := HostKeyPolicy{HostKey: srv.hostKey}

	// sshd keeps reading the admin key from its own file; the edits go to a
	// file in a directory that does not exist yet.
	target := filepath.Join(filepath.Dir(filepath.Dir(srv.authorizedKeys)), "fresh", ".ssh", "authorized_keys")
	tgt := Target{Host: "127.0.0.1", Port: srv.port, User: srv.user, AuthorizedKeysPath: target, Timeout: 10 * time.Second}

	keys := make([]testKey, 10)
	var wg sync.WaitGroup
	for i := range keys {
		keys[i] = newKey(t, fmt.Sprintf("k%d", i))
		k := keys[i]
		wg.Go(func() {
			if _, err := addKey(ctxT(t), tgt, trust, creds, k); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(got), "\n"); n != len(keys) {
		t.Fatalf("%d lines, want %d:\n%s", n, len(keys), got)
	}
	for _, k := range keys {
		if !strings.Contains(string(got), k.line+"\n") {
			t.Errorf("lost %s", k.line)
		}
	}
	for p, mode := range map[string]fs.FileMode{filepath.Dir(target): 0o700, filepath.Dir(filepath.Dir(target)): 0o700, target: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want %v", p, fi, err, mode)
		}
	}
}

// On a real sshd: a key already in the file (with other options and
// comment) is reported and left alone; attach and remove of two others
// leaves the file byte for byte as it was, CRLF endings, mode 0644 and a
// symlink included.
func TestAgainstRealOpenSSHOwnershipAndTheFileAsTheAdminLeftIt(t *testing.T) {
	admin, byHand := newKey(t, "admin"), newKey(t, "by-hand")
	platform := []byte("# written at provisioning\r\n" + admin.line + "\r\n" + `no-agent-forwarding,no-pty ` + byHand.line + " edited\r\n")
	srv := startRealSSHD(t, platform)
	t.Setenv("SSH_AUTH_SOCK", "")
	// The admin keeps the real file elsewhere and links it; sshd follows the link.
	real := filepath.Join(filepath.Dir(srv.authorizedKeys), "keys.real")
	if err := os.Rename(srv.authorizedKeys, real); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(real, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("keys.real", srv.authorizedKeys); err != nil {
		t.Fatal(err)
	}
	tgt := Target{Host: "127.0.0.1", Port: srv.port, User: srv.user, AuthorizedKeysPath: srv.authorizedKeys, Timeout: 10 * time.Second}
	trust := HostKeyPolicy{HostKey: srv.hostKey}
	creds := Credentials{Keys: keyOf(admin.pem)}

	res, err := AddKey(ctxT(t), tgt, trust, creds, byHand.line, byHand.pub)
	if err != nil || res.Added || !strings.Contains(res.Existing, "no-pty") {
		t.Fatalf("AddKey of a key already there = %+v, %v; want it reported, not written", res, err)
	}
	others := []testKey{newKey(t, "one"), newKey(t, "two")}
	for _, k := range others {
		if ok, err := addKey(ctxT(t), tgt, trust, creds, k); err != nil || !ok {
			t.Fatalf("AddKey = %v, %v", ok, err)
		}
		if !canLogin(t, "127.0.0.1", srv.port, srv.user, k) {
			t.Fatal("an added key cannot log in to sshd")
		}
	}
	got, _ := os.ReadFile(real)
	if want := string(platform) + others[0].line + "\r\n" + others[1].line + "\r\n"; string(got) != want {
		t.Fatalf("file after adds:\n%q\nwant\n%q", got, want)
	}
	for _, k := range others {
		if ok, err := removeKey(ctxT(t), tgt, trust, creds, k); err != nil || !ok {
			t.Fatalf("RemoveKey = %v, %v", ok, err)
		}
	}
	if got, _ := os.ReadFile(real); !bytes.Equal(got, platform) {
		t.Fatalf("file after removes:\n%q\nwant\n%q", got, platform)
	}
	if fi, err := os.Lstat(srv.authorizedKeys); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", fi, err)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode became %v, want 0644", fi.Mode().Perm())
	}
	if !canLogin(t, "127.0.0.1", srv.port, srv.user, byHand) {
		t.Fatal("the pre-existing key no longer logs in")
	}
	entries, _ := os.ReadDir(filepath.Dir(real))
	if len(entries) != 2 {
		t.Fatalf("files left beside the file: %v", entries)
	}

	// A file its owner cannot write is refused, not overwritten.
	if err := os.Chmod(real, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := addKey(ctxT(t), tgt, trust, creds, newKey(t, "")); !errors.As(err, new(*ReadOnlyError)) {
		t.Fatalf("read-only file: %v", err)
	}
	if got, _ := os.ReadFile(real); !bytes.Equal(got, platform) {
		t.Fatal("a read-only file was changed")
	}
}

// Thirty parallel connections to an sshd that lets only a few start at
// once (MaxStartups): the ones it sheds are retried, none fails.
func TestAgainstRealOpenSSHThirtyParallelUnderMaxStartups(t *testing.T) {
	admin := newKey(t, "admin")
	srv := startRealSSHD(t, []byte(admin.line+"\n"), "MaxStartups 2")
	t.Setenv("SSH_AUTH_SOCK", "")
	tgt := Target{Host: "127.0.0.1", Port: srv.port, User: srv.user, AuthorizedKeysPath: srv.authorizedKeys, Timeout: 10 * time.Second}
	trust := HostKeyPolicy{HostKey: srv.hostKey}
	creds := Credentials{Keys: keyOf(admin.pem)}
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if ok, err := hasKey(ctxT(t), tgt, trust, creds, admin.pub); err != nil || !ok {
				t.Errorf("FindKey = %v, %v", ok, err)
			}
		})
	}
	wg.Wait()
}
