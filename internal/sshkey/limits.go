package sshkey

import (
	"fmt"
	"strconv"
)

// The bounds below hold for every input, whatever its format, so hostile or
// mistaken input (a log file, a million options) costs at most a bounded
// amount of memory and time, and state and plan hold only bounded values.
const (
	// MaxInputSize is the largest input Parse reads. The largest real key
	// files are those of a 16384-bit RSA key, the most ssh-keygen makes:
	// 12.4 KiB as an OpenSSH private key, 12.3 KiB as PEM, 9.7 KiB as a .ppk.
	// 64 KiB leaves five times that, and room for an authorized_keys line
	// with MaxOptionsLength of options.
	MaxInputSize = 64 << 10

	// MaxCommentLength is the longest comment accepted, in bytes: RFC 4716
	// caps a header value (the Comment) at 1024 bytes, and the same bound
	// applies to comments from every other format.
	MaxCommentLength = 1024

	// MaxOptionsLength bounds the authorized_keys options in front of a
	// key, in bytes: a from="..." list of some 500 networks, or a long
	// command="...", fits; more is a sign of the wrong input.
	MaxOptionsLength = 8 << 10

	// MaxRSABits is the largest RSA modulus accepted: what ssh-keygen
	// makes at most and x/crypto/ssh accepts.
	MaxRSABits = 16384

	// maxEchoed is the most of the input any message quotes.
	maxEchoed = 40
)

// CheckSize refuses an input of n bytes before it is read or parsed, with
// the same message Parse gives. Callers that read files or receive large
// strings call it first, so a wrong file never has to be read whole.
func CheckSize(n int64) error {
	if n <= MaxInputSize {
		return nil
	}
	return &ParseError{Unread: true, Reason: fmt.Sprintf("the input is %s; the limit for an SSH key is %s, several "+
		"times the largest real key file (a 16384-bit RSA private key): is this the right file?", byteSize(n), byteSize(MaxInputSize))}
}

// byteSize says a size in bytes and, when large, in KiB or MiB.
func byteSize(n int64) string {
	s := strconv.FormatInt(n, 10) + " bytes"
	switch {
	case n >= 1<<20:
		s += fmt.Sprintf(" (%.1f MiB)", float64(n)/(1<<20))
	case n >= 1<<10:
		s += fmt.Sprintf(" (%.1f KiB)", float64(n)/(1<<10))
	}
	return s
}

// QuotePrefix quotes at most the first few characters of s for a message,
// marking the cut, so no message repeats much of what a user gave (which
// could be long, or a secret pasted in the wrong place).
func QuotePrefix(s string) string {
	if len(s) <= maxEchoed {
		return strconv.Quote(s)
	}
	cut := maxEchoed
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + fmt.Sprintf(" (first %d of %d bytes)", cut, len(s))
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
