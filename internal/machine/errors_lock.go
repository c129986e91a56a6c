package machine

import (
	"fmt"
)

// Errors about the machine-side lock file (see lock.go). Like those in
// errors.go they name the file and the machine, and say what a person can
// do about it.

// LockNotRegularError: the lock path holds something no run of this
// provider makes (a symlink, dangling or not, a directory, a device...).
// It is never followed nor removed: a person must look at it.
type LockNotRegularError struct {
	LockPath string
	Addr     string
	Kind     string // "a symlink to /x", "a directory", ...
}

func (e *LockNotRegularError) Error() string {
	return fmt.Sprintf("the edit lock %s on %s is %s, not a regular file: no run of this provider makes one, so it cannot be judged "+
		"and is not followed; remove %s on the machine and try again", e.LockPath, e.Addr, e.Kind, e.LockPath)
}
