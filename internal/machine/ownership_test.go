package machine

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// Issue 20, item 3: an admin's restricted line for the same key, above the
// attachment's line, survives attach, find, update and remove byte for
// byte, and its options are never read as the attachment's.
func TestAdminsRestrictedLineForTheSameKeyIsNeverTheCallers(t *testing.T) {
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	creds := Credentials{Keys: keyOf(admin.pem)}
	k := newKey(t, "deploy")
	mine := k.asLine()
	if res, err := AddKey(ctxT(t), targetOf(dev), trustOf(dev), creds, mine); err != nil || !res.Added {
		t.Fatalf("AddKey = %+v, %v", res, err)
	}
	restricted := `from="10.1.2.3",command="/usr/local/bin/backup-only",no-pty ` + strings.Fields(k.line)[0] + " " +
		strings.Fields(k.line)[1] + " backup-job"
	withAdmin := admin.line + "\n" + restricted + "\n" + k.line + "\n"
	if err := dev.SetAuthorizedKeys([]byte(withAdmin)); err != nil {
		t.Fatal(err)
	}
	pool := &Pool{}
	found, err := pool.FindLine(ctxT(t), targetOf(dev), trustOf(dev), creds, mine)
	if err != nil || !found.Own.Exact || found.Line != k.line {
		t.Fatalf("FindLine = %+v, %v; want the exact line written", found, err)
	}
	res, err := ReplaceKey(ctxT(t), targetOf(dev), trustOf(dev), creds, mine, "no-pty "+k.line)
	if err != nil || !res.Changed {
		t.Fatalf("ReplaceKey = %+v, %v", res, err)
	}
	if got := readKeys(t, dev); got != admin.line+"\n"+restricted+"\nno-pty "+k.line+"\n" {
		t.Fatalf("after ReplaceKey:\n%s", got)
	}
	if _, err := RemoveKey(ctxT(t), targetOf(dev), trustOf(dev), creds, lineAs(k, "no-pty "+k.line, mine.Writer)); err != nil {
		t.Fatal(err)
	}
	if got := readKeys(t, dev); got != admin.line+"\n"+restricted+"\n" {
		t.Fatalf("after RemoveKey the admin's line changed or ours stayed:\n%s", got)
	}
}

// Issue 20, item 7: two writers of one line (two states or workspaces).
// The second finds the first's line and shares it; the line leaves with
// the last of them, and a line nobody recorded is never anyone's.
func TestOneLineTwoWritersLeavesWithTheLast(t *testing.T) {
	admin := newKey(t, "admin")
	original := admin.line + "\n"
	dev := startDevice(t, []byte(original))
	creds := Credentials{Keys: keyOf(admin.pem)}
	k := newKey(t, "shared")
	a, b := lineAs(k, k.line, "stateA"), lineAs(k, k.line, "stateB")

	if res, err := AddKey(ctxT(t), targetOf(dev), trustOf(dev), creds, a); err != nil || !res.Added || !res.Owned {
		t.Fatalf("A: %+v, %v", res, err)
	}
	res, err := AddKey(ctxT(t), targetOf(dev), trustOf(dev), creds, b)
	if err != nil || res.Added || !res.Owned || !res.Joined || res.Existing != "" {
		t.Fatalf("B should share A's line: %+v, %v", res, err)
	}
	rm, err := RemoveKey(ctxT(t), targetOf(dev), trustOf(dev), creds, a)
	if err != nil || rm.Removed || !rm.Shared {
		t.Fatalf("A's remove: %+v, %v", rm, err)
	}
	if !canLogin(t, dev.Host(), dev.Port(), "root", k) {
		t.Fatal("A's destroy took away the line B relies on")
	}
	if rm, err := RemoveKey(ctxT(t), targetOf(dev), trustOf(dev), creds, b); err != nil || !rm.Removed {
		t.Fatalf("B's remove: %+v, %v", rm, err)
	}
	if got := readKeys(t, dev); got != original {
		t.Fatalf("after the last writer left:\n%s", got)
	}
	assertOnlyFiles(t, dev, "authorized_keys")

	// A line put there by hand, byte-equal to what a writer would write, is
	// pre-existing: not joined, not recorded, not removed.
	if err := dev.SetAuthorizedKeys([]byte(original + k.line + "\n")); err != nil {
		t.Fatal(err)
	}
	res, err = AddKey(ctxT(t), targetOf(dev), trustOf(dev), creds, a)
	if err != nil || res.Owned || res.Existing != k.line {
		t.Fatalf("a hand-placed line was claimed: %+v, %v", res, err)
	}
	assertOnlyFiles(t, dev, "authorized_keys")
}

// Issue 20, item 2: an edit interrupted after the rename was sent (Ctrl-C,
// timeout) reports that it may have written; the line it left is recorded
// (pending), so the next create takes it as its own and its destroy leaves
// the file byte-identical.
func TestInterruptedAddIsRecognizedByTheNextOne(t *testing.T) {
	admin := newKey(t, "admin")
	original := admin.line + "\n"
	dev := startDevice(t, []byte(original))
	creds := Credentials{Keys: keyOf(admin.pem)}
	k := newKey(t, "deploy")

	dev.SetFaults(sshserver.Faults{DelayRenameReply: 3 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err := AddKey(ctx, targetOf(dev), trustOf(dev), creds, lineAs(k, k.line, "died"))
	if err == nil || !res.MayHaveWritten {
		t.Fatalf("interrupted AddKey = %+v, %v; want an error that says it may have written", res, err)
	}
	dev.SetFaults(sshserver.Faults{})
	waitFor(t, func() bool { return strings.Contains(readKeys(t, dev), k.line) })

	again, err := AddKey(ctxT(t), targetOf(dev), trustOf(dev), creds, lineAs(k, k.line, "retry"))
	if err != nil || !again.Owned || !again.Joined || again.Existing != "" {
		t.Fatalf("the next create did not take the interrupted line as its own: %+v, %v", again, err)
	}
	if rm, err := RemoveKey(ctxT(t), targetOf(dev), trustOf(dev), creds, lineAs(k, k.line, "retry")); err != nil || !rm.Removed {
		t.Fatalf("RemoveKey = %+v, %v (the dead edit must not keep the line alive)", rm, err)
	}
	if got := readKeys(t, dev); got != original {
		t.Fatalf("file after destroy:\n%q\nwant\n%q", got, original)
	}
}

// Issue 20, item 8: a missing ~/.ssh created for the line is removed again,
// with the file, when the last line leaves; no empty authorized_keys stays.
func TestFileAndDirectoryCreatedForTheLineGoWithIt(t *testing.T) {
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	creds := Credentials{Keys: keyOf(admin.pem)}
	k := newKey(t, "deploy")
	tgt := targetOf(dev)
	tgt.AuthorizedKeysPath = "/home/app/.ssh/authorized_keys"
	if err := dev.MkdirAll("/home/app", 0o755); err != nil {
		t.Fatal(err)
	}
	if res, err := AddKey(ctxT(t), tgt, trustOf(dev), creds, k.asLine()); err != nil || !res.Added ||
		res.File != "/home/app/.ssh/authorized_keys" {
		t.Fatalf("AddKey = %+v, %v", res, err)
	}
	if fi, err := dev.Stat("/home/app/.ssh"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("new ~/.ssh: %v, %v", fi, err)
	}
	if _, err := RemoveKey(ctxT(t), tgt, trustOf(dev), creds, k.asLine()); err != nil {
		t.Fatal(err)
	}
	if names, err := dev.ReadDir("/home/app"); err != nil || len(names) != 0 {
		t.Fatalf("left in /home/app: %v, %v", names, err)
	}
	// An admin's line added meanwhile keeps the file (and directory).
	if _, err := AddKey(ctxT(t), tgt, trustOf(dev), creds, k.asLine()); err != nil {
		t.Fatal(err)
	}
	other := newKey(t, "admin2")
	if err := dev.WriteFile("/home/app/.ssh/authorized_keys", []byte(k.line+"\n"+other.line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := RemoveKey(ctxT(t), tgt, trustOf(dev), creds, k.asLine()); err != nil {
		t.Fatal(err)
	}
	if got, err := dev.ReadFile("/home/app/.ssh/authorized_keys"); err != nil || string(got) != other.line+"\n" {
		t.Fatalf("the admin's line: %q, %v", got, err)
	}
}

func readKeys(t *testing.T, dev *sshserver.Server) string {
	t.Helper()
	b, err := dev.AuthorizedKeys()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return string(b)
}

func assertOnlyFiles(t *testing.T, dev *sshserver.Server, want ...string) {
	t.Helper()
	names, err := dev.ReadDir("/root/.ssh")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("/root/.ssh holds %v, want %v", names, want)
	}
}
