package machine

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// server is one SSH server the ownership tests run against: the mock
// device and a real OpenSSH sshd, with the same scenarios.
type server struct {
	name   string
	target Target
	trust  HostKeyPolicy
	creds  Credentials
	read   func() string
	write  func(string)
	login  func(testKey) bool
	files  func() []string // what is beside authorized_keys
}

// servers starts both kinds, each with original as its authorized_keys.
func servers(t *testing.T, admin testKey, original string) []server {
	t.Helper()
	dev := startDevice(t, []byte(original))
	srv := startRealSSHD(t, []byte(original))
	listDir := func(dir string) []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	return []server{
		{
			name: "mock device", target: targetOf(dev), trust: trustOf(dev), creds: Credentials{Keys: keyOf(admin.pem)},
			read:  func() string { return readKeys(t, dev) },
			write: func(s string) { must(t, dev.SetAuthorizedKeys([]byte(s))) },
			login: func(k testKey) bool { return canLogin(t, dev.Host(), dev.Port(), "root", k) },
			files: func() []string { names, err := dev.ReadDir("/root/.ssh"); must(t, err); return names },
		},
		{
			name: "real sshd", trust: HostKeyPolicy{HostKey: srv.HostKey}, creds: Credentials{Keys: keyOf(admin.pem)},
			target: Target{Host: "127.0.0.1", Port: srv.Port, User: srv.User, AuthorizedKeysPath: srv.AuthorizedKeys, Timeout: 10 * time.Second},
			read: func() string {
				b, err := os.ReadFile(srv.AuthorizedKeys)
				must(t, err)
				return string(b)
			},
			write: func(s string) { must(t, os.WriteFile(srv.AuthorizedKeys, []byte(s), 0o600)) },
			login: func(k testKey) bool { return canLogin(t, "127.0.0.1", srv.Port, srv.User, k) },
			files: func() []string { return listDir(filepath.Dir(srv.AuthorizedKeys)) },
		},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Issue 20, item 3: an admin's restricted line for the same key, above the
// attachment's line, survives attach, find, update and remove byte for
// byte, and its options are never read as the attachment's.
func TestAdminsRestrictedLineForTheSameKeyIsNeverTheCallers(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	for _, s := range servers(t, admin, admin.line+"\n") {
		t.Run(s.name, func(t *testing.T) {
			k := newKey(t, "deploy")
			mine := k.asLine()
			if res, err := addKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), mine); err != nil || !res.Added {
				t.Fatalf("AddKey = %+v, %v", res, err)
			}
			fields := strings.Fields(k.line)
			restricted := `from="10.1.2.3",command="/usr/local/bin/backup-only",no-pty ` + fields[0] + " " + fields[1] + " backup-job"
			s.write(admin.line + "\n" + restricted + "\n" + k.line + "\n")
			pool := &Pool{}
			found, err := pool.FindLine(ctxT(t), endpoint(s.target, s.trust, s.creds), mine)
			if err != nil || !found.Own.Exact || found.Line != k.line {
				t.Fatalf("FindLine = %+v, %v; want the exact line written", found, err)
			}
			res, err := replaceKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), mine, "no-pty "+k.line)
			if err != nil || !res.Changed {
				t.Fatalf("ReplaceKey = %+v, %v", res, err)
			}
			if got := s.read(); got != admin.line+"\n"+restricted+"\nno-pty "+k.line+"\n" {
				t.Fatalf("after ReplaceKey:\n%s", got)
			}
			if _, err := removeKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), lineAs(k, "no-pty "+k.line, mine.Writer)); err != nil {
				t.Fatal(err)
			}
			if got := s.read(); got != admin.line+"\n"+restricted+"\n" {
				t.Fatalf("after RemoveKey the admin's line changed or ours stayed:\n%s", got)
			}
			s.write(admin.line + "\n")
		})
	}
}

// Issue 20, item 7: two writers of one line (two states or workspaces).
// The second finds the first's line and shares it; the line leaves with
// the last of them, and a line nobody recorded is never anyone's.
func TestOneLineTwoWritersLeavesWithTheLast(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	original := admin.line + "\n"
	for _, s := range servers(t, admin, original) {
		t.Run(s.name, func(t *testing.T) {
			k := newKey(t, "shared")
			a, b := lineAs(k, k.line, "stateA"), lineAs(k, k.line, "stateB")
			if res, err := addKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), a); err != nil || !res.Added || !res.Owned {
				t.Fatalf("A: %+v, %v", res, err)
			}
			res, err := addKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), b)
			if err != nil || res.Added || !res.Owned || !res.Joined || res.Existing != "" {
				t.Fatalf("B should share A's line: %+v, %v", res, err)
			}
			rm, err := removeKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), a)
			if err != nil || rm.Removed || !rm.Shared {
				t.Fatalf("A's remove: %+v, %v", rm, err)
			}
			if !s.login(k) {
				t.Fatal("A's destroy took away the line B relies on")
			}
			if rm, err := removeKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), b); err != nil || !rm.Removed {
				t.Fatalf("B's remove: %+v, %v", rm, err)
			}
			if got := s.read(); got != original {
				t.Fatalf("after the last writer left:\n%s", got)
			}
			if s.login(k) {
				t.Fatal("the key still logs in after the last writer left")
			}
			if files := strings.Join(s.files(), ","); strings.Contains(files, "packet-") {
				t.Fatalf("left beside the file: %s", files)
			}
			// A line put there by hand, byte-equal to what a writer would
			// write, is pre-existing: not joined, not recorded, not removed.
			s.write(original + k.line + "\n")
			res, err = addKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), a)
			if err != nil || res.Owned || res.Existing != k.line {
				t.Fatalf("a hand-placed line was claimed: %+v, %v", res, err)
			}
			if files := strings.Join(s.files(), ","); strings.Contains(files, "packet-") {
				t.Fatalf("a hand-placed line was recorded: %s", files)
			}
			s.write(original)
		})
	}
}

// Issue 20, item 2: an edit interrupted after the rename was sent (Ctrl-C,
// timeout) reports that it may have written; the line it left is recorded
// (pending), so the next create takes it as its own and its destroy leaves
// the file byte-identical.
func TestInterruptedAddIsRecognizedByTheNextOne(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	original := admin.line + "\n"
	dev := startDevice(t, []byte(original))
	creds := Credentials{Keys: keyOf(admin.pem)}
	k := newKey(t, "deploy")

	dev.SetFaults(sshserver.Faults{DelayRenameReply: 3 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res, err := addKeyOnce(ctx, endpoint(targetOf(dev), trustOf(dev), creds), lineAs(k, k.line, "died"))
	if err == nil || !res.MayHaveWritten {
		t.Fatalf("interrupted AddKey = %+v, %v; want an error that says it may have written", res, err)
	}
	dev.SetFaults(sshserver.Faults{})
	waitFor(t, func() bool { return strings.Contains(readKeys(t, dev), k.line) })

	again, err := addKeyOnce(ctxT(t), endpoint(targetOf(dev), trustOf(dev), creds), lineAs(k, k.line, "retry"))
	if err != nil || !again.Owned || !again.Joined || again.Existing != "" {
		t.Fatalf("the next create did not take the interrupted line as its own: %+v, %v", again, err)
	}
	if rm, err := removeKeyOnce(ctxT(t), endpoint(targetOf(dev), trustOf(dev), creds), lineAs(k, k.line, "retry")); err != nil || !rm.Removed {
		t.Fatalf("RemoveKey = %+v, %v (the dead edit must not keep the line alive)", rm, err)
	}
	if got := readKeys(t, dev); got != original {
		t.Fatalf("file after destroy:\n%q\nwant\n%q", got, original)
	}
}

// Issue 20, item 8: a missing ~/.ssh created for the line is removed again,
// with the file, when the last line leaves; no empty authorized_keys stays.
func TestFileAndDirectoryCreatedForTheLineGoWithIt(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	creds := Credentials{Keys: keyOf(admin.pem)}
	k := newKey(t, "deploy")
	tgt := targetOf(dev)
	tgt.AuthorizedKeysPath = "/home/app/.ssh/authorized_keys"
	if err := dev.MkdirAll("/home/app", 0o755); err != nil {
		t.Fatal(err)
	}
	if res, err := addKeyOnce(ctxT(t), endpoint(tgt, trustOf(dev), creds), k.asLine()); err != nil || !res.Added ||
		res.File != "/home/app/.ssh/authorized_keys" {
		t.Fatalf("AddKey = %+v, %v", res, err)
	}
	if fi, err := dev.Stat("/home/app/.ssh"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("new ~/.ssh: %v, %v", fi, err)
	}
	if _, err := removeKeyOnce(ctxT(t), endpoint(tgt, trustOf(dev), creds), k.asLine()); err != nil {
		t.Fatal(err)
	}
	if names, err := dev.ReadDir("/home/app"); err != nil || len(names) != 0 {
		t.Fatalf("left in /home/app: %v, %v", names, err)
	}
	// An admin's line added meanwhile keeps the file (and directory).
	if _, err := addKeyOnce(ctxT(t), endpoint(tgt, trustOf(dev), creds), k.asLine()); err != nil {
		t.Fatal(err)
	}
	other := newKey(t, "admin2")
	if err := dev.WriteFile("/home/app/.ssh/authorized_keys", []byte(k.line+"\n"+other.line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := removeKeyOnce(ctxT(t), endpoint(tgt, trustOf(dev), creds), k.asLine()); err != nil {
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

// expires_at is sshd's own expiry-time: a line whose time has passed no
// longer logs in, one in the future does (OpenSSH ≥ 7.7), with no Terraform run.
func TestRealSSHDEnforcesTheExpiryTimeWritten(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	s := servers(t, admin, admin.line+"\n")[1]
	past, future := newKey(t, "past"), newKey(t, "future")
	for _, c := range []struct {
		k  testKey
		at time.Time
	}{{past, time.Now().Add(-time.Hour)}, {future, time.Now().Add(time.Hour)}} {
		text := authorizedkeys.FormatLine(authorizedkeys.WithExpiry("no-pty", c.at), c.k.line)
		if _, err := addKeyOnce(ctxT(t), endpoint(s.target, s.trust, s.creds), lineAs(c.k, text, writerOf(c.k))); err != nil {
			t.Fatal(err)
		}
	}
	if s.login(past) {
		t.Error("a line whose expiry-time has passed still logs in")
	}
	if !s.login(future) {
		t.Error("a line whose expiry-time is ahead does not log in")
	}
}
