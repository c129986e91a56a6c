package authorizedkeys

import (
	"strings"
	"testing"
)

// The admin's restricted line for the same key (issue 20, item 3) is
// another line: the writer's line is the one it wrote, wherever it is.
func TestFindOwnTakesTheExactLineNotTheFirstWithTheKey(t *testing.T) {
	k, kLine := testKey(t, 51)
	mine := kLine + " deploy"
	admin := `from="10.1.2.3",command="/usr/local/bin/backup-only",no-pty ` + kLine + " backup-job"
	f := Parse([]byte("# hand\n" + admin + "\n" + mine + "\n"))
	w := &Writers{}
	w.Add("a1", mine, k.Marshal(), false)

	own := f.FindOwn(mine, k, w, "a1")
	if !own.Found() || !own.Exact || own.Text != mine || own.Index != 2 {
		t.Fatalf("FindOwn = %+v, want the exact line at 2", own)
	}
	if got := f.Unowned(k, w); len(got) != 1 || got[0] != admin {
		t.Fatalf("Unowned = %q, want the admin's line only", got)
	}
	// Our line removed by hand: the admin's line is never taken for it,
	// whatever the record says (its comment differs).
	f = Parse([]byte(admin + "\n"))
	if own := f.FindOwn(mine, k, w, "a1"); own.Found() {
		t.Fatalf("the admin's restricted line was claimed: %+v", own)
	}
}

// The ambiguous case, written down: with the exact line gone, one line of
// the key with the same key and comment and other options is the writer's,
// edited by hand, while the record names the writer; two such lines, a
// line another writer answers for, or no record at all claim nothing.
func TestFindOwnEditedLineRule(t *testing.T) {
	k, kLine := testKey(t, 52)
	mine := kLine + " deploy"
	edited := `no-pty ` + kLine + " deploy"
	w := &Writers{}
	w.Add("a1", mine, k.Marshal(), false)

	f := Parse([]byte(edited + "\n"))
	own := f.FindOwn(mine, k, w, "a1")
	if !own.Found() || own.Exact || own.Text != edited {
		t.Fatalf("edited own line: %+v", own)
	}
	if own := f.FindOwn(mine, k, &Writers{}, "a1"); own.Found() {
		t.Fatalf("claimed with no record of the writer: %+v", own)
	}
	if own := f.FindOwn(mine, k, w, ""); own.Found() {
		t.Fatalf("a writer from before records claimed an edited line: %+v", own)
	}
	two := Parse([]byte(edited + "\n" + `restrict ` + kLine + " deploy\n"))
	if own := two.FindOwn(mine, k, w, "a1"); own.Found() {
		t.Fatalf("ambiguous: two candidates, one was claimed: %+v", own)
	}
	theirs := &Writers{}
	theirs.Add("a1", mine, k.Marshal(), false)
	theirs.Add("b2", edited, k.Marshal(), false)
	if own := f.FindOwn(mine, k, theirs, "a1"); own.Found() {
		t.Fatalf("another writer's line was claimed: %+v", own)
	}
}

func TestWritersRoundTripAndDamage(t *testing.T) {
	k, kLine := testKey(t, 53)
	w := &Writers{CreatedFile: true, CreatedDirs: []string{"/root/.ssh"}}
	w.Add("a1", kLine, k.Marshal(), true)
	w.Add("b2", kLine, k.Marshal(), false)
	back := ParseWriters(w.Bytes())
	if !back.CreatedFile || len(back.CreatedDirs) != 1 || strings.Join(back.Of(kLine), ",") != "a1,b2" {
		t.Fatalf("round trip: %s", back.Bytes())
	}
	if strings.Contains(string(w.Bytes()), strings.Fields(kLine)[1]) {
		t.Fatal("the record holds key material")
	}
	// A damaged record claims less, never more.
	damaged := ParseWriters([]byte("line zz " + LineHash(kLine) + " a1 ok\nline " + LineHash(kLine) + " " + LineHash(kLine) + " a b ok\ncreated-dir relative\n"))
	if damaged.HasEntries() || len(damaged.CreatedDirs) != 0 {
		t.Fatalf("damaged record read as %s", damaged.Bytes())
	}
}

func TestPruneForgetsGoneKeysAndDeadPendingEdits(t *testing.T) {
	k, kLine := testKey(t, 54)
	gone, goneLine := testKey(t, 55)
	w := &Writers{}
	w.Add("ok1", kLine, k.Marshal(), false)
	w.Add("dead", kLine+" other", k.Marshal(), true) // pending, its line never landed
	w.Add("live", kLine, k.Marshal(), true)          // pending, its line is there: adopted later
	w.Add("gone", goneLine, gone.Marshal(), false)
	w.Prune(Parse([]byte(kLine + "\n")))
	if got := strings.Join(w.Of(kLine), ","); got != "ok1,live" {
		t.Fatalf("writers of the line = %q", got)
	}
	if w.Recorded(goneLine) || w.Recorded(kLine+" other") {
		t.Fatalf("kept: %s", w.Bytes())
	}
	w.DropPending(kLine)
	if got := strings.Join(w.Of(kLine), ","); got != "ok1" {
		t.Fatalf("after DropPending: %q", got)
	}
}
