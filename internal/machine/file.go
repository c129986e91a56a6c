package machine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"

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
func (s *session) locate(ctx context.Context, p string) (string, error) {
	abs, err := s.resolve(p)
	if err != nil {
		return "", s.fileError(ctx, "resolve", p, err)
	}
	for range maxSymlinks {
		fi, err := s.sftp.Lstat(abs)
		if errors.Is(err, fs.ErrNotExist) {
			return abs, nil
		}
		if err != nil {
			return "", s.fileError(ctx, "stat", abs, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return abs, nil
		}
		target, err := s.sftp.ReadLink(abs)
		if err != nil {
			return "", s.fileError(ctx, "read the symlink", abs, err)
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(abs), target)
		}
		abs = path.Clean(target)
	}
	return "", fmt.Errorf("%s on %s: too many levels of symbolic links", p, s.addr)
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
