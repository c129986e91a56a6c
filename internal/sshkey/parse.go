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
// comment. It returns its byte offset and 1-based line number.
func firstContentLine(data []byte) (offset, lineNo int, ok bool) {
	lineNo = 1
	for offset < len(data) {
		end := bytes.IndexByte(data[offset:], '\n')
		var line []byte
		if end < 0 {
			line = data[offset:]
		} else {
			line = data[offset : offset+end]
		}
		trimmed := bytes.TrimLeft(line, " \t\r\f\v")
		if len(bytes.TrimSpace(trimmed)) > 0 && trimmed[0] != '#' {
			return offset + len(line) - len(trimmed), lineNo, true
		}
		if end < 0 {
			break
		}
		offset += end + 1
		lineNo++
	}
	return 0, 0, false
}

// lineReader walks text line by line, dropping the line ending (LF or CRLF).
type lineReader struct {
	rest   []byte
	lineNo int // number of the line last returned
}

func newLineReader(text []byte, firstLineNo int) *lineReader {
	return &lineReader{rest: text, lineNo: firstLineNo - 1}
}

func (r *lineReader) next() ([]byte, bool) {
	if len(r.rest) == 0 {
		return nil, false
	}
	var line []byte
	if i := bytes.IndexByte(r.rest, '\n'); i >= 0 {
		line, r.rest = r.rest[:i], r.rest[i+1:]
	} else {
		line, r.rest = r.rest, nil
	}
	r.lineNo++
	return bytes.TrimSuffix(line, []byte("\r")), true
}

// newKey builds a Key from a public key found in any format. The key is
// re-read from its own wire form so every path obeys the same rules and
// the blob is canonical.
func newKey(pub ssh.PublicKey, f Format, comment string, options []string, fromPrivate bool) (*Key, *ParseError) {
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
