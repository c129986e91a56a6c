package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// fixture is a simulated device that lets in one key, plus the files a login needs.
type fixture struct {
	server    *sshserver.Server
	keyFile   string // the authorized key
	otherKey  string // a key the device does not know
	knownHost string // known_hosts with the device's real host key
	wrongHost string // known_hosts with another host key for the same address
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	authorized := writeKey(t, filepath.Join(dir, "id"))
	writeKey(t, filepath.Join(dir, "other"))

	srv, err := sshserver.Start(sshserver.Config{AuthorizedKeys: ssh.MarshalAuthorizedKey(authorized)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })

	addr := knownhosts.Normalize(srv.Addr())
	good := filepath.Join(dir, "known_hosts")
	writeFile(t, good, knownhosts.Line([]string{addr}, srv.HostPublicKey())+"\n")
	impostor := writeKey(t, filepath.Join(dir, "impostor"))
	bad := filepath.Join(dir, "known_hosts_wrong")
	writeFile(t, bad, knownhosts.Line([]string{addr}, impostor)+"\n")

	return fixture{server: srv, keyFile: filepath.Join(dir, "id"), otherKey: filepath.Join(dir, "other"), knownHost: good, wrongHost: bad}
}

// writeKey writes a fresh unencrypted ed25519 private key and returns its public half.
func writeKey(t *testing.T, path string) ssh.PublicKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(pem.EncodeToMemory(block)))
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return sshPub
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) config(key, knownHosts, command string) loginConfig {
	return loginConfig{
		Host: f.server.Host(), Port: f.server.Port(), User: "root",
		KeyFile: key, KnownHostsFile: knownHosts, Command: command, Timeout: 10 * time.Second,
	}
}

func TestLoginRunsTheCommand(t *testing.T) {
	f := newFixture(t)
	out, status, err := login(t.Context(), f.config(f.keyFile, f.knownHost, "echo hello from web-1"))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if status != 0 || string(out) != "hello from web-1\n" {
		t.Fatalf("got status %d output %q, want 0 and the echoed words", status, out)
	}
}

func TestLoginReportsTheExitStatus(t *testing.T) {
	f := newFixture(t)
	_, status, err := login(t.Context(), f.config(f.keyFile, f.knownHost, "no-such-command"))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if status != 127 {
		t.Fatalf("status %d, want 127 (command not found)", status)
	}
}

func TestLoginRefusedForAKeyTheDeviceDoesNotHave(t *testing.T) {
	f := newFixture(t)
	_, _, err := login(t.Context(), f.config(f.otherKey, f.knownHost, "true"))
	if err == nil || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("err = %v, want an authentication failure", err)
	}
}

func TestLoginRefusesAnUnexpectedHostKey(t *testing.T) {
	f := newFixture(t)
	_, _, err := login(t.Context(), f.config(f.keyFile, f.wrongHost, "true"))
	if err == nil || !strings.Contains(err.Error(), "key mismatch") {
		t.Fatalf("err = %v, want a host key mismatch", err)
	}
}

func TestLoginGivesUpAtTheTimeout(t *testing.T) {
	// A listener that accepts and never speaks: the SSH handshake would wait forever.
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		<-done
		_ = c.Close()
	}()
	f := newFixture(t)
	cfg := f.config(f.keyFile, f.knownHost, "true")
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("listener address %v is not TCP", ln.Addr())
	}
	cfg.Port = addr.Port
	cfg.Timeout = 300 * time.Millisecond
	start := time.Now()
	if _, _, err := login(context.Background(), cfg); err == nil {
		t.Fatal("login to a silent server succeeded")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("login took %v, want it to stop near the 300ms timeout", elapsed)
	}
}

func TestRunExitCodes(t *testing.T) {
	f := newFixture(t)
	base := []string{"-host", f.server.Host(), "-port", strconv.Itoa(f.server.Port()), "-known-hosts", f.knownHost}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
	}{
		{"ok", append(append([]string{}, base...), "-key", f.keyFile, "--", "echo", "hi"), 0, "hi\n"},
		{"command status", append(append([]string{}, base...), "-key", f.keyFile, "--", "false"), 127, "false: command not found\n"},
		{"refused", append(append([]string{}, base...), "-key", f.otherKey, "--", "true"), 255, ""},
		{"no command", append(append([]string{}, base...), "-key", f.keyFile), 2, ""},
		{"no key", append(append([]string{}, base...), "--", "true"), 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), tt.args, &stdout, &stderr); code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if stdout.String() != tt.wantStdout {
				t.Fatalf("stdout %q, want %q", stdout.String(), tt.wantStdout)
			}
		})
	}
}
