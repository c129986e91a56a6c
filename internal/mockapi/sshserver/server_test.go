package sshserver

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/testutil"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func newSigner(t *testing.T) ssh.Signer {
	t.Helper()
	_, s := testutil.NewSSHKey(t)
	return s
}

func authLine(s ssh.Signer) []byte { return ssh.MarshalAuthorizedKey(s.PublicKey()) }

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func dialWith(s *Server, user string, auth ssh.AuthMethod) (*ssh.Client, error) {
	hostKey, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s.HostKey()))
	if err != nil {
		return nil, err
	}
	return ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.FixedHostKey(hostKey),
		Timeout:         5 * time.Second,
	})
}

func mustDial(t *testing.T, s *Server, auth ssh.AuthMethod) *ssh.Client {
	t.Helper()
	c, err := dialWith(s, "root", auth)
	if err != nil {
		t.Fatalf("login failed: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func sftpClient(t *testing.T, c *ssh.Client) *sftp.Client {
	t.Helper()
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sc.Close() })
	return sc
}

func TestLoginWithPasswordAndCurrentAuthorizedKeys(t *testing.T) {
	a, b := newSigner(t), newSigner(t)
	s := start(t, Config{RootPassword: "s3cret", AuthorizedKeys: authLine(a)})

	if c, err := dialWith(s, "root", ssh.Password("s3cret")); err != nil {
		t.Fatalf("password login: %v", err)
	} else {
		c.Close()
	}
	for name, tc := range map[string]struct {
		user string
		auth ssh.AuthMethod
	}{
		"wrong password":     {"root", ssh.Password("nope")},
		"other user":         {"admin", ssh.Password("s3cret")},
		"key not authorized": {"root", ssh.PublicKeys(b)},
		"other user key":     {"admin", ssh.PublicKeys(a)},
	} {
		if c, err := dialWith(s, tc.user, tc.auth); err == nil {
			c.Close()
			t.Errorf("%s: login succeeded", name)
		}
	}
	mustDial(t, s, ssh.PublicKeys(a)).Close()

	// The file is re-read at each attempt, as sshd does.
	if err := s.SetAuthorizedKeys(append([]byte("# rotated\n"), authLine(b)...)); err != nil {
		t.Fatal(err)
	}
	mustDial(t, s, ssh.PublicKeys(b)).Close()
	if c, err := dialWith(s, "root", ssh.PublicKeys(a)); err == nil {
		c.Close()
		t.Fatal("removed key still logs in")
	}
}

func TestNoPasswordMeansNoPasswordLogin(t *testing.T) {
	s := start(t, Config{})
	if c, err := dialWith(s, "root", ssh.Password("")); err == nil {
		c.Close()
		t.Fatal("empty password accepted")
	}
}

func TestHostKeyIsTheConfiguredOne(t *testing.T) {
	hk := newSigner(t)
	s := start(t, Config{HostKey: hk, RootPassword: "pw"})
	want := strings.TrimSpace(string(authLine(hk)))
	if s.HostKey() != want {
		t.Fatalf("HostKey() = %q, want %q", s.HostKey(), want)
	}
	var seen ssh.PublicKey
	c, err := ssh.Dial("tcp", s.Addr(), &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.Password("pw")},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { seen = k; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if !bytes.Equal(seen.Marshal(), hk.PublicKey().Marshal()) {
		t.Fatal("server presented another host key")
	}
	if s.Host() != "127.0.0.1" || s.Port() == 0 {
		t.Fatalf("Host/Port = %s/%d", s.Host(), s.Port())
	}
}

func TestInitialFilesystem(t *testing.T) {
	bare := start(t, Config{})
	if _, err := bare.Stat("/root/.ssh"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("/root/.ssh on a device without keys: %v", err)
	}
	if _, err := bare.AuthorizedKeys(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("authorized_keys without keys: %v", err)
	}

	a := newSigner(t)
	s := start(t, Config{AuthorizedKeys: authLine(a)})
	got, err := s.AuthorizedKeys()
	if err != nil || !bytes.Equal(got, authLine(a)) {
		t.Fatalf("AuthorizedKeys = %q, %v", got, err)
	}
	for p, want := range map[string]fs.FileMode{"/root/.ssh": 0o700, "/root/.ssh/authorized_keys": 0o600} {
		fi, err := s.Stat(p)
		if err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: %v %v, want %v", p, fi.Mode(), err, want)
		}
	}
}

func TestSFTPOperations(t *testing.T) {
	s := start(t, Config{RootPassword: "pw"})
	sc := sftpClient(t, mustDial(t, s, ssh.Password("pw")))

	wd, err := sc.Getwd()
	if err != nil || wd != "/root" {
		t.Fatalf("Getwd = %q, %v", wd, err)
	}
	if err := sc.Mkdir(".ssh"); err != nil {
		t.Fatal(err)
	}
	if err := sc.Chmod(".ssh", 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(p, content string) {
		t.Helper()
		f, err := sc.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Chmod(0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write("/root/.ssh/a", "old")
	write("/root/.ssh/b", "new")
	if _, err := sc.OpenFile("/root/.ssh/a", os.O_WRONLY|os.O_CREATE|os.O_EXCL); err == nil {
		t.Fatal("O_EXCL create of an existing file succeeded")
	}
	if err := sc.Rename("/root/.ssh/b", "/root/.ssh/a"); err == nil {
		t.Fatal("plain rename replaced an existing file (SFTP v3 forbids it)")
	}
	if err := sc.PosixRename("/root/.ssh/b", "/root/.ssh/a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ReadFile("/root/.ssh/a"); string(got) != "new" {
		t.Fatalf("after posix rename: %q", got)
	}
	fi, err := sc.Stat("/root/.ssh/a")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v %v", fi, err)
	}
	if fi, err := sc.Stat("/root/.ssh"); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir stat: %v %v", fi, err)
	}
	names, err := sc.ReadDir("/root/.ssh")
	if err != nil || len(names) != 1 || names[0].Name() != "a" {
		t.Fatalf("ReadDir = %v, %v", names, err)
	}
	f, err := sc.Open("/root/.ssh/a")
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil || string(data) != "new" {
		t.Fatalf("read = %q, %v", data, err)
	}
	if err := sc.RemoveDirectory("/root/.ssh/a"); err == nil {
		t.Fatal("rmdir removed a file")
	}
	if err := sc.Remove("/root/.ssh/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Stat("/root/.ssh/a"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("removed file: %v", err)
	}
	if err := sc.RemoveDirectory("/root/.ssh"); err != nil {
		t.Fatal(err)
	}
}

func TestPathsCannotEscapeTheMachine(t *testing.T) {
	s := start(t, Config{RootPassword: "pw"})
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("host file"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A symlink planted inside the machine pointing at the host's filesystem.
	if err := os.Symlink(outside, filepath.Join(s.dir, "root", "link")); err != nil {
		t.Fatal(err)
	}
	sc := sftpClient(t, mustDial(t, s, ssh.Password("pw")))

	rel, err := filepath.Rel(filepath.Join(s.dir, "root"), secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{rel, "/../../../../.." + secret, "link/secret"} {
		if f, err := sc.Open(p); err == nil {
			data, _ := io.ReadAll(f)
			f.Close()
			t.Errorf("%s: read outside the machine: %q", p, data)
		}
		if f, err := sc.OpenFile(p, os.O_WRONLY|os.O_CREATE); err == nil {
			f.Close()
			t.Errorf("%s: opened outside the machine for writing", p)
		}
	}
	if got, _ := os.ReadFile(secret); string(got) != "host file" {
		t.Fatalf("host file changed: %q", got)
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Config{RootPassword: "pw"})
	t.Run("deny write", func(t *testing.T) {
		s.SetFaults(Faults{DenyWrite: true})
		defer s.SetFaults(Faults{})
		sc := sftpClient(t, mustDial(t, s, ssh.Password("pw")))
		if _, err := sc.Create("/root/x"); !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("Create = %v, want permission denied", err)
		}
	})
	t.Run("fail rename", func(t *testing.T) {
		s.SetFaults(Faults{FailRename: true})
		defer s.SetFaults(Faults{})
		sc := sftpClient(t, mustDial(t, s, ssh.Password("pw")))
		f, err := sc.Create("/root/y")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := sc.PosixRename("/root/y", "/root/z"); err == nil {
			t.Fatal("rename succeeded")
		}
		if _, err := s.Stat("/root/y"); err != nil {
			t.Fatalf("source gone after failed rename: %v", err)
		}
	})
	t.Run("drop after write bytes", func(t *testing.T) {
		s.SetFaults(Faults{DropAfterWriteBytes: 10})
		defer s.SetFaults(Faults{})
		c := mustDial(t, s, ssh.Password("pw"))
		sc := sftpClient(t, c)
		f, err := sc.Create("/root/big")
		if err != nil {
			t.Fatal(err)
		}
		_, werr := f.Write(bytes.Repeat([]byte("x"), 100))
		cerr := f.Close()
		if werr == nil && cerr == nil {
			t.Fatal("write past the limit succeeded")
		}
		if _, err := sc.Stat("/root"); err == nil {
			t.Fatal("connection still usable after the injected drop")
		}
		got, err := s.ReadFile("/root/big")
		if err != nil || len(got) != 10 {
			t.Fatalf("partial file = %d bytes, %v; want 10", len(got), err)
		}
	})
}

func TestExec(t *testing.T) {
	s := start(t, Config{RootPassword: "pw"})
	c := mustDial(t, s, ssh.Password("pw"))
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Output("echo hello device")
	if err != nil || string(out) != "hello device\n" {
		t.Fatalf("echo = %q, %v", out, err)
	}
	sess, _ = c.NewSession()
	if err := sess.Run("true"); err != nil {
		t.Fatalf("true: %v", err)
	}
	sess, _ = c.NewSession()
	if err := sess.Run("rm -rf /"); err == nil {
		t.Fatal("unknown command succeeded")
	}
}

func TestCloseStopsEverythingAndRemovesTheFilesystem(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := Start(Config{RootPassword: "pw", AuthorizedKeys: []byte("# x\n")})
	if err != nil {
		t.Fatal(err)
	}
	dir := s.dir
	c, err := dialWith(s, "root", ssh.Password("pw"))
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temp dir still there: %v", err)
	}
	if _, err := sc.Getwd(); err == nil {
		if _, err := sc.Stat("/root"); err == nil {
			t.Fatal("client still served after Close")
		}
	}
	sc.Close()
	c.Close()
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left running (was %d)", n, before)
	}
}

// Stats counts accepted connections, logins and files opened for reading,
// so tests can assert what a client cost.
func TestStatsCountConnectionsLoginsAndReads(t *testing.T) {
	s, err := Start(Config{RootPassword: "pw", AuthorizedKeys: []byte("# x\n")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := dialWith(s, "root", ssh.Password("wrong")); err == nil {
		t.Fatal("a wrong password logged in")
	}
	c := mustDial(t, s, ssh.Password("pw"))
	defer c.Close()
	sc, err := sftp.NewClient(c)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for range 3 {
		f, err := sc.Open("/root/.ssh/authorized_keys")
		if err != nil {
			t.Fatal(err)
		}
		_ = f.Close()
	}
	if _, err := sc.Stat("/root/.ssh/authorized_keys"); err != nil { // not a read
		t.Fatal(err)
	}
	if got, want := s.Stats(), (Stats{Connections: 2, Logins: 1, FileReads: 3}); got != want {
		t.Fatalf("Stats() = %+v, want %+v", got, want)
	}
}
