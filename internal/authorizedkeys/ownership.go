package authorizedkeys

import (
	"bytes"
	"strings"

	"golang.org/x/crypto/ssh"
)

// Own is where a writer's line is in a file.
type Own struct {
	Index int    // the line's index, -1 when the file holds none
	Text  string // the line as it reads now
	Exact bool   // it reads exactly as written; else it was edited by hand
}

// Found reports whether the writer's line is in the file.
func (o Own) Found() bool { return o.Index >= 0 }

// FindOwn finds the line that was written as text (holding pub) for writer.
// A writer owns exactly what it wrote, never "the first line with this key":
//
//  1. The first line that reads exactly text is the writer's, whatever other
//     lines hold the same key (an admin's restricted line for the same key
//     is another line).
//  2. Otherwise, while the record still names writer for a line of this key,
//     a line whose key and comment read exactly as text's do, with other
//     options, is the writer's line with its options edited by hand — but
//     only when there is exactly one such line and no writer is recorded for
//     it. This is the ambiguous case: several candidates, or one another
//     writer answers for, mean the line is gone; nothing is claimed.
//  3. Otherwise the line is gone.
//
// An empty writer (state from before writers were recorded) owns only an
// exact line.
func (f *File) FindOwn(text string, pub ssh.PublicKey, w *Writers, writer string) Own {
	for i, l := range f.lines {
		if string(l.text) == text {
			return Own{Index: i, Text: text, Exact: true}
		}
	}
	if writer == "" || w == nil {
		return Own{Index: -1}
	}
	if _, recorded := w.LineOf(writer); !recorded {
		return Own{Index: -1}
	}
	want, blob := keyPart(text), pub.Marshal()
	found := Own{Index: -1}
	for i, l := range f.lines {
		if !bytes.Equal(l.blob, blob) || keyPart(string(l.text)) != want || w.Recorded(string(l.text)) {
			continue
		}
		if found.Found() {
			return Own{Index: -1} // ambiguous
		}
		found = Own{Index: i, Text: string(l.text)}
	}
	return found
}

// Unowned returns the lines holding pub that no writer is recorded for
// (put there by the platform, a person or another tool), in file order.
func (f *File) Unowned(pub ssh.PublicKey, w *Writers) []string {
	blob := pub.Marshal()
	var out []string
	for _, l := range f.lines {
		if bytes.Equal(l.blob, blob) && (w == nil || !w.Recorded(string(l.text))) {
			out = append(out, string(l.text))
		}
	}
	return out
}

// ReplaceAt puts text in place of line i, keeping its position and line
// ending, and reports whether the file changed.
func (f *File) ReplaceAt(i int, text string, pub ssh.PublicKey) bool {
	if i < 0 || i >= len(f.lines) || strings.ContainsAny(text, "\r\n") || string(f.lines[i].text) == text {
		return false
	}
	f.lines[i].text = []byte(text)
	f.lines[i].blob = pub.Marshal()
	return true
}

// RemoveAt drops line i. If it was the last line and had no line ending,
// the new last line loses its ending, so the file keeps its shape.
func (f *File) RemoveAt(i int) bool {
	if i < 0 || i >= len(f.lines) {
		return false
	}
	last := i == len(f.lines)-1
	noEnding := f.lines[i].ending == ""
	f.lines = append(f.lines[:i], f.lines[i+1:]...)
	if last && noEnding && len(f.lines) > 0 {
		f.lines[len(f.lines)-1].ending = ""
	}
	return true
}

// keyPart is a line without its options: "type base64 [comment]".
func keyPart(text string) string {
	s := strings.TrimLeft(text, " \t")
	if opts := LineOptions(s); opts != "" {
		s = strings.TrimLeft(s[len(opts):], " \t")
	}
	return s
}

// CountText returns how many lines read exactly text.
func (f *File) CountText(text string) int {
	n := 0
	for _, l := range f.lines {
		if string(l.text) == text {
			n++
		}
	}
	return n
}

// LineWithFingerprint returns the first line whose key has the SHA256
// fingerprint fp (as ssh-keygen -l prints it), and that key; nil when none.
func (f *File) LineWithFingerprint(fp string) (string, ssh.PublicKey) {
	for _, l := range f.lines {
		if l.blob == nil {
			continue
		}
		if key, err := ssh.ParsePublicKey(l.blob); err == nil && ssh.FingerprintSHA256(key) == fp {
			return string(l.text), key
		}
	}
	return "", nil
}
