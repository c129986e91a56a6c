package machine

import (
	"fmt"
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

// AuthError: the machine refused every credential offered.
type AuthError struct {
	User    string
	Addr    string
	Tried   []string // credential names only, e.g. "private_key_file /home/me/.ssh/id_ed25519"
	Skipped []string // credentials that could not be used, with the reason
	Err     error
}

func (e *AuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "SSH login as %q to %s failed", e.User, e.Addr)
	if len(e.Tried) == 0 {
		b.WriteString(": no credentials available (set the provider's ssh.private_key or private_key_file, run an ssh-agent, or set use_root_password)")
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

// HostKeyMismatchError: the machine presented a host key other than the expected one.
type HostKeyMismatchError struct {
	Addr     string
	Expected []string // SHA256 fingerprints that would have been accepted
	Got      string   // SHA256 fingerprint presented
	GotType  string
	Source   string // where the expected key came from: "host_key" or the known_hosts path
}

func (e *HostKeyMismatchError) Error() string {
	return fmt.Sprintf("host key mismatch for %s: expected %s (from %s), got %s %s; nothing was changed on the machine. "+
		"If the machine was reinstalled, update the expected host key; otherwise something may be intercepting the connection",
		e.Addr, strings.Join(e.Expected, " or "), e.Source, e.GotType, e.Got)
}

// UnknownHostError: the known_hosts file has no entry for the machine.
type UnknownHostError struct {
	Addr           string
	KnownHostsFile string
	Got            string // SHA256 fingerprint presented
	GotType        string
}

func (e *UnknownHostError) Error() string {
	return fmt.Sprintf("host %s is not in known_hosts file %s (it presented %s %s); add it there or set connection.host_key",
		e.Addr, e.KnownHostsFile, e.GotType, e.Got)
}

// HostKeyPolicyError: the configuration gives no way to verify the host key,
// or the way it gives cannot be used.
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

// VerifyError: the file read back after writing does not hold the edit.
type VerifyError struct {
	Path   string
	Addr   string
	Reason string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("verifying %s on %s after writing: %s (did something else change the file at the same time?)", e.Path, e.Addr, e.Reason)
}
