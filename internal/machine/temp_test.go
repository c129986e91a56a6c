package machine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// writeTemp gives the temp file its owner and mode through the open handle:
// a user who owns the directory and swaps the temp file for a link to root's
// file as soon as it is closed gains nothing.
func TestTempFileSwappedForALinkDoesNotPassOwnerOrModeOn(t *testing.T) {
	t.Parallel()
	base := privateBase(t)
	owner := os.Geteuid()
	if owner == 0 {
		owner = otherUID // as root: the file and directory belong to another user
	}
	dir := filepath.Join(base, "mallory")
	mkdirAs(t, dir, 0o755, owner)
	p := filepath.Join(dir, "authorized_keys")
	writeAs(t, p, []byte("old\n"), 0o644, owner)
	victim := filepath.Join(base, "root-keys")
	writeAs(t, victim, []byte("root's keys\n"), 0o600, me)
	before, _ := os.Stat(victim)

	swapped := 0
	swap := func() {
		tmps, _ := filepath.Glob(filepath.Join(dir, ".authorized_keys.tmp-*"))
		for _, tmp := range tmps {
			if fi, err := os.Lstat(tmp); err == nil && fi.Mode().IsRegular() {
				_ = os.Remove(tmp)
				if os.Symlink(victim, tmp) == nil {
					swapped++
				}
			}
		}
	}
	s := inProcessSFTP(t, base, swap)
	redial := func(context.Context) (*session, error) { return nil, errors.New("no redial in this test") }
	if _, err := s.replaceFile(ctxT(t), p, []byte("old\n"), []byte("old\nnew\n"), 0o644, &fileOwner{uid: owner, gid: owner}, redial, nil); err != nil {
		t.Logf("replaceFile: %v", err) // what happens to p does not matter here
	}
	if swapped == 0 {
		t.Fatal("the temp file was never swapped: the test proves nothing")
	}
	after, err := os.Stat(victim)
	if err != nil {
		t.Fatal(err)
	}
	if after.Mode() != before.Mode() || ownerOfLocal(after) != ownerOfLocal(before) {
		t.Fatalf("root's file went from %v uid %d to %v uid %d through the swapped temp file",
			before.Mode(), ownerOfLocal(before), after.Mode(), ownerOfLocal(after))
	}
	if got, _ := os.ReadFile(victim); string(got) != "root's keys\n" {
		t.Fatalf("root's file was written: %q", got)
	}
}
