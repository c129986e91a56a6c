package sshkey

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// Parse detects the format of data and reads the one public key it holds.
// Errors are *ParseError.
func Parse(data []byte, opts Options) (*Key, error) {
	if err := CheckSize(int64(len(data))); err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	start, lineNo, ok := firstContentLine(data)
	if !ok {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, parseErr("", 0, "the input is empty")
		}
		return nil, parseErr("", 0, "the input holds only comment lines; "+unrecognisedReason)
	}
	first := data[start:]
	switch {
	case bytes.HasPrefix(first, []byte("-----BEGIN ")):
		return parsePEM(first, opts)
	case bytes.HasPrefix(first, []byte(rfc4716Begin)):
		return parseRFC4716(data[start:], lineNo)
	case bytes.HasPrefix(first, []byte("PuTTY-User-Key-File-")):
		return parsePPK(data[start:], lineNo)
	case bytes.HasPrefix(first, []byte("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY")):
		return nil, parseErr("", 0, "this is an ssh.com private key, which is not supported; "+
			"export the public half with `puttygen KEY -O public-openssh`")
	case bytes.HasPrefix(first, []byte("SSH PRIVATE KEY FILE FORMAT 1.1")):
		return nil, parseErr("", 0, "this is an SSH-1 private key, which is not supported; generate a new ed25519 key")
	}
	return parseOpenSSHText(data[start:], lineNo)
}

// LooksPrivate reports whether data seems to hold private key material in
// any armour this package knows (or PuTTY/ssh.com/SSH-1 form). It does not
// parse; it is meant for refusing input early and cheaply.
func LooksPrivate(data []byte) bool {
	for _, marker := range privateMarkers {
		if bytes.Contains(data, marker) {
			return true
		}
	}
	return false
}

var privateMarkers = [][]byte{
	[]byte("PRIVATE KEY-----"),            // PEM and OpenSSH armour, incl. ENCRYPTED PRIVATE KEY
	[]byte("PuTTY-User-Key-File-"),        // .ppk
	[]byte("SSH2 ENCRYPTED PRIVATE KEY"),  // ssh.com
	[]byte("SSH PRIVATE KEY FILE FORMAT"), // SSH-1
}

// firstContentLine finds the first line that is neither blank nor a '#'
// comment. It returns its byte offset and 1-based line number. Lines end
// in LF, CRLF or a bare CR, so an RFC 4716 block from an old Mac editor is
// found and numbered like any other.
func firstContentLine(data []byte) (offset, lineNo int, ok bool) {
	r := lineReader{rest: data, anyEOL: true}
	for {
		start := len(data) - len(r.rest)
		line, more := r.next()
		if !more {
			return 0, 0, false
		}
		trimmed := bytes.TrimLeft(line, " \t\f\v")
		if len(bytes.TrimSpace(trimmed)) > 0 && trimmed[0] != '#' {
			return start + len(line) - len(trimmed), r.lineNo, true
		}
	}
}

// lineReader walks text line by line, dropping the line ending: LF or
// CRLF, and with anyEOL also a bare CR (RFC 4716 §3.1 allows all three,
// mixed). Other formats end lines in LF or CRLF only, as OpenSSH and PuTTY
// read them.
type lineReader struct {
	rest   []byte
	lineNo int // number of the line last returned
	anyEOL bool
}

func newLineReader(text []byte, firstLineNo int) *lineReader {
	return &lineReader{rest: text, lineNo: firstLineNo - 1}
}

func (r *lineReader) next() ([]byte, bool) {
	if len(r.rest) == 0 {
		return nil, false
	}
	r.lineNo++
	if !r.anyEOL {
		var line []byte
		if i := bytes.IndexByte(r.rest, '\n'); i >= 0 {
			line, r.rest = r.rest[:i], r.rest[i+1:]
		} else {
			line, r.rest = r.rest, nil
		}
		return bytes.TrimSuffix(line, []byte("\r")), true
	}
	i := bytes.IndexAny(r.rest, "\r\n")
	if i < 0 {
		line := r.rest
		r.rest = nil
		return line, true
	}
	line, eol := r.rest[:i], 1
	if r.rest[i] == '\r' && i+1 < len(r.rest) && r.rest[i+1] == '\n' {
		eol = 2
	}
	r.rest = r.rest[i+eol:]
	return line, true
}

// newKey builds a Key from a public key found in any format. The key is
// re-read from its own wire form so every path obeys the same rules and
// the blob is canonical.
func newKey(pub ssh.PublicKey, f Format, comment string, options []string, fromPrivate bool) (*Key, *ParseError) {
	if len(comment) > MaxCommentLength {
		return nil, parseErr(f, 0, "the comment is "+byteSize(int64(len(comment)))+"; the limit is "+
			byteSize(MaxCommentLength)+": shorten it")
	}
	blob := pub.Marshal()
	canon, reason := parseBlob(blob)
	if reason != "" {
		return nil, parseErr(f, 0, reason)
	}
	return &Key{
		pub:         canon,
		blob:        blob,
		comment:     cleanComment(comment),
		options:     options,
		format:      f,
		fromPrivate: fromPrivate,
	}, nil
}

// cleanComment keeps a comment usable on one line and as a Terraform
// string: control characters other than tab become spaces and invalid
// UTF-8 is replaced.
func cleanComment(c string) string {
	c = strings.ToValidUTF8(c, string(utf8.RuneError))
	c = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return ' '
		}
		return r
	}, c)
	return strings.TrimSpace(c)
}

// decodeBase64 accepts standard base64 with or without padding.
func decodeBase64(s []byte) ([]byte, bool) {
	// Sized for the unpadded decoder, which may need more room than the
	// padded one's DecodedLen (fuzzing found "00").
	out := make([]byte, b64Raw.DecodedLen(len(s))+3)
	n, err := b64.Decode(out, s)
	if err == nil {
		return out[:n], true
	}
	n, err = b64Raw.Decode(out, s)
	if err == nil {
		return out[:n], true
	}
	return nil, false
}
