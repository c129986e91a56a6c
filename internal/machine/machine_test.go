package machine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

// initialFile is what cloud-init left, plus what people add by hand.
func initialFile(t *testing.T, admin testKey) []byte {
	backup := newKey(t, "")
	return []byte("# Added by cloud-init\r\n" +
		admin.line + "\r\n" +
		"\r\n" +
		`from="10.0.0.0/8,192.168.0.1",command="/usr/bin/backup --fast, quiet" ` + backup.line + " backup\r\n" +
		"not a key line\r\n")
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAddLoginRemoveKeepsOtherLinesByteForByte(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin@ops")
	initial := initialFile(t, admin)
	dev := startDevice(t, initial)
	creds := Credentials{Keys: keyOf(admin.pem)}
	tgt, trust := targetOf(dev), trustOf(dev)
	ctx := ctxT(t)

	newcomer := newKey(t, "new@laptop")
	if canLogin(t, dev.Host(), dev.Port(), "root", newcomer) {
		t.Fatal("new key logs in before it was added")
	}
	changed, err := addKey(ctx, tgt, trust, creds, newcomer)
	if err != nil || !changed {
		t.Fatalf("AddKey = %v, %v", changed, err)
	}
	if !canLogin(t, dev.Host(), dev.Port(), "root", newcomer) {
		t.Fatal("added key cannot log in")
	}
	got, _ := dev.AuthorizedKeys()
	if want := string(initial) + newcomer.line + "\r\n"; string(got) != want {
		t.Fatalf("file after add:\n%q\nwant\n%q", got, want)
	}
	for p, mode := range map[string]os.FileMode{"/root/.ssh": 0o700, "/root/.ssh/authorized_keys": 0o600} {
		if fi, err := dev.Stat(p); err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("%s mode = %v (%v), want %v", p, fi.Mode().Perm(), err, mode)
		}
	}
	if changed, err := addKey(ctx, tgt, trust, creds, newcomer); err != nil || changed {
		t.Fatalf("second AddKey = %v, %v; want no change", changed, err)
	}
	if has, err := hasKey(ctx, tgt, trust, creds, newcomer.pub); err != nil || !has {
		t.Fatalf("HasKey = %v, %v", has, err)
	}

	removed, err := removeKey(ctx, tgt, trust, creds, newcomer)
	if err != nil || !removed {
		t.Fatalf("RemoveKey = %v, %v", removed, err)
	}
	if canLogin(t, dev.Host(), dev.Port(), "root", newcomer) {
		t.Fatal("removed key still logs in")
	}
	if got, _ := dev.AuthorizedKeys(); !bytes.Equal(got, initial) {
		t.Fatalf("file after remove:\n%q\nwant\n%q", got, initial)
	}
	if has, err := hasKey(ctx, tgt, trust, creds, newcomer.pub); err != nil || has {
		t.Fatalf("HasKey after remove = %v, %v", has, err)
	}
	if removed, err := removeKey(ctx, tgt, trust, creds, newcomer); err != nil || removed {
		t.Fatalf("second RemoveKey = %v, %v", removed, err)
	}
	assertNoTempFiles(t, dev)
}

func TestCreatesPrivateSSHDirectoryWhenAbsent(t *testing.T) {
	t.Parallel()
	dev := startDevice(t, nil) // an image without keys: no /root/.ssh
	k := newKey(t, "first")
	tgt := targetOf(dev)
	if has, err := hasKey(ctxT(t), tgt, trustOf(dev), Credentials{Password: rootPassword}, k.pub); err != nil || has {
		t.Fatalf("HasKey without the file = %v, %v", has, err)
	}
	changed, err := addKey(ctxT(t), tgt, trustOf(dev), Credentials{Password: rootPassword}, k)
	if err != nil || !changed {
		t.Fatalf("AddKey = %v, %v", changed, err)
	}
	got, _ := dev.AuthorizedKeys()
	if string(got) != k.line+"\n" {
		t.Fatalf("file = %q", got)
	}
	for p, mode := range map[string]os.FileMode{"/root/.ssh": 0o700, "/root/.ssh/authorized_keys": 0o600} {
		if fi, err := dev.Stat(p); err != nil || fi.Mode().Perm() != mode {
			t.Fatalf("%s: %v, %v; want %v", p, fi, err, mode)
		}
	}
	if !canLogin(t, dev.Host(), dev.Port(), "root", k) {
		t.Fatal("cannot log in with the first key")
	}
}

func TestCustomAbsolutePath(t *testing.T) {
	t.Parallel()
	dev := startDevice(t, nil)
	k := newKey(t, "")
	tgt := targetOf(dev)
	tgt.AuthorizedKeysPath = "/etc/ssh/keys/root"
	if _, err := addKey(ctxT(t), tgt, trustOf(dev), Credentials{Password: rootPassword}, k); err != nil {
		t.Fatal(err)
	}
	if got, _ := dev.ReadFile("/etc/ssh/keys/root"); string(got) != k.line+"\n" {
		t.Fatalf("file = %q", got)
	}
	if fi, err := dev.Stat("/etc/ssh/keys"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("created dir: %v %v", fi, err)
	}
}

func TestEachCredentialMethod(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, admin.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		creds Credentials
		agent bool
	}{
		"private key content": {creds: Credentials{Keys: keyOf(admin.pem)}},
		"private key file":    {creds: Credentials{KeyFile: keyFile}},
		"ssh-agent":           {creds: Credentials{UseAgent: true}, agent: true},
		"root password":       {creds: Credentials{Password: rootPassword}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.agent {
				tc.creds.AgentSocket = startAgent(t, admin)
			}
			dev := startDevice(t, []byte(admin.line+"\n"))
			k := newKey(t, name)
			changed, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), tc.creds, k)
			if err != nil || !changed {
				t.Fatalf("AddKey = %v, %v", changed, err)
			}
			if !canLogin(t, dev.Host(), dev.Port(), "root", k) {
				t.Fatal("added key cannot log in")
			}
		})
	}
}

func TestAgentIsOfferedBeforeTheKeyFileAndAlongsideIt(t *testing.T) {
	t.Parallel()
	admin, stranger := newKey(t, "admin"), newKey(t, "stranger")
	sock := startAgent(t, stranger) // the agent holds a key the machine does not know
	keyFile := filepath.Join(t.TempDir(), "id")
	if err := os.WriteFile(keyFile, admin.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	dev := startDevice(t, []byte(admin.line+"\n"))
	k := newKey(t, "")
	if _, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), Credentials{UseAgent: true, AgentSocket: sock, KeyFile: keyFile}, k); err != nil {
		t.Fatalf("the key file was not tried after the agent's keys: %v", err)
	}
}

func TestHostKeyMismatchWritesNothing(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	initial := initialFile(t, admin)
	dev := startDevice(t, initial)
	impostor := newKey(t, "")
	k := newKey(t, "")

	_, err := addKey(ctxT(t), targetOf(dev), HostKeyPolicy{HostKey: impostor.line}, Credentials{Keys: keyOf(admin.pem)}, k)
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("err = %v, want HostKeyMismatchError", err)
	}
	t.Log(err)
	devKey, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(dev.HostKey()))
	for _, fp := range []string{ssh.FingerprintSHA256(impostor.pub), ssh.FingerprintSHA256(devKey)} {
		if !strings.Contains(err.Error(), fp) {
			t.Errorf("message lacks fingerprint %s: %v", fp, err)
		}
	}
	if got, _ := dev.AuthorizedKeys(); !bytes.Equal(got, initial) {
		t.Fatal("file changed despite the host key mismatch")
	}
	assertNoSecret(t, err, admin.pem)
}

func TestKnownHostsFile(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	devKey, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(dev.HostKey()))
	hostPattern := fmt.Sprintf("[%s]:%d", dev.Host(), dev.Port()) // known_hosts form for a non-22 port
	creds := Credentials{Keys: keyOf(admin.pem)}
	write := func(content string) string {
		p := filepath.Join(t.TempDir(), "known_hosts")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := newKey(t, "")

	good := write("# mine\nother.example " + other.line + "\n" + knownhosts.Line([]string{hostPattern}, devKey) + "\n")
	k := newKey(t, "")
	if _, err := addKey(ctxT(t), targetOf(dev), HostKeyPolicy{KnownHostsFile: good}, creds, k); err != nil {
		t.Fatalf("known host rejected: %v", err)
	}

	wrong := write(knownhosts.Line([]string{hostPattern}, other.pub) + "\n")
	_, err := addKey(ctxT(t), targetOf(dev), HostKeyPolicy{KnownHostsFile: wrong}, creds, k)
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), ssh.FingerprintSHA256(other.pub)) ||
		!strings.Contains(err.Error(), ssh.FingerprintSHA256(devKey)) {
		t.Fatalf("wrong known_hosts entry: %v", err)
	}

	missing := write("other.example " + other.line + "\n")
	_, err = addKey(ctxT(t), targetOf(dev), HostKeyPolicy{KnownHostsFile: missing}, creds, k)
	var unknown *UnknownHostError
	if !errors.As(err, &unknown) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("host absent from known_hosts: %v", err)
	}

	_, err = addKey(ctxT(t), targetOf(dev), HostKeyPolicy{KnownHostsFile: filepath.Join(t.TempDir(), "nope")}, creds, k)
	var policy *HostKeyPolicyError
	if !errors.As(err, &policy) {
		t.Fatalf("unreadable known_hosts: %v", err)
	}
}

func TestTrustOnFirstUseThenPinned(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	k := newKey(t, "")
	creds := Credentials{Keys: keyOf(admin.pem)}

	// Nothing known: the first connection accepts the key and reports it.
	res, err := addKeyOnce(ctxT(t), endpoint(targetOf(dev), HostKeyPolicy{}, creds), k.asLine())
	if err != nil || !res.Added {
		t.Fatalf("first use: %+v, %v", res, err)
	}
	if res.Use != HostKeyFirstUse || res.HostKey != dev.HostKey() {
		t.Fatalf("first use reported %v %q, want first use of %q", res.Use, res.HostKey, dev.HostKey())
	}
	// Pinned: the same machine passes, and says it was verified.
	found, err := findKeyOnce(ctxT(t), endpoint(targetOf(dev), HostKeyPolicy{Pinned: res.HostKey}, creds), k.pub)
	if err != nil || !found.Found || found.Use != HostKeyVerified {
		t.Fatalf("pinned: %+v, %v", found, err)
	}
	// Another machine at that address (reinstalled, or someone in between):
	// refused, naming both fingerprints, and nothing is written.
	impostor := startDevice(t, []byte(admin.line+"\n"))
	_, err = addKeyOnce(ctxT(t), endpoint(targetOf(impostor), HostKeyPolicy{Pinned: res.HostKey}, creds), k.asLine())
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &mismatch) || mismatch.Source != SourcePinned {
		t.Fatalf("changed host key: %v", err)
	}
	for _, fp := range []string{HostKeyFingerprint(dev.HostKey()), HostKeyFingerprint(impostor.HostKey())} {
		if !strings.Contains(err.Error(), fp) {
			t.Errorf("message lacks %s: %v", fp, err)
		}
	}
	if got, _ := impostor.AuthorizedKeys(); string(got) != admin.line+"\n" {
		t.Fatal("a refused host key still got the file written")
	}
	// Insecure really turns the check off, pinned or not, and says so.
	ins, err := findKeyOnce(ctxT(t), endpoint(targetOf(impostor), HostKeyPolicy{InsecureIgnore: true, Pinned: res.HostKey}, creds), k.pub)
	if err != nil || ins.Use != HostKeyUnchecked {
		t.Fatalf("insecure: %+v, %v", ins, err)
	}
	// An explicit host key wins over a pinned one.
	if _, err := findKeyOnce(ctxT(t), endpoint(targetOf(impostor), HostKeyPolicy{HostKey: impostor.HostKey(), Pinned: res.HostKey}, creds), k.pub); err != nil {
		t.Fatalf("explicit host key over pinned: %v", err)
	}
	var policy *HostKeyPolicyError
	if _, err := addKey(ctxT(t), targetOf(dev), HostKeyPolicy{HostKey: "not a key"}, creds, k); !errors.As(err, &policy) {
		t.Fatalf("garbage host key: %v", err)
	}
}

func TestThirtyParallelAddsKeepEveryLine(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	initial := initialFile(t, admin)
	dev := startDevice(t, initial)
	creds := Credentials{Keys: keyOf(admin.pem)}
	keys := newKeys(t, 30)
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	for _, k := range keys {
		wg.Go(func() {
			if _, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), creds, k); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, _ := dev.AuthorizedKeys()
	if !bytes.HasPrefix(got, initial) {
		t.Fatal("original lines changed")
	}
	added := strings.Split(strings.TrimSuffix(string(got[len(initial):]), "\r\n"), "\r\n")
	if len(added) != 30 {
		t.Fatalf("%d lines added, want 30:\n%s", len(added), got)
	}
	for _, k := range keys {
		if !strings.Contains(string(got), k.line+"\r\n") {
			t.Errorf("line of %s lost", k.line)
		}
	}

	// And remove them all in parallel: exactly the original file remains.
	for _, k := range keys {
		wg.Go(func() {
			if n, err := removeKey(ctxT(t), targetOf(dev), trustOf(dev), creds, k); err != nil || !n {
				t.Errorf("RemoveKey = %v, %v", n, err)
			}
		})
	}
	wg.Wait()
	if got, _ := dev.AuthorizedKeys(); !bytes.Equal(got, initial) {
		t.Fatalf("after removing all 30:\n%q", got)
	}
}

func TestInjectedFailuresLeaveTheOldFileAndNoTempFile(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	initial := initialFile(t, admin)
	for name, f := range map[string]sshserver.Faults{
		"connection dropped mid-write": {DropAfterWriteBytes: 20},
		"rename fails":                 {FailRename: true},
	} {
		t.Run(name, func(t *testing.T) {
			dev := startDevice(t, initial)
			dev.SetFaults(f)
			k := newKey(t, "")
			changed, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), Credentials{Keys: keyOf(admin.pem)}, k)
			if err == nil || changed {
				t.Fatalf("AddKey = %v, %v; want a failure", changed, err)
			}
			t.Log(err)
			if got, _ := dev.AuthorizedKeys(); !bytes.Equal(got, initial) {
				t.Fatalf("file changed: %q", got)
			}
			assertNoTempFiles(t, dev)
			assertNoSecret(t, err, admin.pem)

			dev.SetFaults(sshserver.Faults{})
			if _, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), Credentials{Keys: keyOf(admin.pem)}, k); err != nil {
				t.Fatalf("retry after the fault: %v", err)
			}
		})
	}
}

func TestPermissionDeniedNamesTheFile(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	dev.SetFaults(sshserver.Faults{DenyWrite: true})
	k := newKey(t, "")
	_, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), Credentials{Keys: keyOf(admin.pem)}, k)
	var perm *PermissionError
	if !errors.As(err, &perm) || !strings.Contains(err.Error(), "/root/.ssh/") {
		t.Fatalf("err = %v, want PermissionError naming the path", err)
	}
	t.Log(err)
	assertNoTempFiles(t, dev)
}

func TestUnreachableMessageHasNoSecret(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	passphrase := []byte("unique-passphrase-42")
	port := int(netip.MustParseAddrPort(testutil.RefusingAddress(t)).Port())
	creds := Credentials{Keys: keyOf(admin.pem), Password: rootPassword}
	k := newKey(t, "")
	_, err := addKeyOnce(ctxT(t), endpoint(Target{Host: "127.0.0.1", Port: port, Timeout: 2 * time.Second}, HostKeyPolicy{InsecureIgnore: true}, creds), k.asLine())
	var unreachable *UnreachableError
	if !errors.As(err, &unreachable) || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Fatalf("err = %v, want UnreachableError with the address", err)
	}
	t.Log(err)
	assertNoSecret(t, err, passphrase, []byte(rootPassword), admin.pem)
}

func TestSilentServerTimesOut(t *testing.T) {
	t.Parallel()
	l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept and never speak
		}
	}()
	k := newKey(t, "")
	start := time.Now()
	_, err = hasKey(ctxT(t), Target{Host: "127.0.0.1", Port: int(netip.MustParseAddrPort(l.Addr().String()).Port()), Timeout: 300 * time.Millisecond},
		HostKeyPolicy{InsecureIgnore: true}, Credentials{Password: rootPassword}, k.pub)
	var unreachable *UnreachableError
	if !errors.As(err, &unreachable) {
		t.Fatalf("err = %v, want UnreachableError", err)
	}
	t.Log(err)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v despite a 300ms timeout", d)
	}
}

func TestContextBoundsTheWholeOperation(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	k := newKey(t, "")
	_, err := addKey(ctx, targetOf(dev), trustOf(dev), Credentials{Keys: keyOf(admin.pem)}, k)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got, _ := dev.AuthorizedKeys(); string(got) != admin.line+"\n" {
		t.Fatal("file changed after cancel")
	}
}

func TestAuthFailedListsMethodsButNoSecret(t *testing.T) {
	t.Parallel()
	admin, stranger := newKey(t, "admin"), newKey(t, "stranger")
	dev := startDevice(t, []byte(admin.line+"\n"))
	keyFile := filepath.Join(t.TempDir(), "id_stranger")
	if err := os.WriteFile(keyFile, stranger.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	creds := Credentials{
		Keys:     keyOf(stranger.pem),
		KeyFile:  keyFile,
		UseAgent: true,
		Password: "wrong-password-xyz",
	}
	k := newKey(t, "")
	_, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), creds, k)
	var authErr *AuthError
	if !errors.As(err, &authErr) {
		t.Fatalf("err = %v, want AuthError", err)
	}
	t.Log(err)
	for _, want := range []string{"private_key", "private key file " + keyFile, "password", "SSH_AUTH_SOCK is not set", `"root"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %v", want, err)
		}
	}
	assertNoSecret(t, err, stranger.pem, []byte(creds.Password))
}

func TestUnusableKeysAreReportedWithoutSecrets(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	enc := encryptedPEM(t, admin, []byte("the-right-one"))
	k := newKey(t, "")
	for name, tc := range map[string]struct {
		creds Credentials
		want  string
	}{
		"encrypted":      {Credentials{Keys: keyOf(enc)}, "the private key is encrypted"},
		"garbage":        {Credentials{Keys: keyOf([]byte("-----BEGIN NOTHING-----\nabc\n"))}, "cannot parse"},
		"missing file":   {Credentials{KeyFile: "/nonexistent/id"}, "/nonexistent/id"},
		"nothing at all": {Credentials{}, "no credentials to offer"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), tc.creds, k)
			var authErr *AuthError
			if !errors.As(err, &authErr) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want AuthError containing %q", err, tc.want)
			}
			assertNoSecret(t, err, enc, admin.pem)
		})
	}
	// A usable method still works when another is unusable.
	if _, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), Credentials{Keys: keyOf(enc), Password: rootPassword}, k); err != nil {
		t.Fatalf("password after an unusable key: %v", err)
	}
}

func TestAddRejectsALineForAnotherKey(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	dev := startDevice(t, []byte(admin.line+"\n"))
	k, other := newKey(t, ""), newKey(t, "")
	for _, line := range []string{other.line, k.line + "\n" + other.line} {
		if _, err := addKeyOnce(ctxT(t), endpoint(targetOf(dev), trustOf(dev), Credentials{Keys: keyOf(admin.pem)}), lineAs(k, line, "w1")); err == nil {
			t.Fatalf("line %q accepted", line)
		}
	}
	if got, _ := dev.AuthorizedKeys(); string(got) != admin.line+"\n" {
		t.Fatal("file changed")
	}
}

func TestLockKeyAndWaitHonoursContext(t *testing.T) {
	t.Parallel()
	a := Endpoint{Target: Target{Host: "h", Port: 22, User: "root", AuthorizedKeysPath: "~/.ssh/authorized_keys"}}
	b := a
	b.Target.AuthorizedKeysPath = ".ssh//authorized_keys"
	if lockKey(a) != lockKey(b) {
		t.Fatalf("same file, different locks: %q %q", lockKey(a), lockKey(b))
	}
	c := a
	c.Target.Port = 2222
	if lockKey(a) == lockKey(c) {
		t.Fatal("different ports share a lock")
	}
	d := a
	d.Jump = &Hop{Host: "jump", Port: 22, User: "root"}
	if lockKey(a) == lockKey(d) {
		t.Fatal("one address directly and behind a jump host share a lock")
	}

	var edits fileLocks
	release, err := edits.acquire(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := edits.acquire(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second acquire = %v, want deadline exceeded", err)
	}
	release()
	release2, err := edits.acquire(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	release2()
	edits.mu.Lock()
	n := len(edits.locks)
	edits.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d lock entries left", n)
	}
}

func assertNoTempFiles(t *testing.T, dev *sshserver.Server) {
	t.Helper()
	names, err := dev.ReadDir("/root/.ssh")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		// The writers' record stays beside the file while it names a line.
		if n != "authorized_keys" && n != "authorized_keys"+writersSuffix {
			t.Errorf("unexpected file left in /root/.ssh: %s", n)
		}
	}
}
