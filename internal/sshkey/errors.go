package sshkey

import "strconv"

// ParseError says which format was recognised and what is wrong with it.
// It never quotes private key material or passphrases.
type ParseError struct {
	Format Format // what was recognised; "" if nothing was
	Line   int    // 1-based line of the problem; 0 if not tied to a line
	Reason string
	// Unread is set when the input was refused before it was looked at
	// (it is over a size bound): the message then names no format.
	Unread bool
}

func (e *ParseError) Error() string {
	if e.Unread {
		return e.Reason
	}
	prefix := "not a recognised SSH key"
	if e.Format != "" {
		prefix = e.Format.Description()
	}
	msg := prefix + ": " + e.Reason
	if e.Line > 0 {
		msg += " at line " + strconv.Itoa(e.Line)
	}
	return msg
}

// unrecognisedReason lists what Parse accepts, for input it cannot place.
const unrecognisedReason = "expected an OpenSSH public key line, an RFC 4716 block, " +
	"a PuTTY .ppk file or a PEM/OpenSSH private key"

func parseErr(f Format, line int, reason string) *ParseError {
	return &ParseError{Format: f, Line: line, Reason: reason}
}
