// Package machine edits a user's authorized_keys on a live machine over
// SSH/SFTP: verify the host key (or trust it on first use and report it),
// log in with whatever credentials are available, then read-modify-write
// the file as its admin left it (symlink target, mode, owner, line endings)
// under a lock file beside it, replacing it atomically only if it did not
// change meanwhile, and read it back to prove the edit landed. Edits of one
// file through one Pool are serialised in the process too, so parallel
// callers in one process or many never lose a line. Refused or reset
// connections are retried with bounded backoff. Every call takes one
// complete Endpoint: this package guesses no default and reads no
// environment.
package machine

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
)

// editAttempts bounds compare-before-rename retries when the file changes
// under us (an editor that does not take the lock).
const editAttempts = 5

// Line is one caller's line: the exact text it writes, the key in it, and
// the writer id it is recorded under beside the file (see
// authorizedkeys.Writers). Writer "" is state from before writers were
// recorded: it owns only a line that reads exactly as Text.
type Line struct {
	Text   string
	Key    ssh.PublicKey
	Writer string
}

func (l Line) check() error {
	if l.Writer != "" && !authorizedkeys.ValidWriter(l.Writer) {
		return fmt.Errorf("invalid writer id %q", l.Writer)
	}
	return authorizedkeys.CheckLine(l.Text, l.Key)
}

// AddResult says what AddKey found and did.
type AddResult struct {
	Outcome
	File  string // the file's absolute path, after symlinks
	Owned bool   // the line is the caller's: written now, or joined (see Joined)
	Added bool   // the line was written now
	// Joined: a line reading exactly as the caller's was there and recorded
	// as a provider's line (another attachment's, or one whose edit died
	// after writing it), so the caller now shares it.
	Joined bool
	// Existing is a line holding the key that no writer answers for (the
	// platform's, a person's): nothing was written, and it is not the caller's.
	Existing string
	// MayHaveWritten: the new file may be in place even though an error is
	// returned (the rename was sent). The caller must keep the line's record.
	MayHaveWritten bool
}

// AddKey makes l the caller's line in the file: it appends l.Text, or joins
// a provider's line that reads exactly the same, unless a line holding the
// key is there that no writer answers for, which it reports and leaves alone.
func (p *Pool) AddKey(ctx context.Context, ep Endpoint, l Line) (AddResult, error) {
	var res AddResult
	if err := l.check(); err != nil {
		return res, err
	}
	blob := l.Key.Marshal()
	rep, err := p.edit(ctx, ep, l.Writer, true,
		func(f *authorizedkeys.File, w *authorizedkeys.Writers) (bool, bool) {
			res = AddResult{}
			if own := f.FindOwn(l.Text, l.Key, w, ""); own.Found() && w.Recorded(l.Text) {
				w.DropPending(l.Text) // its edit died: this caller answers for the line now
				w.Add(l.Writer, l.Text, blob, false)
				res.Owned, res.Joined = true, true
				return false, true
			}
			if unowned := f.Unowned(l.Key, w); len(unowned) > 0 {
				res.Existing = unowned[0]
				return false, false
			}
			w.Add(l.Writer, l.Text, blob, true)
			res.Owned, res.Added = true, f.Append(l.Text, l.Key)
			return res.Added, true
		},
		func(f *authorizedkeys.File, _ *authorizedkeys.Writers) string {
			if !f.FindOwn(l.Text, l.Key, nil, "").Found() {
				return "the key line is missing"
			}
			return ""
		})
	res.Outcome, res.File, res.MayHaveWritten = rep.Outcome, rep.file, rep.renamed
	if err != nil {
		res.Added = false
	}
	return res, err
}

// ReplaceResult says what ReplaceKey did.
type ReplaceResult struct {
	Outcome
	File    string
	Changed bool
	// MayHaveWritten: as in AddResult.
	MayHaveWritten bool
}

// ReplaceKey makes the caller's line read text (new options) instead of
// old.Text: in place when the line is the caller's alone; when other writers
// share it, it stays theirs and text is added as a line of the caller's own.
// A line that is gone is added again.
func (p *Pool) ReplaceKey(ctx context.Context, ep Endpoint, old Line, text string) (ReplaceResult, error) {
	var res ReplaceResult
	next := Line{Text: text, Key: old.Key, Writer: old.Writer}
	if err := next.check(); err != nil {
		return res, err
	}
	blob := old.Key.Marshal()
	rep, err := p.edit(ctx, ep, old.Writer, true,
		func(f *authorizedkeys.File, w *authorizedkeys.Writers) (bool, bool) {
			res = ReplaceResult{}
			own := f.FindOwn(old.Text, old.Key, w, old.Writer)
			w.Remove(old.Writer)
			mine := own.Found() && !w.Recorded(own.Text)
			joinable := own.Text != text && f.FindOwn(text, old.Key, nil, "").Found() && w.Recorded(text)
			switch {
			case joinable: // another writer's line already reads so: share it
				res.Changed = mine && f.RemoveAt(own.Index)
			case mine:
				res.Changed = f.ReplaceAt(own.Index, text, old.Key)
			case own.Found() && own.Text == text: // shared and already right
			default:
				res.Changed = f.Append(text, old.Key)
			}
			w.Add(old.Writer, text, blob, res.Changed)
			return res.Changed, true
		},
		func(f *authorizedkeys.File, _ *authorizedkeys.Writers) string {
			if !f.FindOwn(text, old.Key, nil, "").Found() {
				return "the key line does not read as written"
			}
			return ""
		})
	res.Outcome, res.File, res.MayHaveWritten = rep.Outcome, rep.file, rep.renamed
	return res, err
}

// RemoveResult says what RemoveKey did.
type RemoveResult struct {
	Outcome
	File    string
	Removed bool // the line was taken out of the file
	Shared  bool // the line stays: other writers still answer for it
}

// RemoveKey takes the caller's line out (see authorizedkeys.File.FindOwn
// for which line that is), unless other writers still answer for it; every
// other line stays. A file the provider created and that is empty again is
// removed, and so are the directories it created for it while empty.
func (p *Pool) RemoveKey(ctx context.Context, ep Endpoint, l Line) (RemoveResult, error) {
	var res RemoveResult
	exact := 0
	rep, err := p.edit(ctx, ep, l.Writer, false,
		func(f *authorizedkeys.File, w *authorizedkeys.Writers) (bool, bool) {
			res = RemoveResult{}
			own := f.FindOwn(l.Text, l.Key, w, l.Writer)
			recorded := w.Remove(l.Writer)
			if !own.Found() {
				return false, recorded
			}
			if w.Recorded(own.Text) {
				res.Shared = true
				return false, recorded
			}
			exact = f.CountText(own.Text)
			res.Removed = f.RemoveAt(own.Index)
			l.Text = own.Text
			return res.Removed, true
		},
		func(f *authorizedkeys.File, _ *authorizedkeys.Writers) string {
			if f.CountText(l.Text) != exact-1 {
				return "the key line is still there"
			}
			return ""
		})
	res.Outcome, res.File = rep.Outcome, rep.file
	if err != nil {
		res.Removed = false
	}
	return res, err
}

// FindResult says what FindKey and FindLine saw.
type FindResult struct {
	Outcome
	File string
	// Line is, for FindKey, the first line holding the key; for FindLine,
	// the caller's line as it reads now (see Own).
	Line  string
	Found bool
	// Own (FindLine): where the caller's line is; Own.Exact false with
	// Found is the caller's line with its options edited by hand.
	Own authorizedkeys.Own
}

// FindKey returns the first line holding pub, if any, whoever wrote it. A
// missing file or directory means none. It takes no lock: writers replace
// the file atomically, and callers of the pool share one read of it.
func (p *Pool) FindKey(ctx context.Context, ep Endpoint, pub ssh.PublicKey) (FindResult, error) {
	var res FindResult
	snap, err := p.readFile(ctx, ep)
	res.Outcome, res.File = snap.out, snap.path
	if err != nil {
		return res, err
	}
	res.Line, res.Found = authorizedkeys.Parse(snap.keys).Line(pub)
	return res, nil
}

// FindLine looks for the caller's own line (see authorizedkeys.File.FindOwn),
// with no lock, over the pool's shared read. The writers' record is read
// only when no line reads exactly as written.
func (p *Pool) FindLine(ctx context.Context, ep Endpoint, l Line) (FindResult, error) {
	var res FindResult
	snap, err := p.readFile(ctx, ep)
	res.Outcome, res.File = snap.out, snap.path
	if err != nil {
		return res, err
	}
	f := authorizedkeys.Parse(snap.keys)
	res.Own = f.FindOwn(l.Text, l.Key, nil, "")
	if !res.Own.Found() && l.Writer != "" && f.Contains(l.Key) {
		record, err := p.readRecord(ctx, ep, snap.path)
		if err != nil {
			return res, err
		}
		res.Own = f.FindOwn(l.Text, l.Key, authorizedkeys.ParseWriters(record), l.Writer)
	}
	res.Found, res.Line = res.Own.Found(), res.Own.Text
	return res, nil
}

// ReadKeys returns the authorized_keys file as it is (nil when missing), for
// callers that look at every line. Concurrent and recent callers of one pool
// share one read.
func (p *Pool) ReadKeys(ctx context.Context, ep Endpoint) ([]byte, Outcome, error) {
	snap, err := p.readFile(ctx, ep)
	return snap.keys, snap.out, err
}

// Audit reads the file and its writers' record and reports every line
// with its kind (see authorizedkeys.Audit), for audits: nothing is locked
// or written.
func (p *Pool) Audit(ctx context.Context, ep Endpoint, now time.Time) (string, []authorizedkeys.LineInfo, Outcome, error) {
	snap, err := p.readFile(ctx, ep)
	if err != nil {
		return snap.path, nil, snap.out, err
	}
	record, err := p.readRecord(ctx, ep, snap.path)
	if err != nil {
		return snap.path, nil, snap.out, err
	}
	lines := authorizedkeys.Audit(authorizedkeys.Parse(snap.keys), authorizedkeys.ParseWriters(record), now)
	return snap.path, lines, snap.out, nil
}

// editReport is what an edit tells its caller besides an error.
type editReport struct {
	Outcome
	file    string // the file's absolute path, after symlinks
	renamed bool   // the new file was (or may have been) put in place
}

// writersSuffix names the record of the file's writers, beside the lock:
// "<file>.packet-writers" (see authorizedkeys.Writers).
const writersSuffix = ".packet-writers"

// edit runs one locked read-modify-write-verify cycle over the file and the
// record of its writers. change edits both and reports which changed;
// verify returns "" when the re-read file holds the edit, or what is wrong.
// create says whether a missing file (and directory) may be created. The
// record is written before the file is replaced, with writer's entry
// pending, and confirmed once the edit is verified: an edit that dies in
// between leaves a line that its record names, never an unrecorded one.
func (pool *Pool) edit(ctx context.Context, ep Endpoint, writer string, create bool,
	change func(*authorizedkeys.File, *authorizedkeys.Writers) (fileChanged, recordChanged bool),
	verify func(*authorizedkeys.File, *authorizedkeys.Writers) string,
) (rep editReport, err error) {
	if err := ep.check(); err != nil {
		return rep, err
	}
	release, err := pool.edits.acquire(ctx, lockKey(ep))
	if err != nil {
		return rep, fmt.Errorf("waiting for another edit of %s on %s: %w", ep.Target.AuthorizedKeysPath, ep.Addr(), err)
	}
	defer release()
	// Whatever happens next, reads from before it are not to be reused.
	defer pool.bumpWriteGen(lockKey(ep))

	s, err := pool.session(ctx, ep)
	if err != nil {
		return rep, err
	}
	defer s.close()
	rep.Outcome = s.outcome
	// Cleanup after a lost connection uses a connection of its own.
	redial := func(rctx context.Context) (*session, error) { return dial(rctx, ep, pool.timing()) }

	p, err := s.locate(ctx, ep.Target.AuthorizedKeysPath)
	if err != nil {
		return rep, err
	}
	rep.file = p
	// The same file named by its absolute path (as state records it).
	abs := ep
	abs.Target.AuthorizedKeysPath = p
	defer pool.bumpWriteGen(lockKey(abs))
	mode, owner, exists, err := s.fileMode(ctx, p)
	if err != nil {
		return rep, err
	}
	var createdDirs, emptiedDirs []string
	if !exists {
		if !create {
			return rep, nil // nothing there to remove
		}
		if createdDirs, err = s.mkdirPrivate(path.Dir(p)); err != nil {
			return rep, s.fileError(ctx, "create directory", path.Dir(p), err)
		}
	}
	// Directories the provider made and emptied again go after the lock
	// file in them (deferred calls run last first).
	defer func() {
		for _, d := range emptiedDirs {
			_ = s.sftp.RemoveDirectory(d) // refused while anything else is in it
		}
	}()
	// The work under the lock is bounded by a context of its own (LockHoldMax).
	ctx, unlock, err := s.remoteLock(ctx, p, redial)
	if err != nil {
		return rep, err
	}
	defer func() { err = unlock(err) }()

	recordPath := p + writersSuffix
	for range editAttempts {
		data, err := s.readFile(p)
		if err != nil {
			return rep, s.fileError(ctx, "read", p, err)
		}
		record, err := s.readFile(recordPath)
		if err != nil {
			return rep, s.fileError(ctx, "read", recordPath, err)
		}
		f, w := authorizedkeys.Parse(data), authorizedkeys.ParseWriters(record)
		w.Prune(f)
		fileChanged, recordChanged := change(f, w)
		if !fileChanged {
			if recordChanged {
				w.Prune(f)
				return rep, s.writeRecord(ctx, recordPath, record, w, redial)
			}
			return rep, nil
		}
		if data == nil && !w.CreatedFile {
			w.CreatedFile, w.CreatedDirs = true, createdDirs
		}
		if err := s.writeRecord(ctx, recordPath, record, w, redial); err != nil {
			return rep, err
		}
		record = nil
		if w.HasEntries() {
			record = w.Bytes()
		}
		next := f.Bytes()
		removeFile := len(next) == 0 && w.CreatedFile
		var replaced bool
		if removeFile {
			replaced, err = s.removeIfUnchanged(ctx, p, data, &rep.renamed)
		} else {
			replaced, err = s.replaceFile(ctx, p, data, next, mode, owner, redial, &rep.renamed)
		}
		if err != nil {
			return rep, err
		}
		if !replaced {
			continue // changed under us: start over from what is there now
		}
		back, err := s.readFile(p)
		if err != nil {
			return rep, s.fileError(ctx, "read back", p, err)
		}
		after := authorizedkeys.Parse(back)
		if problem := verify(after, w); problem != "" {
			return rep, &VerifyError{Path: p, Addr: s.addr, Reason: problem}
		}
		w.Confirm(writer)
		w.Prune(after)
		if removeFile {
			emptiedDirs = w.CreatedDirs
			w = &authorizedkeys.Writers{}
		}
		return rep, s.writeRecord(ctx, recordPath, record, w, redial)
	}
	return rep, &ConflictError{Path: p, Addr: s.addr, Attempts: editAttempts}
}

// lockKey names one file on one machine (the jump host included: one
// address behind two of them may be two machines); "~/x" and "x" are the
// same file.
func lockKey(ep Endpoint) string {
	p := path.Clean(strings.TrimPrefix(ep.Target.AuthorizedKeysPath, "~/"))
	return ep.Target.User + "@" + ep.Addr() + ":" + p
}
