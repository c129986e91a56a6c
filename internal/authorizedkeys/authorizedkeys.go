// Package authorizedkeys edits the text of an OpenSSH authorized_keys file
// the way a careful person would: it adds or removes the lines of one key
// (matched by key blob, never by comment or options) and leaves every other
// byte, line and line ending exactly as it was.
//
// It does no I/O; reading and writing the file is the caller's job.
package authorizedkeys

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"

	"golang.org/x/crypto/ssh"
)

// line is one line of the file: its text without the line ending, and the
// ending itself ("\n", "\r\n", "\r" or "" for a last line without one).
type line struct {
	text   []byte
	ending string
	blob   []byte // wire-format key blob when the line holds a key, else nil
}

// File is a parsed authorized_keys file. The zero value is an empty file.
type File struct {
	lines []line
}

// Parse splits data into lines at LF, CRLF and bare CR, so a file written on
// any system round-trips byte for byte. It never fails: comments, blank
// lines and lines it cannot read as a key are kept verbatim and never match.
func Parse(data []byte) *File {
	f := &File{}
	for len(data) > 0 {
		var l line
		i := bytes.IndexAny(data, "\r\n")
		switch {
		case i < 0:
			l.text, data = data, nil
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
			l.text, l.ending, data = data[:i], "\r\n", data[i+2:]
		default:
			l.text, l.ending, data = data[:i], string(data[i]), data[i+1:]
		}
		l.text = bytes.Clone(l.text)
		l.blob = keyBlob(l.text)
		f.lines = append(f.lines, l)
	}
	return f
}

// Bytes returns the file's content.
func (f *File) Bytes() []byte {
	var buf bytes.Buffer
	for _, l := range f.lines {
		buf.Write(l.text)
		buf.WriteString(l.ending)
	}
	return buf.Bytes()
}

// Contains reports whether some line holds pub, whatever its options or comment.
func (f *File) Contains(pub ssh.PublicKey) bool {
	want := pub.Marshal()
	for _, l := range f.lines {
		if bytes.Equal(l.blob, want) {
			return true
		}
	}
	return false
}

// Line returns the text of the first line holding pub (options, key and
// comment as the file has them) and whether there is one.
func (f *File) Line(pub ssh.PublicKey) (string, bool) {
	if i := f.index(pub, ""); i >= 0 {
		return string(f.lines[i].text), true
	}
	return "", false
}

// index is the first line holding pub (with exactly text, when given), or -1.
func (f *File) index(pub ssh.PublicKey, text string) int {
	want := pub.Marshal()
	for i, l := range f.lines {
		if bytes.Equal(l.blob, want) && (text == "" || string(l.text) == text) {
			return i
		}
	}
	return -1
}

// Count returns how many lines hold pub (a key can be listed more than once).
func (f *File) Count(pub ssh.PublicKey) int {
	want := pub.Marshal()
	n := 0
	for _, l := range f.lines {
		if bytes.Equal(l.blob, want) {
			n++
		}
	}
	return n
}

// Add appends text as a new line unless a line already holds pub, and
// reports whether the file changed. text must be one line; check it first
// with CheckLine (Add refuses text with a line break and returns false).
//
// The new line uses the file's own line ending. In a file whose last line has
// no ending, that line gets one (to separate the new line) and the new line is
// left without one, so the file keeps its "no trailing newline" shape and a
// later Remove restores the original bytes exactly.
func (f *File) Add(text string, pub ssh.PublicKey) bool {
	if f.Contains(pub) {
		return false
	}
	return f.Append(text, pub)
}

// Append adds text as the last line even when other lines hold pub (lines
// of one key with other options are other lines), with Add's line endings.
// It refuses text with a line break.
func (f *File) Append(text string, pub ssh.PublicKey) bool {
	if strings.ContainsAny(text, "\r\n") {
		return false
	}
	eol := f.lineEnding()
	newEnding := eol
	if n := len(f.lines); n > 0 && f.lines[n-1].ending == "" {
		f.lines[n-1].ending = eol
		newEnding = ""
	}
	f.lines = append(f.lines, line{text: []byte(text), ending: newEnding, blob: pub.Marshal()})
	return true
}

// Remove drops exactly the lines that hold pub and returns how many.
// If the dropped last line had no line ending, the new last line loses its
// ending too, so a file without a trailing newline keeps that shape.
func (f *File) Remove(pub ssh.PublicKey) int {
	want := pub.Marshal()
	kept := f.lines[:0]
	removed := 0
	lastHadNoEnding := false
	for i, l := range f.lines {
		if bytes.Equal(l.blob, want) {
			removed++
			if i == len(f.lines)-1 && l.ending == "" {
				lastHadNoEnding = true
			}
			continue
		}
		kept = append(kept, l)
	}
	clear(f.lines[len(kept):])
	f.lines = kept
	if lastHadNoEnding && len(f.lines) > 0 {
		f.lines[len(f.lines)-1].ending = ""
	}
	return removed
}

// lineEnding is the ending new lines get: the first one the file uses,
// LF for a file that has none yet.
func (f *File) lineEnding() string {
	for _, l := range f.lines {
		if l.ending != "" {
			return l.ending
		}
	}
	return "\n"
}

// ErrInvalidLine is returned by CheckLine; the message says what is wrong.
var ErrInvalidLine = errors.New("invalid authorized_keys line")

// CheckLine verifies that text is a single authorized_keys line (options
// allowed) whose key is pub. Callers run it before Add so a malformed or
// mismatched line never reaches a machine.
func CheckLine(text string, pub ssh.PublicKey) error {
	if strings.ContainsAny(text, "\r\n") {
		return errors.Join(ErrInvalidLine, errors.New("the line contains a line break"))
	}
	blob := keyBlob([]byte(text))
	if blob == nil {
		return errors.Join(ErrInvalidLine, errors.New("no public key found in the line"))
	}
	if !bytes.Equal(blob, pub.Marshal()) {
		return errors.Join(ErrInvalidLine, errors.New("the line holds a different key"))
	}
	return nil
}

// keyBlob returns the key blob a line holds, or nil for comments, blanks and
// lines that hold no readable key. Like sshd, it first tries the line as
// "type base64 [comment]" and, failing that, skips an options field first.
func keyBlob(text []byte) []byte {
	s := strings.TrimLeft(string(text), " \t")
	if s == "" || s[0] == '#' {
		return nil
	}
	if blob := typeAndBlob(s); blob != nil {
		return blob
	}
	rest, ok := skipOptions(s)
	if !ok {
		return nil
	}
	return typeAndBlob(strings.TrimLeft(rest, " \t"))
}

// typeAndBlob reads "type base64 ..." and returns the decoded blob when it is
// well formed and names the same key type as the first field.
func typeAndBlob(s string) []byte {
	keyType, rest, ok := cutField(s)
	if !ok {
		return nil
	}
	encoded, _, _ := cutField(strings.TrimLeft(rest, " \t"))
	if encoded == "" {
		return nil
	}
	blob, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		blob, err = base64.RawStdEncoding.DecodeString(encoded)
		if err != nil {
			return nil
		}
	}
	if blobType(blob) != keyType {
		return nil
	}
	return blob
}

// blobType is the algorithm name that starts a wire-format key blob.
func blobType(blob []byte) string {
	if len(blob) < 4 {
		return ""
	}
	n := int64(binary.BigEndian.Uint32(blob))
	if n > int64(len(blob)-4) {
		return ""
	}
	return string(blob[4 : 4+n])
}

// cutField splits s at the first space or tab. ok is false when s is empty.
func cutField(s string) (field, rest string, ok bool) {
	if s == "" {
		return "", "", false
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i:], true
	}
	return s, "", true
}

// skipOptions skips the options field (comma-separated, values may be quoted
// and contain spaces, commas and \" escapes) and returns what follows it.
func skipOptions(s string) (string, bool) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted && i+1 < len(s) && s[i+1] == '"':
			i++
		case c == '"':
			quoted = !quoted
		case (c == ' ' || c == '\t') && !quoted:
			return s[i:], true
		}
	}
	return "", false
}
