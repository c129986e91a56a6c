//go:build unix

package machine

import (
	"errors"
	"syscall"
)

// processGone reports whether no process with this pid runs on this host.
// Signal 0 checks without signalling; EPERM means it runs as someone else.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
