package sshserver

import (
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// localName maps an absolute path on the machine ("/root/.ssh/x") to a name
// inside the os.Root ("root/.ssh/x"). os.Root refuses any name that would
// leave the directory, including through symlinks, so clients cannot escape.
func localName(p string) string {
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	if name == "" {
		return "."
	}
	return name
}

// machineError makes a path error speak in the machine's absolute paths.
func machineError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: "/" + strings.TrimPrefix(pe.Path, "/"), Err: pe.Err}
	}
	return err
}

// fsHandler serves the pkg/sftp request-server callbacks over the device's
// filesystem for one connection.
type fsHandler struct {
	root *os.Root
	conn *deviceConn
}

var (
	_ sftp.FileReader           = (*fsHandler)(nil)
	_ sftp.OpenFileWriter       = (*fsHandler)(nil)
	_ sftp.PosixRenameFileCmder = (*fsHandler)(nil)
	_ sftp.LstatFileLister      = (*fsHandler)(nil)
	_ sftp.ReadlinkFileLister   = (*fsHandler)(nil)
)

// Fileread opens a file for reading.
func (h *fsHandler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	h.conn.server.count(func(st *Stats) { st.FileReads++ })
	f, err := h.root.Open(localName(r.Filepath))
	if err != nil {
		return nil, machineError(err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		_ = f.Close()
		return nil, &fs.PathError{Op: "open", Path: r.Filepath, Err: syscall.EISDIR}
	}
	return f, nil
}

// Filewrite opens a file for writing only.
func (h *fsHandler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return h.openWritable(r, os.O_WRONLY)
}

// OpenFile opens a file for reading and writing.
func (h *fsHandler) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return h.openWritable(r, os.O_RDWR)
}

func (h *fsHandler) openWritable(r *sftp.Request, access int) (*faultyFile, error) {
	if h.conn.server.currentFaults().DenyWrite {
		return nil, &fs.PathError{Op: "open", Path: r.Filepath, Err: syscall.EACCES}
	}
	pf := r.Pflags()
	flags := access
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	// O_APPEND is left out on purpose: WriteAt cannot be used with it and
	// SFTP clients send explicit offsets anyway.
	perm := fs.FileMode(0o644) // what sshd's sftp-server gives under umask 022
	if r.AttrFlags().Permissions {
		perm = r.Attributes().FileMode().Perm()
	}
	f, err := h.root.OpenFile(localName(r.Filepath), flags, perm)
	if err != nil {
		return nil, machineError(err)
	}
	return &faultyFile{File: f, conn: h.conn}, nil
}

// faultyFile counts bytes written so a test can drop the connection mid-write.
type faultyFile struct {
	*os.File
	conn *deviceConn
}

// WriteAt writes at most what the injected fault allows, then drops the connection.
func (f *faultyFile) WriteAt(p []byte, off int64) (int, error) {
	allowed, drop := f.conn.allowWrite(len(p))
	n, err := f.File.WriteAt(p[:allowed], off)
	if drop {
		f.conn.drop()
		return n, errors.New("connection dropped (injected fault)")
	}
	return n, err
}

// Filecmd handles setstat, rename, mkdir, rmdir and remove.
func (h *fsHandler) Filecmd(r *sftp.Request) error {
	name := localName(r.Filepath)
	switch r.Method {
	case "Setstat":
		return machineError(h.setstat(r, name))
	case "Rename":
		// SFTP v3 rename must not replace an existing file.
		if _, err := h.root.Lstat(localName(r.Target)); err == nil {
			return &fs.PathError{Op: "rename", Path: r.Target, Err: syscall.EEXIST}
		}
		return h.rename(r)
	case "Mkdir":
		perm := fs.FileMode(0o755)
		if r.AttrFlags().Permissions {
			perm = r.Attributes().FileMode().Perm()
		}
		return machineError(h.root.Mkdir(name, perm))
	case "Rmdir":
		return h.removeKind(name, r.Filepath, true)
	case "Remove":
		return h.removeKind(name, r.Filepath, false)
	default:
		return sftp.ErrSSHFxOpUnsupported
	}
}

// PosixRename replaces the target atomically (posix-rename@openssh.com).
func (h *fsHandler) PosixRename(r *sftp.Request) error { return h.rename(r) }

func (h *fsHandler) rename(r *sftp.Request) error {
	faults := h.conn.server.currentFaults()
	if faults.FailRename {
		return errors.New("rename failed (injected fault)")
	}
	err := machineError(h.root.Rename(localName(r.Filepath), localName(r.Target)))
	if err == nil && strings.HasSuffix(r.Target, "/authorized_keys") && faults.DelayRenameReply > 0 {
		// The file is in place; the client hears of it late (a slow server,
		// or the moment a Ctrl-C or a timeout lands).
		time.Sleep(faults.DelayRenameReply)
	}
	return err
}

func (h *fsHandler) setstat(r *sftp.Request, name string) error {
	flags, attrs := r.AttrFlags(), r.Attributes()
	if flags.Size {
		if h.conn.server.currentFaults().DenyWrite {
			return &fs.PathError{Op: "truncate", Path: name, Err: syscall.EACCES}
		}
		if attrs.Size > math.MaxInt64 {
			return &fs.PathError{Op: "truncate", Path: name, Err: syscall.EINVAL}
		}
		f, err := h.root.OpenFile(name, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = f.Truncate(int64(attrs.Size))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if flags.Permissions {
		if err := h.root.Chmod(name, attrs.FileMode().Perm()); err != nil {
			return err
		}
	}
	if flags.Acmodtime {
		if err := h.root.Chtimes(name, attrs.AccessTime(), attrs.ModTime()); err != nil {
			return err
		}
	}
	return nil // owner changes are accepted and ignored: everything belongs to root
}

func (h *fsHandler) removeKind(name, shown string, wantDir bool) error {
	fi, err := h.root.Lstat(name)
	if err != nil {
		return machineError(err)
	}
	switch {
	case wantDir && !fi.IsDir():
		return &fs.PathError{Op: "rmdir", Path: shown, Err: syscall.ENOTDIR}
	case !wantDir && fi.IsDir():
		return &fs.PathError{Op: "remove", Path: shown, Err: syscall.EISDIR}
	}
	return machineError(h.root.Remove(name))
}

// Filelist handles list and stat.
func (h *fsHandler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	name := localName(r.Filepath)
	switch r.Method {
	case "List":
		f, err := h.root.Open(name)
		if err != nil {
			return nil, machineError(err)
		}
		defer f.Close()
		entries, err := f.Readdir(-1)
		if err != nil {
			return nil, machineError(err)
		}
		return listerAt(entries), nil
	case "Stat":
		fi, err := h.root.Stat(name)
		if err != nil {
			return nil, machineError(err)
		}
		return listerAt{fi}, nil
	default:
		return nil, sftp.ErrSSHFxOpUnsupported
	}
}

// Lstat describes a path without following a final symlink.
func (h *fsHandler) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	fi, err := h.root.Lstat(localName(r.Filepath))
	if err != nil {
		return nil, machineError(err)
	}
	return listerAt{fi}, nil
}

// Readlink returns a symlink's target as stored (relative or absolute).
func (h *fsHandler) Readlink(p string) (string, error) {
	target, err := h.root.Readlink(localName(p))
	return target, machineError(err)
}

type listerAt []fs.FileInfo

func (l listerAt) ListAt(dst []fs.FileInfo, offset int64) (int, error) {
	if offset >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[offset:])
	if n < len(dst) {
		return n, io.EOF
	}
	return n, nil
}
