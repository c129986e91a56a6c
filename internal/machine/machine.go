// Package machine edits a user's authorized_keys on a live machine over
// SSH/SFTP: verify the host key, log in with whatever credentials are
// available, then read-modify-write the file atomically (temp file + rename)
// and read it back to prove the edit landed. Edits of one file from this
// process are serialised so parallel callers never lose a line.
package machine

import (
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

// AddKey appends line (an authorized_keys line holding pub) unless a line
// with that key is already there, and reports whether the file changed.
func AddKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, line string, pub ssh.PublicKey) (bool, error) {
	if err := authorizedkeys.CheckLine(line, pub); err != nil {
		return false, err
	}
	changed := false
	err := edit(ctx, t, hk, c,
		func(f *authorizedkeys.File) bool {
			changed = f.Add(line, pub)
			return changed
		},
		func(f *authorizedkeys.File) string {
			if !f.Contains(pub) {
				return "the key line is missing"
			}
			return ""
		})
	return changed && err == nil, err
}

// RemoveKey drops exactly the lines holding pub and returns how many.
func RemoveKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, pub ssh.PublicKey) (int, error) {
	removed := 0
	err := edit(ctx, t, hk, c,
		func(f *authorizedkeys.File) bool {
			removed = f.Remove(pub)
			return removed > 0
		},
		func(f *authorizedkeys.File) string {
			if f.Contains(pub) {
				return "the key line is still there"
			}
			return ""
		})
	if err != nil {
		return 0, err
	}
	return removed, nil
}

// HasKey reports whether some line of the file holds pub. A missing file or
// directory means no. It takes no lock: writers replace the file atomically.
func HasKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, pub ssh.PublicKey) (bool, error) {
	t = t.withDefaults()
	s, err := dial(ctx, t, hk, c)
	if err != nil {
		return false, err
	}
	defer s.close()
	p, err := s.resolve(t.AuthorizedKeysPath)
	if err != nil {
		return false, s.fileError(ctx, "resolve", t.AuthorizedKeysPath, err)
	}
	data, err := s.readFile(p)
	if err != nil {
		return false, s.fileError(ctx, "read", p, err)
	}
	return authorizedkeys.Parse(data).Contains(pub), nil
}

// edit runs one locked read-modify-write-verify cycle. change edits the
// parsed file and reports whether it changed; verify returns "" when the
// re-read file holds the edit, or what is wrong.
func edit(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials,
	change func(*authorizedkeys.File) bool, verify func(*authorizedkeys.File) string,
) error {
	t = t.withDefaults()
	release, err := editLocks.acquire(ctx, lockKey(t))
	if err != nil {
		return fmt.Errorf("waiting for another edit of %s on %s: %w", t.AuthorizedKeysPath, t.addr(), err)
	}
	defer release()

	s, err := dial(ctx, t, hk, c)
	if err != nil {
		return err
	}
	defer s.close()

	p, err := s.resolve(t.AuthorizedKeysPath)
	if err != nil {
		return s.fileError(ctx, "resolve", t.AuthorizedKeysPath, err)
	}
	data, err := s.readFile(p)
	if err != nil {
		return s.fileError(ctx, "read", p, err)
	}
	f := authorizedkeys.Parse(data)
	if !change(f) {
		return nil
	}
	if err := s.mkdirPrivate(path.Dir(p)); err != nil {
		return s.fileError(ctx, "create directory", path.Dir(p), err)
	}
	if err := s.replaceFile(ctx, p, f.Bytes(), func(rctx context.Context) (*session, error) { return dial(rctx, t, hk, c) }); err != nil {
		return err
	}
	back, err := s.readFile(p)
	if err != nil {
		return s.fileError(ctx, "read back", p, err)
	}
	if problem := verify(authorizedkeys.Parse(back)); problem != "" {
		return &VerifyError{Path: p, Addr: s.addr, Reason: problem}
	}
	return nil
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

// replaceFile writes data to a temp file (0600) next to p and renames it
// over p, so readers see the old or the new file, never a partial one. The
// temp file is removed on any failure, over a new connection if this one died.
func (s *session) replaceFile(ctx context.Context, p string, data []byte, redial func(context.Context) (*session, error)) (err error) {
	tmp := path.Join(path.Dir(p), "."+path.Base(p)+".tmp-"+randomSuffix())
	renamed := false
	defer func() {
		if err != nil && !renamed {
			s.removeTemp(ctx, tmp, redial)
		}
	}()

	if err := s.writeTemp(tmp, data); err != nil {
		return s.fileError(ctx, "write", tmp, err)
	}
	if _, ok := s.sftp.HasExtension("posix-rename@openssh.com"); ok {
		if err := s.sftp.PosixRename(tmp, p); err != nil {
			return s.fileError(ctx, "replace", p, err)
		}
	} else {
		// Servers without posix-rename refuse to rename over a file; this
		// leaves a short window without the file, but never a partial one.
		if err := s.sftp.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return s.fileError(ctx, "replace", p, err)
		}
		if err := s.sftp.Rename(tmp, p); err != nil {
			return s.fileError(ctx, "replace", p, err)
		}
	}
	renamed = true
	return nil
}

func (s *session) writeTemp(tmp string, data []byte) error {
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
	return f.Close()
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
