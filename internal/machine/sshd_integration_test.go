package machine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/packethost/terraform-provider-packet/internal/machine/sshdtest"
)

// startRealSSHD starts OpenSSH's sshd on loopback (see sshdtest).
var startRealSSHD = sshdtest.Start

func TestAgainstRealOpenSSH(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	initial := []byte("# managed by hand\n" + admin.line + "\n\ncommand=\"uptime, quietly\" " + newKey(t, "").line + " monitor\n")
	srv := startRealSSHD(t, initial)
	tgt := Target{Host: "127.0.0.1", Port: srv.Port, User: srv.User, AuthorizedKeysPath: srv.AuthorizedKeys, Timeout: 10 * time.Second}
	trust := HostKeyPolicy{HostKey: srv.HostKey}
	creds := Credentials{Keys: keyOf(admin.pem)}

	k := newKey(t, "attached")
	if canLogin(t, "127.0.0.1", srv.Port, srv.User, k) {
		t.Fatal("key logs in before it was added")
	}
	changed, err := addKey(ctxT(t), tgt, trust, creds, k)
	if err != nil || !changed {
		t.Fatalf("AddKey = %v, %v", changed, err)
	}
	if !canLogin(t, "127.0.0.1", srv.Port, srv.User, k) {
		t.Fatal("added key cannot log in to sshd")
	}
	got, _ := os.ReadFile(srv.AuthorizedKeys)
	if want := string(initial) + k.line + "\n"; string(got) != want {
		t.Fatalf("file after add:\n%q\nwant\n%q", got, want)
	}
	if fi, err := os.Stat(srv.AuthorizedKeys); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode after add: %v %v", fi, err)
	}

	// known_hosts works against a real server too (non-22 port form).
	khFile := filepath.Join(t.TempDir(), "known_hosts")
	hostKey, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(srv.HostKey))
	line := knownhosts.Line([]string{fmt.Sprintf("[127.0.0.1]:%d", srv.Port)}, hostKey)
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
	if canLogin(t, "127.0.0.1", srv.Port, srv.User, k) {
		t.Fatal("removed key still logs in to sshd")
	}
	if got, _ := os.ReadFile(srv.AuthorizedKeys); !bytes.Equal(got, initial) {
		t.Fatalf("file after remove:\n%q\nwant\n%q", got, initial)
	}
	entries, err := os.ReadDir(filepath.Dir(srv.AuthorizedKeys))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("files left next to authorized_keys: %v", entries)
	}
}

func TestAgainstRealOpenSSHParallelAndFreshDirectory(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	srv := startRealSSHD(t, []byte(admin.line+"\n"))
	creds := Credentials{Keys: keyOf(admin.pem)}
	trust := HostKeyPolicy{HostKey: srv.HostKey}

	// sshd keeps reading the admin key from its own file; the edits go to a
	// file in a directory that does not exist yet.
	target := filepath.Join(filepath.Dir(filepath.Dir(srv.AuthorizedKeys)), "fresh", ".ssh", "authorized_keys")
	tgt := Target{Host: "127.0.0.1", Port: srv.Port, User: srv.User, AuthorizedKeysPath: target, Timeout: 10 * time.Second}

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
	t.Parallel()
	admin, byHand := newKey(t, "admin"), newKey(t, "by-hand")
	platform := []byte("# written at provisioning\r\n" + admin.line + "\r\n" + `no-agent-forwarding,no-pty ` + byHand.line + " edited\r\n")
	srv := startRealSSHD(t, platform)
	// The admin keeps the real file elsewhere and links it; sshd follows the link.
	real := filepath.Join(filepath.Dir(srv.AuthorizedKeys), "keys.real")
	if err := os.Rename(srv.AuthorizedKeys, real); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(real, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("keys.real", srv.AuthorizedKeys); err != nil {
		t.Fatal(err)
	}
	tgt := Target{Host: "127.0.0.1", Port: srv.Port, User: srv.User, AuthorizedKeysPath: srv.AuthorizedKeys, Timeout: 10 * time.Second}
	trust := HostKeyPolicy{HostKey: srv.HostKey}
	creds := Credentials{Keys: keyOf(admin.pem)}

	res, err := addKeyOnce(ctxT(t), endpoint(tgt, trust, creds), byHand.asLine())
	if err != nil || res.Added || !strings.Contains(res.Existing, "no-pty") {
		t.Fatalf("AddKey of a key already there = %+v, %v; want it reported, not written", res, err)
	}
	others := []testKey{newKey(t, "one"), newKey(t, "two")}
	for _, k := range others {
		if ok, err := addKey(ctxT(t), tgt, trust, creds, k); err != nil || !ok {
			t.Fatalf("AddKey = %v, %v", ok, err)
		}
		if !canLogin(t, "127.0.0.1", srv.Port, srv.User, k) {
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
	if fi, err := os.Lstat(srv.AuthorizedKeys); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v %v", fi, err)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode became %v, want 0644", fi.Mode().Perm())
	}
	if !canLogin(t, "127.0.0.1", srv.Port, srv.User, byHand) {
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
	t.Parallel()
	admin := newKey(t, "admin")
	srv := startRealSSHD(t, []byte(admin.line+"\n"), "MaxStartups 2")
	tgt := Target{Host: "127.0.0.1", Port: srv.Port, User: srv.User, AuthorizedKeysPath: srv.AuthorizedKeys, Timeout: 10 * time.Second}
	trust := HostKeyPolicy{HostKey: srv.HostKey}
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
