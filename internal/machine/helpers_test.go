package machine

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

const rootPassword = "r00t-Pa55-never-shown"

// testKey is a key pair with everything the tests need from it.
type testKey struct {
	signer ssh.Signer
	pub    ssh.PublicKey
	line   string // authorized_keys line, no newline
	pem    []byte // OpenSSH private key, unencrypted
	raw    ed25519.PrivateKey
}

// asLine is k's line as one writer (named after the key) writes it.
func (k testKey) asLine() Line { return lineAs(k, k.line, "w"+writerOf(k)) }

// lineAs is text for k written by writer.
func lineAs(k testKey, text, writer string) Line { return Line{Text: text, Key: k.pub, Writer: writer} }

func writerOf(k testKey) string {
	sum := sha256.Sum256(k.pub.Marshal())
	return hex.EncodeToString(sum[:8])
}

// newKeys makes n keys with the comments user0, user1, ...
func newKeys(t testing.TB, n int) []testKey {
	t.Helper()
	keys := make([]testKey, n)
	for i := range keys {
		keys[i] = newKey(t, "user"+strconv.Itoa(i))
	}
	return keys
}

func newKey(t testing.TB, comment string) testKey {
	t.Helper()
	priv, signer := testutil.NewSSHKey(t)
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	if comment != "" {
		line += " " + comment
	}
	return testKey{signer: signer, pub: signer.PublicKey(), line: line, pem: pem.EncodeToMemory(block), raw: priv}
}

func encryptedPEM(t testing.TB, k testKey, passphrase []byte) []byte {
	t.Helper()
	block, err := ssh.MarshalPrivateKeyWithPassphrase(k.raw, "", passphrase)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(block)
}

func startDevice(t testing.TB, authorizedKeys []byte) *sshserver.Server {
	t.Helper()
	s, err := sshserver.Start(sshserver.Config{RootPassword: rootPassword, AuthorizedKeys: authorizedKeys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func targetOf(s *sshserver.Server) Target {
	return Target{Host: s.Host(), Port: s.Port(), User: "root", AuthorizedKeysPath: ".ssh/authorized_keys", Timeout: 5 * time.Second}
}

func trustOf(s *sshserver.Server) HostKeyPolicy { return HostKeyPolicy{HostKey: s.HostKey()} }

// canLogin tries a real SSH login as root with k.
func canLogin(t testing.TB, host string, port int, user string, k testKey) bool {
	t.Helper()
	c, err := ssh.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)), &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(k.signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // only the login matters here
		Timeout:         5 * time.Second,
	})
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// assertNoSecret fails when err's message holds any secret or a fragment of one.
func assertNoSecret(t testing.TB, err error, secrets ...[]byte) {
	t.Helper()
	if err == nil {
		t.Fatal("expected an error")
	}
	msg := err.Error()
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		for _, frag := range fragments(string(s)) {
			if strings.Contains(msg, frag) {
				t.Fatalf("error message leaks a secret fragment %q: %s", frag, msg)
			}
		}
	}
}

// fragments are the distinctive pieces of a secret: the whole of a short one,
// each base64 line of a PEM.
func fragments(s string) []string {
	if !strings.Contains(s, "\n") {
		return []string{s}
	}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if len(l) >= 16 && !strings.HasPrefix(l, "-----") {
			out = append(out, l[:16])
		}
	}
	return out
}

// startAgent serves an in-memory agent holding keys on a temp unix socket
// and returns the socket's path.
func startAgent(t *testing.T, keys ...testKey) string {
	t.Helper()
	keyring := agent.NewKeyring()
	for _, k := range keys {
		if err := keyring.Add(agent.AddedKey{PrivateKey: k.raw}); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := shortTempDir(t)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	l, err := new(net.ListenConfig).Listen(t.Context(), "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = agent.ServeAgent(keyring, c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		<-done
	})
	return sock
}

// shortTempDir keeps unix socket paths under the 108-byte limit.
func shortTempDir(t *testing.T) (string, error) {
	dir := t.TempDir()
	if len(dir) < 80 {
		return dir, nil
	}
	return "", errors.New("temp dir path too long for a unix socket")
}

// keyOf offers one private key, labelled as the provider labels its own.
func keyOf(pemBytes []byte) []PrivateKey {
	return []PrivateKey{{Label: "private_key", PEM: pemBytes}}
}

// addKey runs AddKey and reports whether it wrote the line.
func addKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, k testKey) (bool, error) {
	res, err := addKeyOnce(ctx, endpoint(t, hk, c), k.asLine())
	return res.Added, err
}

// removeKey runs RemoveKey for the line AddKey wrote for k.
func removeKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, k testKey) (bool, error) {
	res, err := removeKeyOnce(ctx, endpoint(t, hk, c), k.asLine())
	return res.Removed, err
}

// hasKey runs FindKey.
func hasKey(ctx context.Context, t Target, hk HostKeyPolicy, c Credentials, pub ssh.PublicKey) (bool, error) {
	res, err := findKeyOnce(ctx, endpoint(t, hk, c), pub)
	return res.Found, err
}

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(t.Context(), d)
}

// serveLoopback accepts TCP connections on a loopback port until the test
// ends, giving each to handle on a goroutine of its own; at the end every
// connection is closed and every handler waited for.
func serveLoopback(t *testing.T, handle func(net.Conn)) int {
	t.Helper()
	l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { handle(c) })
		}
	})
	return int(netip.MustParseAddrPort(l.Addr().String()).Port())
}
