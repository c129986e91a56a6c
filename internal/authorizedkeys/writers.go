package authorizedkeys

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Writers is the record, kept beside an authorized_keys file, of the lines
// this provider wrote and of who asked for each: one entry per writer (an
// attachment's random id, kept in its state). It is what tells a line the
// provider wrote from a byte-equal line a person or the platform wrote, and
// lets several attachments (other states, other workspaces) share one line
// that leaves with the last of them.
//
// An entry is Pending from just before the file is replaced until the edit
// is verified: found pending by the next editor (who holds the lock), it
// belongs to an edit that died half way, whose line may be there with no
// state that knows it; that editor adopts the line.
type Writers struct {
	// CreatedFile: the provider created the authorized_keys file, so it
	// removes it again once it is empty.
	CreatedFile bool
	// CreatedDirs are the directories the provider created for it, deepest
	// first, removed again while empty.
	CreatedDirs []string
	entries     []writerEntry
}

type writerEntry struct {
	line    string // LineHash of the line's text
	key     string // KeyHash of the key it holds
	writer  string
	pending bool
}

const writersHeader = "# packet terraform provider: who wrote which line of the file beside this one. Edit only when no lock is held."

// LineHash names a line's exact text in the record (the record holds no
// key material).
func LineHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// keyHash names a key blob in the record.
func keyHash(blob []byte) string {
	sum := sha256.Sum256(blob)
	return hex.EncodeToString(sum[:])
}

// ParseWriters reads a record; lines it does not understand are dropped, so
// a damaged record can only make the provider claim less, never more.
func ParseWriters(data []byte) *Writers {
	w := &Writers{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 1 && f[0] == "created-file":
			w.CreatedFile = true
		case len(f) == 2 && f[0] == "created-dir" && strings.HasPrefix(f[1], "/"):
			w.CreatedDirs = append(w.CreatedDirs, f[1])
		case len(f) == 5 && f[0] == "line" && validHash(f[1]) && validHash(f[2]) && validWriter(f[3]) &&
			(f[4] == "ok" || f[4] == "pending"):
			w.entries = append(w.entries, writerEntry{line: f[1], key: f[2], writer: f[3], pending: f[4] == "pending"})
		}
	}
	return w
}

// Bytes is the record's text; an empty record is empty (the caller removes the file).
func (w *Writers) Bytes() []byte {
	if w.Empty() {
		return nil
	}
	var b bytes.Buffer
	b.WriteString(writersHeader + "\n")
	if w.CreatedFile {
		b.WriteString("created-file\n")
	}
	for _, d := range w.CreatedDirs {
		fmt.Fprintf(&b, "created-dir %s\n", d)
	}
	for _, e := range w.entries {
		state := "ok"
		if e.pending {
			state = "pending"
		}
		fmt.Fprintf(&b, "line %s %s %s %s\n", e.line, e.key, e.writer, state)
	}
	return b.Bytes()
}

// Empty: nothing recorded, not even a created file.
func (w *Writers) Empty() bool {
	return len(w.entries) == 0 && !w.CreatedFile && len(w.CreatedDirs) == 0
}

// Of returns the writers recorded for the line text (pending ones too).
func (w *Writers) Of(text string) []string {
	h := LineHash(text)
	var out []string
	for _, e := range w.entries {
		if e.line == h {
			out = append(out, e.writer)
		}
	}
	return out
}

// Recorded reports whether any writer is recorded for the line text.
func (w *Writers) Recorded(text string) bool { return len(w.Of(text)) > 0 }

// LineOf returns the hash of the line writer is recorded for, if any.
func (w *Writers) LineOf(writer string) (string, bool) {
	for _, e := range w.entries {
		if e.writer == writer {
			return e.line, true
		}
	}
	return "", false
}

// Add records writer for the line text (replacing what it had).
func (w *Writers) Add(writer, text string, blob []byte, pending bool) {
	w.Remove(writer)
	w.entries = append(w.entries, writerEntry{line: LineHash(text), key: keyHash(blob), writer: writer, pending: pending})
}

// Confirm marks writer's entry as done.
func (w *Writers) Confirm(writer string) {
	for i := range w.entries {
		if w.entries[i].writer == writer {
			w.entries[i].pending = false
		}
	}
}

// Remove forgets writer and reports whether it was recorded.
func (w *Writers) Remove(writer string) bool {
	n := len(w.entries)
	w.entries = slices.DeleteFunc(w.entries, func(e writerEntry) bool { return e.writer == writer })
	return len(w.entries) != n
}

// DropPending forgets the pending entries of the line text: their edits
// died, and whoever adopts the line now answers for it.
func (w *Writers) DropPending(text string) {
	h := LineHash(text)
	w.entries = slices.DeleteFunc(w.entries, func(e writerEntry) bool { return e.line == h && e.pending })
}

// Prune forgets what nobody can answer for any more: entries whose key no
// line of f holds (removed by hand), and pending entries whose line is not
// there (their edit died before the file was replaced). Only an editor
// holding the lock prunes, so a pending entry it sees is a dead edit's. An
// entry whose line was edited by hand stays while its key is there, so that
// edit shows as drift to its attachment.
func (w *Writers) Prune(f *File) {
	keys, lines := map[string]bool{}, map[string]bool{}
	for _, l := range f.lines {
		if l.blob != nil {
			keys[keyHash(l.blob)] = true
			lines[LineHash(string(l.text))] = true
		}
	}
	w.entries = slices.DeleteFunc(w.entries, func(e writerEntry) bool {
		return !keys[e.key] || (e.pending && !lines[e.line])
	})
}

// HasEntries reports whether any writer is recorded.
func (w *Writers) HasEntries() bool { return len(w.entries) > 0 }

func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// validWriter: writer ids are short tokens without spaces.
func validWriter(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if c != '-' && c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// ValidWriter reports whether s can be recorded as a writer id.
func ValidWriter(s string) bool { return validWriter(s) }
