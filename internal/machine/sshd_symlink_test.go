package machine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// On a real sshd, logged in as root (the login user): root never writes
// through a link another user planted or could change (issue 20, item 6,
// the CVE-2026-11837 class), and the admin's own links keep working. sshd
// reads root's keys from srv.AuthorizedKeys; the paths given to AddKey are
// elsewhere, as an authorized_keys_path in another user's home would be.
func TestAgainstRealOpenSSHSymlinksOfAnotherUser(t *testing.T) {
	t.Parallel()
	needChown(t)
	admin := newKey(t, "admin")
	initial := []byte(admin.line + "\n")
	srv := startRealSSHD(t, initial)
	trust := HostKeyPolicy{HostKey: srv.HostKey}
	creds := Credentials{Keys: keyOf(admin.pem)}
	target := func(p string) Target {
		return Target{Host: "127.0.0.1", Port: srv.Port, User: srv.User, AuthorizedKeysPath: p, Timeout: 10 * time.Second}
	}
	rootKeys := srv.AuthorizedKeys
	rootSSH := filepath.Dir(rootKeys)
	// The directories above root's file are the test's: make sure the umask
	// left none of them group-writable.
	if err := os.Chmod(filepath.Dir(filepath.Dir(rootSSH)), 0o755); err != nil {
		t.Fatal(err)
	}

	refused := func(t *testing.T, asked, link string, linkOwner int, reason string) {
		t.Helper()
		before, err := os.ReadFile(rootKeys)
		if err != nil {
			t.Fatal(err)
		}
		k := newKey(t, "must-not-land")
		_, err = addKey(ctxT(t), target(asked), trust, creds, k)
		var unsafe *UnsafeLinkError
		if !errors.As(err, &unsafe) || unsafe.Link != link || unsafe.LinkOwner != linkOwner || !strings.Contains(unsafe.Reason, reason) {
			t.Fatalf("AddKey through %s: %v; want an UnsafeLinkError for the link %s of uid %d (%q)", asked, err, link, linkOwner, reason)
		}
		if msg := err.Error(); !strings.Contains(msg, link) || !strings.Contains(msg, fmt.Sprintf("uid %d", linkOwner)) {
			t.Fatalf("the message does not name the link and its owner: %s", msg)
		}
		// Reading through it is refused as well: root's keys are not shown
		// as the other user's file.
		if _, err := hasKey(ctxT(t), target(asked), trust, creds, admin.pub); !errors.As(err, new(*UnsafeLinkError)) {
			t.Fatalf("FindKey through %s: %v; want an UnsafeLinkError", asked, err)
		}
		if got, _ := os.ReadFile(rootKeys); !bytes.Equal(got, before) {
			t.Fatalf("root's authorized_keys changed:\n%q\nwant\n%q", got, before)
		}
		if fi, err := os.Stat(rootKeys); err != nil || fi.Mode().Perm() != 0o600 || ownerOfLocal(fi) != 0 {
			t.Fatalf("root's authorized_keys lost its mode or owner: %v %v", fi, err)
		}
		if entries, _ := os.ReadDir(rootSSH); len(entries) != 1 {
			t.Fatalf("files left beside root's authorized_keys: %v", entries)
		}
		if canLogin(t, "127.0.0.1", srv.Port, srv.User, k) {
			t.Fatal("the key logs in as root")
		}
	}

	t.Run("a link of uid 4242 in their directory to root's file is refused", func(t *testing.T) {
		home := filepath.Join(privateBase(t), "mallory")
		mkdirAs(t, home, 0o755, otherUID)
		mkdirAs(t, filepath.Join(home, ".ssh"), 0o700, otherUID)
		link := filepath.Join(home, ".ssh", "authorized_keys")
		linkAs(t, rootKeys, link, otherUID)
		refused(t, link, link, otherUID, "belongs to uid 4242")
		if got, err := os.Readlink(link); err != nil || got != rootKeys {
			t.Fatalf("the planted link was changed: %q %v", got, err)
		}
	})

	t.Run("a symlinked directory of uid 4242 on the way is refused", func(t *testing.T) {
		home := filepath.Join(privateBase(t), "victim")
		mkdirAs(t, home, 0o755, me)
		link := filepath.Join(home, ".ssh")
		linkAs(t, rootSSH, link, otherUID)
		refused(t, filepath.Join(link, "authorized_keys"), link, otherUID, "belongs to uid 4242")
	})

	t.Run("root's link in a group-writable directory is refused", func(t *testing.T) {
		dir := filepath.Join(privateBase(t), "shared")
		mkdirAs(t, dir, 0o770, me)
		link := filepath.Join(dir, "authorized_keys")
		linkAs(t, rootKeys, link, me)
		refused(t, link, link, 0, "directory "+dir+" on the way is writable by group or others")
	})

	t.Run("root's link to a file in an other-writable directory is refused", func(t *testing.T) {
		base := privateBase(t)
		open := filepath.Join(base, "open")
		mkdirAs(t, open, 0o777, me)
		writeAs(t, filepath.Join(open, "keys"), initial, 0o600, me)
		dir := filepath.Join(base, "admin")
		mkdirAs(t, dir, 0o700, me)
		link := filepath.Join(dir, "authorized_keys")
		linkAs(t, filepath.Join(open, "keys"), link, me)
		refused(t, link, link, 0, "directory "+open+" on the way is writable by group or others")
	})

	t.Run("root's own link in a root-owned 0700 directory to root's file works", func(t *testing.T) {
		dir := filepath.Join(privateBase(t), "admin")
		mkdirAs(t, dir, 0o700, me)
		link := filepath.Join(dir, "authorized_keys")
		linkAs(t, rootKeys, link, me) // absolute: the way passes /tmp, sticky and root's
		before, err := os.ReadFile(rootKeys)
		if err != nil {
			t.Fatal(err)
		}
		k := newKey(t, "through-roots-link")
		if ok, err := addKey(ctxT(t), target(link), trust, creds, k); err != nil || !ok {
			t.Fatalf("AddKey = %v, %v", ok, err)
		}
		if !canLogin(t, "127.0.0.1", srv.Port, srv.User, k) {
			t.Fatal("the key added through root's own link cannot log in")
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("the link was replaced: %v %v", fi, err)
		}
		if ok, err := removeKey(ctxT(t), target(link), trust, creds, k); err != nil || !ok {
			t.Fatalf("RemoveKey = %v, %v", ok, err)
		}
		if got, _ := os.ReadFile(rootKeys); !bytes.Equal(got, before) {
			t.Fatalf("root's file after add and remove: %q, want %q", got, before)
		}
	})

	// No symlink: root editing a regular file in another user's home is
	// legitimate, and the new file keeps that user as owner and its mode.
	t.Run("a regular file of uid 4242 in their writable directory is edited as before", func(t *testing.T) {
		home := filepath.Join(privateBase(t), "u4242")
		mkdirAs(t, home, 0o775, otherUID)
		p := filepath.Join(home, "authorized_keys")
		writeAs(t, p, []byte("# theirs\n"), 0o644, otherUID)
		k := newKey(t, "in-their-file")
		if ok, err := addKey(ctxT(t), target(p), trust, creds, k); err != nil || !ok {
			t.Fatalf("AddKey = %v, %v", ok, err)
		}
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 || ownerOfLocal(fi) != otherUID {
			t.Fatalf("after the edit: %v %v, want a regular 0644 file of uid %d", fi, err, otherUID)
		}
		if got, _ := os.ReadFile(p); string(got) != "# theirs\n"+k.line+"\n" {
			t.Fatalf("content: %q", got)
		}
	})
}
