package machine

import "fmt"

// UnsafeLinkError: the path to the file goes through a symlink that someone
// other than the login user or root could have planted or could change (the
// link, its target or a directory on the way belongs to another user or is
// writable by others). It is not followed and nothing is changed: otherwise
// root could be made to write its own authorized_keys through another
// user's link.
type UnsafeLinkError struct {
	Path      string // the path asked for
	Addr      string
	Link      string // the symlink that was not followed
	LinkOwner int    // its numeric owner
	Reason    string // what makes it unsafe
}

func (e *UnsafeLinkError) Error() string {
	return fmt.Sprintf("%s on %s: refusing to follow the symlink %s (owned by uid %d): %s; nothing was changed. "+
		"A symlink is followed only when it, its target and every directory on the way belong to the login user or root "+
		"and no one else can write them: replace the symlink with a regular file, or log in as the user who owns it",
		e.Path, e.Addr, e.Link, e.LinkOwner, e.Reason)
}
