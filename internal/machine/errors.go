package machine

import (
	"fmt"
	"io/fs"
	"strings"
)

// The error types below let callers react to the kind of failure (for
// example: an unreachable machine at refresh is a warning, not an error).
// None of them ever carries a private key, passphrase or password.

// UnreachableError: no TCP connection or no SSH handshake with the machine.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("cannot reach %s over SSH: %v (check that the machine is up, the address and port are right, and no firewall blocks it)", e.Addr, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// JumpError: the jump host in front of the machine failed (it could not
// be reached, it did not prove its identity, it refused the login, or it
// would not forward the connection). Err is the jump host's own error
// (an *UnreachableError, *HostKeyMismatchError, *AuthError, ...); errors
// without a JumpError around them are the target's.
type JumpError struct {
	Addr string // the jump host's host:port
	Err  error
}

func (e *JumpError) Error() string { return fmt.Sprintf("jump host %s: %v", e.Addr, e.Err) }

func (e *JumpError) Unwrap() error { return e.Err }

// AuthError: the machine refused every credential offered.
type AuthError struct {
	User    string
	Addr    string
	Tried   []string // credential names only, e.g. "private key file /home/me/.ssh/id_ed25519"
	Skipped []string // credentials that could not be used, with the reason
	Err     error
}

func (e *AuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "SSH login as %q to %s failed", e.User, e.Addr)
	if len(e.Tried) == 0 {
		b.WriteString(": no credentials to offer (no private key, no usable ssh-agent, no key file, no password)")
	} else {
		fmt.Fprintf(&b, "; tried: %s", strings.Join(e.Tried, ", "))
	}
	if len(e.Skipped) > 0 {
		fmt.Fprintf(&b, "; not usable: %s", strings.Join(e.Skipped, "; "))
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	return b.String()
}

func (e *AuthError) Unwrap() error { return e.Err }

// HostKeySource says where an expected host key came from.
type HostKeySource int

const (
	// SourceGiven: the caller gave the host key itself.
	SourceGiven HostKeySource = iota
	// SourceKnownHosts: a known_hosts file.
	SourceKnownHosts
	// SourcePinned: the key seen at the first connection (trust on first use).
	SourcePinned
)

func (s HostKeySource) String() string {
	switch s {
	case SourceKnownHosts:
		return "the known_hosts file"
	case SourcePinned:
		return "the host key pinned at the first connection"
	default:
		return "the expected host key"
	}
}

// HostKeyMismatchError: the machine presented a host key other than the expected one.
type HostKeyMismatchError struct {
	Addr           string
	Expected       []string // SHA256 fingerprints that would have been accepted
	Got            string   // SHA256 fingerprint presented
	GotType        string
	Source         HostKeySource
	KnownHostsFile string // with SourceKnownHosts
}

func (e *HostKeyMismatchError) Error() string {
	from := e.Source.String()
	if e.Source == SourceKnownHosts {
		from += " " + e.KnownHostsFile
	}
	return fmt.Sprintf("host key mismatch for %s: expected %s (%s), the machine presented %s %s; nothing was changed on the machine. "+
		"If the machine was reinstalled, its host key changed and the expected one must be updated; otherwise something may be intercepting the connection",
		e.Addr, strings.Join(e.Expected, " or "), from, e.GotType, e.Got)
}

// UnknownHostError: the known_hosts file has no entry for the machine.
type UnknownHostError struct {
	Addr           string
	KnownHostsFile string
	Got            string // SHA256 fingerprint presented
	GotType        string
}

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("host %s is not in the known_hosts file %s (it presented %s %s); nothing was changed on the machine",
		e.Addr, e.KnownHostsFile, e.GotType, e.Got)
}

// HostKeyPolicyError: the expected host key or known_hosts file given cannot
// be used (unparsable, unreadable).
type HostKeyPolicyError struct {
	Reason string
}

func (e *HostKeyPolicyError) Error() string { return e.Reason }

// PermissionError: the machine denied access to a file or directory.
type PermissionError struct {
	Op   string // "read", "create directory", "write", "replace", ...
	Path string
	Addr string
	Err  error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("permission denied to %s %s on %s: %v (check the login user owns it and the filesystem is writable)", e.Op, e.Path, e.Addr, e.Err)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// ReadOnlyError: the file exists but its owner may not write it, which says
// someone made it read-only on purpose; it is left alone.
type ReadOnlyError struct {
	Path string
	Addr string
	Mode fs.FileMode
}

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("%s on %s is read-only (mode %04o): its owner cannot write it, so it is left as it is; "+
		"make it writable by its owner (e.g. chmod 600) if it should be edited", e.Path, e.Addr, e.Mode.Perm())
}

// NotRegularError: the path (after following symlinks) is not a plain file.
type NotRegularError struct {
	Path string
	Addr string
	Kind string
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s on %s is %s, not a regular file", e.Path, e.Addr, e.Kind)
}

// LockedError: another editor held the machine-side lock beyond the wait.
type LockedError struct {
	LockPath string
	Addr     string
	Holder   string
	Err      error
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("waiting for the edit lock %s on %s (held by %s): %v", e.LockPath, e.Addr, e.Holder, e.Err)
}

func (e *LockedError) Unwrap() error { return e.Err }

// ConflictError: the file kept changing under us (an editor that ignores the
// lock), so no version could be replaced safely.
type ConflictError struct {
	Path     string
	Addr     string
	Attempts int
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s on %s changed while it was being edited, %d times in a row; nothing was overwritten. "+
		"Something else edits the file without taking the lock; try again", e.Path, e.Addr, e.Attempts)
}

// VerifyError: the file read back after writing does not hold the edit.
type VerifyError struct {
	Path   string
	Addr   string
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("verifying %s on %s after writing: %s (did something else change the file at the same time?)", e.Path, e.Addr, e.Reason)
}
