package machine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pkg/sftp"
)

// otherUID owns what "another user" planted; no such user needs to exist.
const otherUID = 4242

// sshFxpClose is the SFTP packet type of SSH_FXP_CLOSE.
const sshFxpClose = 4

// inProcessSFTP serves the real filesystem with pkg/sftp's own server over
// pipes and returns a session on it: logged in as whoever runs the test,
// with home as the login directory. onClose, when set, runs just before the
// server sees each SSH_FXP_CLOSE: a hook to play another user who races the
// client between two of its requests.
func inProcessSFTP(t *testing.T, home string, onClose func()) *session {
	t.Helper()
	clientR, serverW := io.Pipe() // server → client
	hookR, clientW := io.Pipe()   // client → hook
	serverR, hookW := io.Pipe()   // hook → server
	srv, err := sftp.NewServer(struct {
		io.Reader
		io.WriteCloser
	}{serverR, serverW}, sftp.WithServerWorkingDirectory(home))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve()
		_ = srv.Close() // ends the client's reads too
	}()
	go func() {
		defer hookW.Close()
		for {
			var hdr [5]byte // uint32 length, then the type
			if _, err := io.ReadFull(hookR, hdr[:]); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(hdr[:4])
			if n < 1 {
				return
			}
			body := make([]byte, n-1)
			if _, err := io.ReadFull(hookR, body); err != nil {
				return
			}
			if hdr[4] == sshFxpClose && onClose != nil {
				onClose()
			}
			if _, err := hookW.Write(append(hdr[:], body...)); err != nil {
				return
			}
		}
	}()
	client, err := sftp.NewClientPipe(clientR, clientW)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.Close()
		<-served
	})
	return &session{addr: "in-process", sftp: client}
}

// needChown: giving files to otherUID takes root. A test that cannot run
// skips with a SKIP line, except under CI=true, where it fails.
func needChown(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	reason := fmt.Sprintf("giving files to uid %d needs root", otherUID)
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and the test cannot run: %s", reason)
	}
	fmt.Fprintf(os.Stderr, "SKIP: %s: %s\n", t.Name(), reason)
	t.Skip(reason)
}

// The helpers below make a file, directory or link with exactly the mode
// and owner given (the umask and the creator do not count); uid -1 keeps
// the test's own.

func mkdirAs(t *testing.T, p string, mode fs.FileMode, uid int) {
	t.Helper()
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	chownAs(t, p, uid, os.Chown)
	if err := os.Chmod(p, mode); err != nil { // after chown, which may clear mode bits
		t.Fatal(err)
	}
}

func writeAs(t *testing.T, p string, data []byte, mode fs.FileMode, uid int) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	chownAs(t, p, uid, os.Chown)
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func linkAs(t *testing.T, target, p string, uid int) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
	chownAs(t, p, uid, os.Lchown)
}

func chownAs(t *testing.T, p string, uid int, chown func(string, int, int) error) {
	t.Helper()
	if uid < 0 {
		return
	}
	if err := chown(p, uid, uid); err != nil {
		t.Fatal(err)
	}
}

// privateBase is a fresh directory for one case, 0755 whatever the umask.
func privateBase(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	return base
}

const me = -1 // owner: whoever runs the test (root in CI)

// locate follows a symlink only when the link, its target and every
// directory on the way belong to the login user or root and no one else
// may write them; otherwise it refuses, naming the link and its owner.
func TestLocateFollowsOnlyLinksNoOtherUserControls(t *testing.T) {
	t.Parallel()
	type layout struct {
		home string // login directory (its owner is the login user)
		keys string // the login user's real authorized_keys
	}
	// Every case starts from base/home (0700) holding .ssh/authorized_keys (0600).
	setup := func(t *testing.T) (string, layout) {
		base := privateBase(t)
		l := layout{home: filepath.Join(base, "home")}
		mkdirAs(t, l.home, 0o700, me)
		mkdirAs(t, filepath.Join(l.home, ".ssh"), 0o700, me)
		l.keys = filepath.Join(l.home, ".ssh", "authorized_keys")
		writeAs(t, l.keys, []byte("root's keys\n"), 0o600, me)
		return base, l
	}
	type want struct {
		path      string // resolved path when allowed
		link      string // the link refused, when refused
		linkOwner int
		reason    string // a fragment of the reason
	}
	cases := []struct {
		name  string
		chown bool // gives something to otherUID
		make  func(t *testing.T, base string, l layout) (asked string, w want)
	}{
		{"another user's link to the login user's file (issue 20, item 6)", true, func(t *testing.T, base string, l layout) (string, want) {
			mkdirAs(t, filepath.Join(base, "mallory"), 0o755, otherUID)
			p := filepath.Join(base, "mallory", "authorized_keys")
			linkAs(t, l.keys, p, otherUID)
			return p, want{link: p, linkOwner: otherUID, reason: fmt.Sprintf("belongs to uid %d", otherUID)}
		}},
		{"the login user's link in another user's directory", true, func(t *testing.T, base string, l layout) (string, want) {
			dir := filepath.Join(base, "mallory")
			mkdirAs(t, dir, 0o755, otherUID)
			p := filepath.Join(dir, "authorized_keys")
			linkAs(t, l.keys, p, me)
			return p, want{link: p, linkOwner: os.Geteuid(), reason: "directory " + dir}
		}},
		{"another user's symlinked directory on the way", true, func(t *testing.T, base string, l layout) (string, want) {
			mkdirAs(t, filepath.Join(base, "victim"), 0o755, me)
			link := filepath.Join(base, "victim", ".ssh")
			linkAs(t, filepath.Dir(l.keys), link, otherUID)
			return filepath.Join(link, "authorized_keys"), want{link: link, linkOwner: otherUID, reason: fmt.Sprintf("belongs to uid %d", otherUID)}
		}},
		{"a link to a file of another owner", true, func(t *testing.T, base string, l layout) (string, want) {
			other := filepath.Join(base, "other")
			mkdirAs(t, other, 0o755, me)
			writeAs(t, filepath.Join(other, "keys"), nil, 0o600, otherUID)
			p := filepath.Join(l.home, ".ssh", "linked")
			linkAs(t, filepath.Join(other, "keys"), p, me)
			return p, want{link: p, linkOwner: os.Geteuid(), reason: fmt.Sprintf("which belongs to uid %d", otherUID)}
		}},
		{"a group-writable directory before the link", false, func(t *testing.T, base string, l layout) (string, want) {
			dir := filepath.Join(base, "shared")
			mkdirAs(t, dir, 0o775, me)
			p := filepath.Join(dir, "authorized_keys")
			linkAs(t, l.keys, p, me)
			return p, want{link: p, linkOwner: os.Geteuid(), reason: "directory " + dir + " on the way is writable by group or others"}
		}},
		{"an other-writable directory after the link", false, func(t *testing.T, base string, l layout) (string, want) {
			open := filepath.Join(base, "open")
			mkdirAs(t, open, 0o777, me)
			writeAs(t, filepath.Join(open, "keys"), nil, 0o600, me)
			p := filepath.Join(l.home, ".ssh", "linked")
			linkAs(t, filepath.Join(open, "keys"), p, me)
			return p, want{link: p, linkOwner: os.Geteuid(), reason: "directory " + open + " on the way is writable by group or others"}
		}},
		{"a dangling link into a sticky world-writable directory", false, func(t *testing.T, base string, l layout) (string, want) {
			tmp := filepath.Join(base, "tmp")
			mkdirAs(t, tmp, 0o777|fs.ModeSticky, me)
			p := filepath.Join(l.home, ".ssh", "linked")
			linkAs(t, filepath.Join(tmp, "keys"), p, me)
			return p, want{link: p, linkOwner: os.Geteuid(), reason: "directory " + tmp + " on the way is writable by group or others"}
		}},
		{"the admin's own chain of links, relative and absolute, through a sticky directory", false, func(t *testing.T, base string, l layout) (string, want) {
			tmp := filepath.Join(base, "tmp")
			mkdirAs(t, tmp, 0o777|fs.ModeSticky, me)
			etc := filepath.Join(tmp, "etc")
			mkdirAs(t, etc, 0o755, me)
			writeAs(t, filepath.Join(etc, "root"), nil, 0o644, me)
			linkAs(t, filepath.Join(etc, "root"), filepath.Join(etc, "root-link"), me)
			p := filepath.Join(l.home, ".ssh", "linked")
			linkAs(t, "../../tmp/etc/root-link", p, me)
			return p, want{path: filepath.Join(etc, "root")}
		}},
		{"the admin's own symlinked .ssh directory", false, func(t *testing.T, base string, l layout) (string, want) {
			link := filepath.Join(l.home, "ssh-link")
			linkAs(t, ".ssh", link, me)
			return filepath.Join(link, "authorized_keys"), want{path: l.keys}
		}},
		{"a dangling link of the admin's resolves to its target", false, func(t *testing.T, base string, l layout) (string, want) {
			p := filepath.Join(l.home, ".ssh", "linked")
			target := filepath.Join(l.home, "new", "keys")
			linkAs(t, target, p, me)
			return p, want{path: target}
		}},
		{"no symlink: another user's file in their writable directory is edited as today", true, func(t *testing.T, base string, l layout) (string, want) {
			dir := filepath.Join(base, "mallory")
			mkdirAs(t, dir, 0o777, otherUID)
			p := filepath.Join(dir, "authorized_keys")
			writeAs(t, p, nil, 0o600, otherUID)
			return p, want{path: p}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.chown {
				needChown(t)
			}
			base, l := setup(t)
			asked, w := c.make(t, base, l)
			s := inProcessSFTP(t, l.home, nil)
			got, err := s.locate(ctxT(t), asked)
			if w.link == "" {
				if err != nil || got != w.path {
					t.Fatalf("locate(%s) = %q, %v; want %q", asked, got, err, w.path)
				}
				return
			}
			var unsafe *UnsafeLinkError
			if !errors.As(err, &unsafe) {
				t.Fatalf("locate(%s) = %q, %v; want an UnsafeLinkError", asked, got, err)
			}
			if unsafe.Link != w.link || unsafe.LinkOwner != w.linkOwner || !strings.Contains(unsafe.Reason, w.reason) {
				t.Fatalf("refused %+v; want link %s of uid %d, reason with %q", unsafe, w.link, w.linkOwner, w.reason)
			}
			msg := err.Error()
			for _, part := range []string{w.link, fmt.Sprintf("uid %d", w.linkOwner), "replace the symlink with a regular file"} {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q does not say %q", msg, part)
				}
			}
		})
	}
}

// For a user other than root the login user's own links are followed, and
// a link of theirs to root's file is not.
func TestLocateTrustsTheLoginUsersOwnLinks(t *testing.T) {
	t.Parallel()
	needChown(t)
	base := privateBase(t)
	home := filepath.Join(base, "u")
	mkdirAs(t, home, 0o700, otherUID) // the login user is whoever owns the home
	writeAs(t, filepath.Join(home, "real"), nil, 0o600, otherUID)
	linkAs(t, "real", filepath.Join(home, "mine"), otherUID)
	writeAs(t, filepath.Join(base, "roots"), nil, 0o600, 0)
	linkAs(t, filepath.Join(base, "roots"), filepath.Join(home, "to-root"), otherUID)
	s := inProcessSFTP(t, home, nil)
	if got, err := s.locate(ctxT(t), "mine"); err != nil || got != filepath.Join(home, "real") {
		t.Fatalf("the login user's own link: %q, %v", got, err)
	}
	_, err := s.locate(ctxT(t), "to-root")
	var unsafe *UnsafeLinkError
	if !errors.As(err, &unsafe) || unsafe.LinkOwner != otherUID || !strings.Contains(unsafe.Reason, "which belongs to uid 0") {
		t.Fatalf("the login user's link to root's file: %v", err)
	}
}

func TestLocateBoundsSymlinkLoops(t *testing.T) {
	t.Parallel()
	base := privateBase(t)
	linkAs(t, "b", filepath.Join(base, "a"), me)
	linkAs(t, "a", filepath.Join(base, "b"), me)
	s := inProcessSFTP(t, base, nil)
	if _, err := s.locate(ctxT(t), filepath.Join(base, "a")); err == nil || !strings.Contains(err.Error(), "too many levels of symbolic links") {
		t.Fatalf("loop: %v", err)
	}
}

func ownerOfLocal(fi fs.FileInfo) int {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1 // not a Unix file system: owned by no one the test knows
	}
	return int(st.Uid)
}
