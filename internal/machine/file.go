package machine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
	"github.com/pkg/sftp"
)

// maxSymlinks bounds symlink chains, as the kernel does (ELOOP).
const maxSymlinks = 40

// fileOwner is a file's numeric owner and group.
type fileOwner struct{ uid, gid int }

func ownerOf(fi fs.FileInfo) *fileOwner {
	if st, ok := fi.Sys().(*sftp.FileStat); ok {
		return &fileOwner{uid: int(st.UID), gid: int(st.GID)}
	}
	return nil
}

// locate makes p absolute and follows symlinks to the file they name, so an
// admin's symlinked authorized_keys has its target edited, never replaced.
// It walks p one component at a time with Lstat, so a symlinked directory is
// seen as well as a symlinked file. A path with no symlink is taken as it is
// (root may edit a regular file in another user's home); one with a symlink
// only when no one but the login user and root controls the link, its target
// and the directories on the way (see checkLinks). A dangling link resolves
// to its target, which the edit then creates.
func (s *session) locate(ctx context.Context, p string) (string, error) {
	abs, err := s.resolve(p)
	if err != nil {
		return "", s.fileError(ctx, "resolve", p, err)
	}
	w := &pathWalk{s: s, ctx: ctx, seen: map[string]fs.FileInfo{}}
	resolved, err := w.walk("/", strings.Split(abs, "/"))
	if err != nil {
		return "", err
	}
	if len(w.links) == 0 {
		return resolved, nil
	}
	if err := w.checkLinks(abs); err != nil {
		return "", err
	}
	return resolved, nil
}

// pathWalk resolves a path as the kernel would and records what it passed.
type pathWalk struct {
	s     *session
	ctx   context.Context
	hops  int
	seen  map[string]fs.FileInfo // Lstat results by path; nil: missing
	links []followedLink         // in the order met
	dirs  []passedDir
}

type followedLink struct {
	path, target string // target: where the link resolved to
}

// passedDir is a directory an entry was looked up in; child is that entry
// (nil when missing).
type passedDir struct {
	path  string
	child fs.FileInfo
}

// walk resolves names, one path component each, starting in the directory
// dir (already resolved), and returns the resulting path.
func (w *pathWalk) walk(dir string, names []string) (string, error) {
	for i, name := range names {
		switch name {
		case "", ".":
			continue
		case "..":
			dir = path.Dir(dir)
			continue
		}
		p := path.Join(dir, name)
		fi, err := w.lstat(p)
		if err != nil {
			return "", err
		}
		w.dirs = append(w.dirs, passedDir{path: dir, child: fi})
		if fi == nil { // the rest does not exist yet: nothing more to follow
			return path.Join(p, path.Join(names[i+1:]...)), nil
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			dir = p
			continue
		}
		if w.hops++; w.hops > maxSymlinks {
			return "", fmt.Errorf("%s on %s: too many levels of symbolic links", p, w.s.addr)
		}
		target, err := w.s.sftp.ReadLink(p)
		if err != nil {
			return "", w.s.fileError(w.ctx, "read the symlink", p, err)
		}
		from := dir
		if path.IsAbs(target) {
			from = "/"
		}
		n := len(w.links)
		w.links = append(w.links, followedLink{path: p})
		if dir, err = w.walk(from, strings.Split(target, "/")); err != nil {
			return "", err
		}
		w.links[n].target = dir
		if i+1 == len(names) {
			return dir, nil
		}
		fi, err = w.lstat(dir) // known, but for "/"
		if err != nil {
			return "", err
		}
		if fi == nil { // a dangling link on the way: the rest does not exist yet
			return path.Join(dir, path.Join(names[i+1:]...)), nil
		}
	}
	return dir, nil
}

// lstat is Lstat remembered, with nil for a missing path.
func (w *pathWalk) lstat(p string) (fs.FileInfo, error) {
	if fi, ok := w.seen[p]; ok {
		return fi, nil
	}
	fi, err := w.s.sftp.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		fi, err = nil, nil
	}
	if err != nil {
		return nil, w.s.fileError(w.ctx, "stat", p, err)
	}
	w.seen[p] = fi
	return fi, nil
}

// checkLinks refuses the symlinks walked unless each belongs to the login
// user or root and resolves to something of its own owner, and every
// directory passed belongs to the login user or root and no one else may
// write it: else another user could have planted the link, or swap it (or a
// directory holding it) between this check and the write, and make root
// write its own file. A world-writable sticky directory (/tmp) is passed
// when the entry taken from it belongs to the login user or root, whom the
// sticky bit protects.
func (w *pathWalk) checkLinks(asked string) error {
	login, err := w.loginUID()
	if err != nil {
		return err
	}
	trusted := func(o *fileOwner) bool { return o != nil && (o.uid == login || o.uid == 0) }
	uidOf := func(o *fileOwner) int {
		if o == nil {
			return -1
		}
		return o.uid
	}
	first := w.links[0]
	refuse := func(l followedLink, reason string, args ...any) error {
		return &UnsafeLinkError{Path: asked, Addr: w.s.addr, Link: l.path, LinkOwner: uidOf(ownerOf(w.seen[l.path])),
			Reason: fmt.Sprintf(reason, args...)}
	}
	for _, l := range w.links {
		owner := ownerOf(w.seen[l.path])
		if !trusted(owner) {
			return refuse(l, "it belongs to uid %d, neither the login user (uid %d) nor root", uidOf(owner), login)
		}
		t, err := w.lstat(l.target)
		if err != nil {
			return err
		}
		if t != nil {
			if to := ownerOf(t); to == nil || to.uid != owner.uid {
				return refuse(l, "it points to %s, which belongs to uid %d, not to the link's owner", l.target, uidOf(to))
			}
		}
	}
	for _, d := range w.dirs {
		fi, err := w.lstat(d.path) // known, but for "/"
		if err != nil {
			return err
		}
		if fi == nil {
			continue // cannot happen: an entry was looked up in it
		}
		if owner := ownerOf(fi); !trusted(owner) {
			return refuse(first, "the directory %s on the way belongs to uid %d, neither the login user (uid %d) nor root", d.path, uidOf(owner), login)
		}
		sticky := fi.Mode()&fs.ModeSticky != 0 && d.child != nil && trusted(ownerOf(d.child))
		if fi.Mode().Perm()&0o022 != 0 && !sticky {
			return refuse(first, "the directory %s on the way is writable by group or others (%v)", d.path, fi.Mode())
		}
	}
	return nil
}

// loginUID is the owner of the login directory (the user's home). Over SFTP
// there is no call for "who am I" and no shell to ask; creating a file to
// see its owner would leave traces on failure. A home that belongs to
// someone else is rare, and it only widens trust for a login other than
// root, which the kernel confines to what that user may write anyway; for
// root only root's own links are ever followed.
func (w *pathWalk) loginUID() (int, error) {
	home, err := w.s.sftp.Getwd()
	if err != nil {
		return 0, w.s.fileError(w.ctx, "find the login directory", ".", err)
	}
	fi, err := w.s.sftp.Stat(home)
	if err != nil {
		return 0, w.s.fileError(w.ctx, "stat the login directory", home, err)
	}
	owner := ownerOf(fi)
	if owner == nil {
		return 0, fmt.Errorf("the SFTP server on %s does not tell file owners, so symlinks cannot be checked", w.s.addr)
	}
	return owner.uid, nil
}

// fileMode describes the file at p (after locate): its permission bits and
// owner, to give the new version, or exists=false. A file its owner may not
// write, or anything but a regular file, is refused.
func (s *session) fileMode(ctx context.Context, p string) (mode fs.FileMode, owner *fileOwner, exists bool, err error) {
	fi, err := s.sftp.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0o600, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, s.fileError(ctx, "stat", p, err)
	}
	switch {
	case fi.IsDir():
		return 0, nil, false, &NotRegularError{Path: p, Addr: s.addr, Kind: "a directory"}
	case !fi.Mode().IsRegular():
		return 0, nil, false, &NotRegularError{Path: p, Addr: s.addr, Kind: "a special file"}
	case fi.Mode().Perm()&0o200 == 0:
		return 0, nil, false, &ReadOnlyError{Path: p, Addr: s.addr, Mode: fi.Mode()}
	}
	return fi.Mode().Perm(), ownerOf(fi), true, nil
}

// cleanupTimeout bounds the removal of a temp file after a failure, which
// may need a fresh connection when the failure was a dropped one.
const cleanupTimeout = 15 * time.Second

// writeRecord puts the writers' record in place of old (removing it when
// nothing is left to record). Only editors holding the lock write it.
func (s *session) writeRecord(ctx context.Context, p string, old []byte, w *authorizedkeys.Writers,
	redial func(context.Context) (*session, error),
) error {
	if !w.HasEntries() {
		if err := s.sftp.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return s.fileError(ctx, "remove", p, err)
		}
		return nil
	}
	next := w.Bytes()
	if bytes.Equal(next, old) {
		return nil
	}
	replaced, err := s.replaceFile(ctx, p, old, next, 0o600, nil, redial, nil)
	if err == nil && !replaced {
		err = &ConflictError{Path: p, Addr: s.addr, Attempts: 1}
	}
	return err
}

// removeIfUnchanged removes p if it still holds old (a file the provider
// created and emptied again).
func (s *session) removeIfUnchanged(ctx context.Context, p string, old []byte, sent *bool) (bool, error) {
	now, err := s.readFile(p)
	if err != nil {
		return false, s.fileError(ctx, "read", p, err)
	}
	if !bytes.Equal(now, old) {
		return false, nil
	}
	*sent = true
	if err := s.sftp.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, s.fileError(ctx, "remove", p, err)
	}
	return true, nil
}

// resolve makes a path absolute against the login directory (the user's home).
func (s *session) resolve(p string) (string, error) {
	p = strings.TrimPrefix(p, "~/")
	if path.IsAbs(p) {
		return path.Clean(p), nil
	}
	home, err := s.sftp.Getwd()
	if err != nil {
		return "", err
	}
	return path.Join(home, p), nil
}

// readFile returns the file's content; a missing file reads as empty.
func (s *session) readFile(p string) ([]byte, error) {
	f, err := s.sftp.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// mkdirPrivate creates dir and any missing parents with mode 0700 and
// returns those it created, deepest first. An existing directory keeps its
// mode: it is the owner's to choose.
func (s *session) mkdirPrivate(dir string) ([]string, error) {
	fi, err := s.sftp.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return nil, fmt.Errorf("%s exists and is not a directory", dir)
		}
		return nil, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var created []string
	if parent := path.Dir(dir); parent != dir {
		if created, err = s.mkdirPrivate(parent); err != nil {
			return nil, err
		}
	}
	if err := s.sftp.Mkdir(dir); err != nil {
		// Lost a race with another creator: fine if it is a directory now.
		if fi, serr := s.sftp.Stat(dir); serr == nil && fi.IsDir() {
			return created, nil
		}
		return nil, err
	}
	return append([]string{dir}, created...), s.sftp.Chmod(dir, 0o700)
}

// replaceFile writes data to a temp file next to p with p's mode and owner
// and renames it over p, so readers see the old or the new file, never a
// partial one. Just before the rename it re-reads p: if p no longer holds
// old it drops the temp file and returns false (compare before rename). The
// temp file is removed on any failure, over a new connection if this one died.
func (s *session) replaceFile(ctx context.Context, p string, old, data []byte, mode fs.FileMode, owner *fileOwner,
	redial func(context.Context) (*session, error), sent *bool,
) (replaced bool, err error) {
	tmp := path.Join(path.Dir(p), "."+path.Base(p)+".tmp-"+randomSuffix())
	defer func() {
		if !replaced {
			s.removeTemp(ctx, tmp, redial)
		}
	}()

	if err := s.writeTemp(tmp, data, mode, owner); err != nil {
		return false, s.fileError(ctx, "write", tmp, err)
	}
	now, err := s.readFile(p)
	if err != nil {
		return false, s.fileError(ctx, "read", p, err)
	}
	if !bytes.Equal(now, old) {
		return false, nil
	}
	if sent != nil {
		*sent = true // from here on the new file may be in place whatever we hear back
	}
	if _, ok := s.sftp.HasExtension("posix-rename@openssh.com"); ok {
		if err := s.sftp.PosixRename(tmp, p); err != nil {
			return false, s.fileError(ctx, "replace", p, err)
		}
	} else {
		// Servers without posix-rename refuse to rename over a file; this
		// leaves a short window without the file, but never a partial one.
		if err := s.sftp.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, s.fileError(ctx, "replace", p, err)
		}
		if err := s.sftp.Rename(tmp, p); err != nil {
			return false, s.fileError(ctx, "replace", p, err)
		}
	}
	return true, nil
}

// writeTemp creates tmp (0600 until its bytes are in), writes data, then
// gives it the mode and owner the file it replaces had. All of that goes
// through the open handle (fsetstat), never the path: whoever may write the
// directory could swap tmp for a symlink to another file once it exists,
// and a chown or chmod by path would then land on that file.
func (s *session) writeTemp(tmp string, data []byte, mode fs.FileMode, owner *fileOwner) error {
	f, err := s.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	err = s.fillTemp(f, data, mode, owner)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *session) fillTemp(f *sftp.File, data []byte, mode fs.FileMode, owner *fileOwner) error {
	// Tighten the mode before any byte is written.
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if _, ok := s.sftp.HasExtension("fsync@openssh.com"); ok {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if owner != nil {
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if got := ownerOf(fi); got == nil || *got != *owner {
			if err := f.Chown(owner.uid, owner.gid); err != nil {
				return fmt.Errorf("cannot give the new file the owner %d:%d of the old one: %w", owner.uid, owner.gid, err)
			}
		}
	}
	if mode != 0o600 { // after chown, which may clear setuid/setgid bits
		return f.Chmod(mode)
	}
	return nil
}

// removeTemp deletes a leftover temp file, best effort and bounded in time.
func (s *session) removeTemp(ctx context.Context, tmp string, redial func(context.Context) (*session, error)) {
	err := s.sftp.Remove(tmp)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return
	}
	// The connection is likely gone (or ctx expired): use a fresh one.
	overFresh(ctx, redial, func(fresh *session) { _ = fresh.sftp.Remove(tmp) })
}

// overFresh runs cleanup over a fresh connection, best effort and bounded
// by cleanupTimeout, when the one it was meant for died (or ctx ended).
func overFresh(ctx context.Context, redial func(context.Context) (*session, error), cleanup func(*session)) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fresh, err := redial(cctx)
	if err != nil {
		return
	}
	defer fresh.close()
	cleanup(fresh)
}

// fileError turns an SFTP failure on p into an error a person can act on.
func (s *session) fileError(ctx context.Context, op, p string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s %s on %s: %w", op, p, s.addr, ctx.Err())
	}
	if errors.Is(err, fs.ErrPermission) {
		return &PermissionError{Op: op, Path: p, Addr: s.addr, Err: err}
	}
	if errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s %s on %s: the SSH connection was lost (%w)", op, p, s.addr, err)
	}
	return fmt.Errorf("%s %s on %s: %w", op, p, s.addr, err)
}

func randomSuffix() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return hex.EncodeToString(b)
}
