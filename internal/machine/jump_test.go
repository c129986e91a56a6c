package machine

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/machine/sshdtest"
)

// closedByClient is sshd's line for a logged-in connection the client closed.
var closedByClient = regexp.MustCompile(`Connection closed by 127\.0\.0\.1 port \d+\s*\n`)

// jumpTo is an endpoint for the real sshd target reached through the real
// sshd jump, each logged in with its own key.
func jumpTo(target, jump *sshdtest.Server, targetKey, jumpKey testKey) Endpoint {
	return Endpoint{
		Target: Target{Host: "127.0.0.1", Port: target.Port, User: target.User,
			AuthorizedKeysPath: target.AuthorizedKeys, Timeout: 5 * time.Second},
		HostKey: HostKeyPolicy{HostKey: target.HostKey},
		Auth:    Credentials{Keys: keyOf(targetKey.pem)},
		Jump: &Hop{Host: "127.0.0.1", Port: jump.Port, User: jump.User,
			HostKey: HostKeyPolicy{HostKey: jump.HostKey}, Auth: Credentials{Keys: keyOf(jumpKey.pem)}},
	}
}

// Through a jump host (two real sshd on loopback): the jump sshd's log shows
// the forwarding to the target, each host sees only its own key, and the
// key lands in the target's file.
func TestJumpHostCarriesTheEditAndEachHostSeesOnlyItsOwnKey(t *testing.T) {
	t.Parallel()
	targetKey, jumpKey := newKey(t, "target-admin"), newKey(t, "jump-admin")
	// Each host knows both keys, so a key offered to the wrong one would log
	// in there and show in its log: only the code keeps them apart.
	both := []byte(targetKey.line + "\n" + jumpKey.line + "\n")
	jump := sshdtest.Start(t, both, "LogLevel DEBUG1")
	target := sshdtest.Start(t, both, "LogLevel VERBOSE")
	ep := jumpTo(target, jump, targetKey, jumpKey)
	k := newKey(t, "deploy")

	pool := new(Pool)
	res, err := pool.AddKey(ctxT(t), ep, k.asLine())
	if err != nil || !res.Added {
		t.Fatalf("AddKey through the jump host = %+v, %v", res, err)
	}
	if res.Use != HostKeyVerified {
		t.Fatalf("target host key use = %v, want verified", res.Use)
	}
	found, err := pool.FindKey(ctxT(t), ep, k.pub)
	if err != nil || !found.Found {
		t.Fatalf("FindKey through the jump host = %+v, %v", found, err)
	}
	pool.Close()
	// Closing the pool closes both connections: each login the jump host
	// accepted ends (sshd logs it as the client closing).
	waitFor(t, func() bool {
		log := jump.Log.String()
		return strings.Count(log, "Accepted publickey") > 0 && len(closedByClient.FindAllString(log, -1)) >= strings.Count(log, "Accepted publickey")
	})
	got, err := os.ReadFile(target.AuthorizedKeys)
	if err != nil || !strings.Contains(string(got), k.line) {
		t.Fatalf("the target's file lacks the key (%v):\n%s", err, got)
	}

	jumpLog, targetLog := jump.Log.String(), target.Log.String()
	forwarded := "target 127.0.0.1 port " + strconv.Itoa(target.Port)
	if !strings.Contains(jumpLog, "direct_tcpip") || !strings.Contains(jumpLog, forwarded) {
		t.Errorf("the jump sshd's log shows no forwarding (%q) to the target:\n%s", forwarded, jumpLog)
	}
	targetFP, jumpFP := ssh.FingerprintSHA256(targetKey.pub), ssh.FingerprintSHA256(jumpKey.pub)
	if !strings.Contains(jumpLog, "Accepted publickey") || !strings.Contains(jumpLog, jumpFP) {
		t.Errorf("the jump host did not log in its own key %s:\n%s", jumpFP, jumpLog)
	}
	if strings.Contains(jumpLog, targetFP) {
		t.Errorf("the target's key %s was offered to the jump host:\n%s", targetFP, jumpLog)
	}
	if !strings.Contains(targetLog, targetFP) {
		t.Errorf("the target did not log in its own key %s:\n%s", targetFP, targetLog)
	}
	if strings.Contains(targetLog, jumpFP) {
		t.Errorf("the jump host's key %s was offered to the target:\n%s", jumpFP, targetLog)
	}
}

// A jump host that presents another key is refused, and the error says it
// was the jump host, not the target.
func TestJumpHostWithAWrongHostKeyIsRefusedAsTheJump(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	jump, target := startDevice(t, []byte(admin.line+"\n")), startDevice(t, []byte(admin.line+"\n"))
	ep := endpoint(targetOf(target), trustOf(target), Credentials{Password: rootPassword})
	ep.Jump = &Hop{Host: jump.Host(), Port: jump.Port(), User: "root",
		HostKey: HostKeyPolicy{HostKey: target.HostKey()}, Auth: Credentials{Keys: keyOf(admin.pem)}}
	pool := new(Pool)
	defer pool.Close()
	_, err := pool.AddKey(ctxT(t), ep, newKey(t, "").asLine())
	var jumpErr *JumpError
	var mismatch *HostKeyMismatchError
	if !errors.As(err, &jumpErr) || !errors.As(err, &mismatch) {
		t.Fatalf("err = %v, want a JumpError around a HostKeyMismatchError", err)
	}
	if want := "jump host " + jump.Addr(); !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want it to start with %q", err, want)
	}
	if got, _ := target.AuthorizedKeys(); string(got) != admin.line+"\n" {
		t.Fatalf("the target's file changed:\n%s", got)
	}
}

// The target's credentials are never a fallback for the jump host: a jump
// host with none of its own fails as the jump, having offered nothing.
func TestTargetCredentialsAreNotOfferedToTheJumpHost(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	jump, target := startDevice(t, []byte(admin.line+"\n")), startDevice(t, []byte(admin.line+"\n"))
	ep := endpoint(targetOf(target), trustOf(target), Credentials{Keys: keyOf(admin.pem), Password: rootPassword})
	ep.Jump = &Hop{Host: jump.Host(), Port: jump.Port(), User: "root", HostKey: trustOf(jump)}
	pool := new(Pool)
	defer pool.Close()
	_, err := pool.FindKey(ctxT(t), ep, admin.pub)
	var jumpErr *JumpError
	var auth *AuthError
	if !errors.As(err, &jumpErr) || !errors.As(err, &auth) || len(auth.Tried) != 0 {
		t.Fatalf("err = %v, want the jump host's AuthError with nothing tried", err)
	}
}

// One address behind two jump hosts is two machines: they share no
// connection.
func TestTheJumpHostIsPartOfTheConnectionKey(t *testing.T) {
	t.Parallel()
	base := endpoint(Target{Host: "10.0.0.5", Port: 22}, HostKeyPolicy{}, Credentials{Password: "x"})
	a, b := base, base
	a.Jump = &Hop{Host: "jump-a", Port: 22, User: "root", HostKey: HostKeyPolicy{HostKey: "k"}}
	b.Jump = &Hop{Host: "jump-b", Port: 22, User: "root", HostKey: HostKeyPolicy{HostKey: "k"}}
	keys := map[string]bool{connKey(base): true, connKey(a): true, connKey(b): true}
	if len(keys) != 3 {
		t.Fatal("a direct endpoint and two jump hosts share a connection key")
	}
	c := a
	c.Jump = &Hop{Host: "jump-a", Port: 22, User: "root", HostKey: HostKeyPolicy{HostKey: "k"}, Auth: Credentials{KeyFile: "/other"}}
	if connKey(a) == connKey(c) {
		t.Fatal("two jump credentials share a connection key")
	}
}
