// Package machine edits a user's authorized_keys on a live machine over
// SSH/SFTP: verify the host key (or trust it on first use and report it),
// log in with whatever credentials are available, then read-modify-write
// the file as its admin left it (symlink target, mode, owner, line endings)
// under a lock file beside it, replacing it atomically only if it did not
// change meanwhile, and read it back to prove the edit landed. Edits of one
// file are serialised inside this process too, so parallel callers in one
// process or many never lose a line. Refused or reset connections are
// retried with bounded backoff.
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

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
)

// cleanupTimeout bounds the removal of a temp file after a failure, which
// may need a fresh connection when the failure was a dropped one.
const cleanupTimeout = 15 * time.Second

// editAttempts bounds compare-before-rename retries when the file changes
// under us (an editor that does not take the lock).
const editAttempts = 5

// AddResult says what AddKey found and did.
type AddResult struct {
	Outcome
	Added    bool   // the line was written
	Existing string // the line already holding the key (so nothing was written), else ""
}

// AddKey appends line (an authorized_keys line holding pub) unless a line
// with that key is already there, in which case it reports that line and
// leaves the file alone.
func AddKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, line string, pub ssh.PublicKey) (AddResult, error) {
	return (*Pool)(nil).AddKey(ctx, t, hk, c, line, pub)
}

// AddKey is the package's AddKey over the pool's connections.
func (p *Pool) AddKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, line string, pub ssh.PublicKey) (AddResult, error) {
	var res AddResult
	if err := authorizedkeys.CheckLine(line, pub); err != nil {
		return res, err
	}
	out, err := p.edit(ctx, t, hk, c, true,
		func(f *authorizedkeys.File) bool {
			res.Existing, _ = f.Line(pub)
			res.Added = res.Existing == "" && f.Add(line, pub)
			return res.Added
		},
		func(f *authorizedkeys.File) string {
			if !f.Contains(pub) {
				return "the key line is missing"
			}
			return ""
		})
	res.Outcome = out
	if err != nil {
		res.Added = false
	}
	return res, err
}

// ReplaceResult says what ReplaceKey did.
type ReplaceResult struct {
	Outcome
	Changed bool
}

// ReplaceKey makes the line holding pub read line (for new options), in
// place; when no line holds pub it appends line.
func ReplaceKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, line string, pub ssh.PublicKey) (ReplaceResult, error) {
	return (*Pool)(nil).ReplaceKey(ctx, t, hk, c, line, pub)
}

// ReplaceKey is the package's ReplaceKey over the pool's connections.
func (p *Pool) ReplaceKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, line string, pub ssh.PublicKey) (ReplaceResult, error) {
	var res ReplaceResult
	if err := authorizedkeys.CheckLine(line, pub); err != nil {
		return res, err
	}
	out, err := p.edit(ctx, t, hk, c, true,
		func(f *authorizedkeys.File) bool {
			res.Changed = f.Replace(pub, line) || f.Add(line, pub)
			return res.Changed
		},
		func(f *authorizedkeys.File) string {
			if got, _ := f.Line(pub); got != line {
				return "the key line does not read as written"
			}
			return ""
		})
	res.Outcome = out
	return res, err
}

// RemoveResult says what RemoveKey did.
type RemoveResult struct {
	Outcome
	Removed bool
}

// RemoveKey drops the one line that was written as line for pub (see
// authorizedkeys.File.RemoveLine); every other line stays.
func RemoveKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, line string, pub ssh.PublicKey) (RemoveResult, error) {
	return (*Pool)(nil).RemoveKey(ctx, t, hk, c, line, pub)
}

// RemoveKey is the package's RemoveKey over the pool's connections.
func (p *Pool) RemoveKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, line string, pub ssh.PublicKey) (RemoveResult, error) {
	var res RemoveResult
	before := 0
	out, err := p.edit(ctx, t, hk, c, false,
		func(f *authorizedkeys.File) bool {
			before = f.Count(pub)
			res.Removed = f.RemoveLine(pub, line)
			return res.Removed
		},
		func(f *authorizedkeys.File) string {
			if f.Count(pub) != before-1 {
				return "the key line is still there"
			}
			return ""
		})
	res.Outcome = out
	if err != nil {
		res.Removed = false
	}
	return res, err
}

// FindResult says what FindKey saw.
type FindResult struct {
	Outcome
	Line  string // the first line holding the key
	Found bool
}

// FindKey returns the line holding pub, if any. A missing file or directory
// means none. It takes no lock: writers replace the file atomically.
func FindKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, pub ssh.PublicKey) (FindResult, error) {
	return (*Pool)(nil).FindKey(ctx, t, hk, c, pub)
}

// FindKey is the package's FindKey over the pool's connections and its
// shared read of the file.
func (p *Pool) FindKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, pub ssh.PublicKey) (FindResult, error) {
	var res FindResult
	data, out, err := p.ReadKeys(ctx, t, hk, c)
	res.Outcome = out
	if err != nil {
		return res, err
	}
	res.Line, res.Found = authorizedkeys.Parse(data).Line(pub)
	return res, nil
}

// ReadKeys returns the authorized_keys file as it is (nil when missing), for
// callers that look at every line. Concurrent and recent callers of one pool
// share one read.
func (p *Pool) ReadKeys(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials) ([]byte, Outcome, error) {
	return p.readFile(ctx, t.withDefaults(), hk, c)
}

// edit runs one locked read-modify-write-verify cycle. change edits the
// parsed file and reports whether it changed; verify returns "" when the
// re-read file holds the edit, or what is wrong. create says whether a
// missing file (and directory) may be created.
func (pool *Pool) edit(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, create bool,
	change func(*authorizedkeys.File) bool, verify func(*authorizedkeys.File) string,
) (_ Outcome, err error) {
	t = t.withDefaults()
	release, err := editLocks.acquire(ctx, lockKey(t))
	if err != nil {
		return Outcome{}, fmt.Errorf("waiting for another edit of %s on %s: %w", t.AuthorizedKeysPath, t.addr(), err)
	}
	defer release()
	// Whatever happens next, reads from before it are not to be reused.
	defer bumpWriteGen(lockKey(t))

	s, err := pool.session(ctx, t, hk, c)
	if err != nil {
		return Outcome{}, err
	}
	defer s.close()
	// Cleanup after a lost connection uses a connection of its own.
	redial := func(rctx context.Context) (*session, error) { return dial(rctx, t, hk, c) }

	p, err := s.locate(ctx, t.AuthorizedKeysPath)
	if err != nil {
		return s.outcome, err
	}
	mode, owner, exists, err := s.fileMode(ctx, p)
	if err != nil {
		return s.outcome, err
	}
	if !exists {
		if !create {
			return s.outcome, nil // nothing there to remove
		}
		if err := s.mkdirPrivate(path.Dir(p)); err != nil {
			return s.outcome, s.fileError(ctx, "create directory", path.Dir(p), err)
		}
	}
	// The work under the lock is bounded by a context of its own (LockHoldMax).
	ctx, unlock, err := s.remoteLock(ctx, p, redial)
	if err != nil {
		return s.outcome, err
	}
	defer func() { err = unlock(err) }()

	for range editAttempts {
		data, err := s.readFile(p)
		if err != nil {
			return s.outcome, s.fileError(ctx, "read", p, err)
		}
		f := authorizedkeys.Parse(data)
		if !change(f) {
			return s.outcome, nil
		}
		replaced, err := s.replaceFile(ctx, p, data, f.Bytes(), mode, owner, redial)
		if err != nil {
			return s.outcome, err
		}
		if !replaced {
			continue // changed under us: start over from what is there now
		}
		back, err := s.readFile(p)
		if err != nil {
			return s.outcome, s.fileError(ctx, "read back", p, err)
		}
		if problem := verify(authorizedkeys.Parse(back)); problem != "" {
			return s.outcome, &VerifyError{Path: p, Addr: s.addr, Reason: problem}
		}
		return s.outcome, nil
	}
	return s.outcome, &ConflictError{Path: p, Addr: s.addr, Attempts: editAttempts}
}

// lockKey names one file on one machine; "~/x" and "x" are the same file.
func lockKey(t Target) string {
	p := path.Clean(strings.TrimPrefix(t.AuthorizedKeysPath, "~/"))
	return t.User + "@" + t.addr() + ":" + p
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

// mkdirPrivate creates dir and any missing parents with mode 0700. An
// existing directory keeps its mode: it is the owner's to choose.
func (s *session) mkdirPrivate(dir string) error {
	fi, err := s.sftp.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := path.Dir(dir); parent != dir {
		if err := s.mkdirPrivate(parent); err != nil {
			return err
		}
	}
	if err := s.sftp.Mkdir(dir); err != nil {
		// Lost a race with another creator: fine if it is a directory now.
		if fi, serr := s.sftp.Stat(dir); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	return s.sftp.Chmod(dir, 0o700)
}

// replaceFile writes data to a temp file next to p with p's mode and owner
// and renames it over p, so readers see the old or the new file, never a
// partial one. Just before the rename it re-reads p: if p no longer holds
// old it drops the temp file and returns false (compare before rename). The
// temp file is removed on any failure, over a new connection if this one died.
func (s *session) replaceFile(ctx context.Context, p string, old, data []byte, mode fs.FileMode, owner *fileOwner,
	redial func(context.Context) (*session, error),
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
// gives it the mode and owner the file it replaces had.
func (s *session) writeTemp(tmp string, data []byte, mode fs.FileMode, owner *fileOwner) error {
	f, err := s.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	// Tighten the mode before any byte is written.
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if _, ok := s.sftp.HasExtension("fsync@openssh.com"); ok {
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if owner != nil {
		fi, err := s.sftp.Stat(tmp)
		if err != nil {
			return err
		}
		if got := ownerOf(fi); got == nil || *got != *owner {
			if err := s.sftp.Chown(tmp, owner.uid, owner.gid); err != nil {
				return fmt.Errorf("cannot give the new file the owner %d:%d of the old one: %w", owner.uid, owner.gid, err)
			}
		}
	}
	if mode != 0o600 {
		return s.sftp.Chmod(tmp, mode)
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
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	fresh, err := redial(cctx)
	if err != nil {
		return
	}
	defer fresh.close()
	_ = fresh.sftp.Remove(tmp)
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
