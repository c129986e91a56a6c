package machine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/tcpproxy"
)

// The file as the admin left it: a symlink's target is edited and the link
// stays a link; mode is kept.
func TestSymlinkedFileHasItsTargetEditedAndModeKept(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, nil)
	original := []byte(admin.line + "\n")
	if err := dev.MkdirAll("/root/.ssh", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := dev.MkdirAll("/etc/ssh/keys", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := dev.WriteFile("/etc/ssh/keys/root", original, 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"/root/.ssh/authorized_keys": "../../etc/ssh/keys/root-link", // relative, then a second hop
		"/etc/ssh/keys/root-link":    "/etc/ssh/keys/root",           // absolute
	} {
		if err := dev.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	creds := Credentials{Password: rootPassword}
	k := newKey(t, "via-link")
	if ok, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), creds, k); err != nil || !ok {
		t.Fatalf("AddKey = %v, %v", ok, err)
	}
	for _, link := range []string{"/root/.ssh/authorized_keys", "/etc/ssh/keys/root-link"} {
		if fi, err := dev.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a symlink: %v %v", link, fi, err)
		}
	}
	got, _ := dev.ReadFile("/etc/ssh/keys/root")
	if want := string(original) + k.line + "\n"; string(got) != want {
		t.Fatalf("target after add = %q, want %q", got, want)
	}
	if fi, _ := dev.Stat("/etc/ssh/keys/root"); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode became %v, want 0644 as the admin set it", fi.Mode().Perm())
	}
	if ok, err := removeKey(ctxT(t), targetOf(dev), trustOf(dev), creds, k); err != nil || !ok {
		t.Fatalf("RemoveKey = %v, %v", ok, err)
	}
	if got, _ := dev.ReadFile("/etc/ssh/keys/root"); !bytes.Equal(got, original) {
		t.Fatalf("target after remove = %q", got)
	}
	names, _ := dev.ReadDir("/etc/ssh/keys")
	if len(names) != 2 {
		t.Fatalf("files left beside the target: %v", names)
	}
}

func TestReadOnlyFileIsRefusedAndLeftAlone(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	original := []byte(admin.line + "\n")
	dev := startDevice(t, original)
	if err := dev.Chmod("/root/.ssh/authorized_keys", 0o400); err != nil {
		t.Fatal(err)
	}
	k := newKey(t, "")
	_, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, k)
	var ro *ReadOnlyError
	if !errors.As(err, &ro) || !strings.Contains(err.Error(), "/root/.ssh/authorized_keys") || !strings.Contains(err.Error(), "0400") {
		t.Fatalf("err = %v, want ReadOnlyError naming the file and its mode", err)
	}
	if got, _ := dev.AuthorizedKeys(); !bytes.Equal(got, original) {
		t.Fatalf("a read-only file was rewritten: %q", got)
	}
	if fi, _ := dev.Stat("/root/.ssh/authorized_keys"); fi.Mode().Perm() != 0o400 {
		t.Fatalf("mode changed to %v", fi.Mode().Perm())
	}
}

func TestLineEndingsAreKept(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	for name, original := range map[string]string{
		"CRLF":    "# keys\r\n" + admin.line + "\r\n",
		"bare CR": "# keys\r" + admin.line + "\r",
		"none":    admin.line,
	} {
		t.Run(name, func(t *testing.T) {
			dev := startDevice(t, []byte(original))
			k := newKey(t, "")
			creds := Credentials{Password: rootPassword}
			if _, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), creds, k); err != nil {
				t.Fatal(err)
			}
			got, _ := dev.AuthorizedKeys()
			if !bytes.HasPrefix(got, []byte(original)) && name != "none" {
				t.Fatalf("existing lines changed: %q", got)
			}
			if name == "CRLF" && !bytes.HasSuffix(got, []byte(k.line+"\r\n")) {
				t.Fatalf("new line does not end in CRLF: %q", got)
			}
			if _, err := removeKey(ctxT(t), targetOf(dev), trustOf(dev), creds, k); err != nil {
				t.Fatal(err)
			}
			if got, _ := dev.AuthorizedKeys(); string(got) != original {
				t.Fatalf("after add and remove: %q, want %q", got, original)
			}
		})
	}
}

// Two processes do not share the in-process lock; "127.0.0.1" and
// "localhost" name the same machine under different in-process keys, so
// only the lock on the machine keeps these 30 edits from losing a line.
func TestLockOnTheMachineSerialisesEditorsThatDoNotShareAProcess(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	initial := []byte(admin.line + "\n")
	dev := startDevice(t, initial)
	creds := Credentials{Keys: keyOf(admin.pem)}
	keys := newKeys(t, 30)
	var wg sync.WaitGroup
	for i, k := range keys {
		tgt := targetOf(dev)
		if i%2 == 1 {
			tgt.Host = "localhost"
		}
		wg.Go(func() {
			if _, err := addKey(ctxT(t), tgt, trustOf(dev), creds, k); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := dev.AuthorizedKeys()
	for _, k := range keys {
		if !bytes.Contains(got, []byte(k.line+"\n")) {
			t.Errorf("lost %s", k.line)
		}
	}
	assertNoTempFiles(t, dev)
}

func TestStaleLockIsBroken(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	lock := "/root/.ssh/authorized_keys" + lockSuffix
	old := fmt.Sprintf("packet terraform provider edit lock\nowner: a run that died\ntaken: %d\n", time.Now().Add(-time.Hour).Unix())
	if err := dev.WriteFile(lock, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	setMtime(t, dev, lock, time.Now().Add(-time.Hour)) // its age is judged by the machine's clock
	k := newKey(t, "")
	if _, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, k); err != nil {
		t.Fatalf("AddKey with a stale lock: %v", err)
	}
	assertNoTempFiles(t, dev)

	// A fresh lock held by someone else is waited for, within the context.
	fresh := fmt.Sprintf("packet terraform provider edit lock\nowner: another pipeline\ntaken: %d\n", time.Now().Unix())
	if err := dev.WriteFile(lock, []byte(fresh), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithTimeout(t, 700*time.Millisecond)
	defer cancel()
	_, err := addKey(ctx, targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, newKey(t, ""))
	var locked *LockedError
	if !errors.As(err, &locked) || !strings.Contains(err.Error(), "another pipeline") {
		t.Fatalf("err = %v, want LockedError naming the holder", err)
	}
	if got, _ := dev.ReadFile(lock); string(got) != fresh {
		t.Fatal("a live lock was broken")
	}
}

// sshd sheds connections beyond MaxStartups by closing them at once; the
// dial retries those with backoff instead of failing.
func TestResetConnectionsAreRetried(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	proxy := tcpproxy.New(t, dev.Addr(), tcpproxy.Options{ResetFirst: 3}) // as a busy sshd sheds
	tgt := Target{Host: "127.0.0.1", Port: proxy.Port(), Timeout: 5 * time.Second}
	k := newKey(t, "")
	if _, err := addKey(ctxT(t), tgt, trustOf(dev), Credentials{Keys: keyOf(admin.pem)}, k); err != nil {
		t.Fatalf("AddKey through a server that resets the first connections: %v", err)
	}
	if n := proxy.Accepted(); n != 4 {
		t.Fatalf("%d connections, want 3 shed and 1 that worked", n)
	}
}
