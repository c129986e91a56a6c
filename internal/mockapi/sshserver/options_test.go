package sshserver

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// outcome is what a client sees of one authorized_keys line.
type outcome struct {
	login  bool
	whoami string // output of "exec whoami" ("" when no login)
	pty    bool   // a pty-req is granted
	sftp   bool   // the sftp subsystem answers
}

func (o outcome) String() string {
	return fmt.Sprintf("login=%v whoami=%q pty=%v sftp=%v", o.login, o.whoami, o.pty, o.sftp)
}

// probe logs in with signer and tries what a test can see: a command, a
// pty, the sftp subsystem. me is the login user's name on the server.
func probe(t *testing.T, dial func() (*ssh.Client, error), me string) outcome {
	t.Helper()
	c, err := dial()
	if err != nil {
		return outcome{}
	}
	defer c.Close()
	o := outcome{login: true}
	if s, err := c.NewSession(); err == nil {
		out, _ := s.Output("whoami")
		o.whoami = strings.ReplaceAll(string(out), me, "<me>")
		s.Close()
	}
	if s, err := c.NewSession(); err == nil {
		o.pty = s.RequestPty("xterm", 24, 80, ssh.TerminalModes{}) == nil
		s.Close()
	}
	if sc, err := sftp.NewClient(c); err == nil {
		_, err = sc.Getwd()
		o.sftp = err == nil
		sc.Close()
	}
	return o
}

// optionCases are authorized_keys lines for KEY (replaced by the client's
// key) and what sshd does with them for a client on 127.0.0.1.
var optionCases = []struct {
	name, lines string
	want        outcome
}{
	{"plain", "KEY", outcome{true, "<me>\n", true, true}},
	{"from another address", `from="10.9.9.9" KEY`, outcome{}},
	{"from the client's address", `from="127.0.0.1" KEY`, outcome{true, "<me>\n", true, true}},
	{"from a block and a negation", `from="!10.*,127.0.0.0/8" KEY`, outcome{true, "<me>\n", true, true}},
	{"from everyone but the client", `from="!127.0.0.1,*" KEY`, outcome{}},
	{"forced command", `command="echo forced" KEY`, outcome{true, "forced\n", true, false}},
	{"no-pty", `no-pty KEY`, outcome{true, "<me>\n", false, true}},
	{"restrict", `restrict KEY`, outcome{true, "<me>\n", false, true}},
	{"restrict then pty", `restrict,pty KEY`, outcome{true, "<me>\n", true, true}},
	{"expired", `expiry-time="20200101Z" KEY`, outcome{}},
	{"not yet expired", `expiry-time="29991231Z" KEY`, outcome{true, "<me>\n", true, true}},
	{"unknown option", `bogus-option KEY`, outcome{}},
	{"cert-authority", `cert-authority KEY`, outcome{}},
	{"first line refuses, second allows", "from=\"10.9.9.9\" KEY\ncommand=\"echo second\" KEY", outcome{true, "second\n", true, false}},
}

func linesFor(lines string, signer ssh.Signer) []byte {
	key := strings.TrimSpace(string(authLine(signer)))
	return []byte(strings.ReplaceAll(lines, "KEY", key) + "\n")
}

// TestAuthorizedKeysOptions: the mock's device honours the options of the
// line a key logs in with, as sshd does (TestOptionsMatchRealSSHD compares
// the same cases with a real sshd).
func TestAuthorizedKeysOptions(t *testing.T) {
	signer := newSigner(t)
	for _, c := range optionCases {
		t.Run(c.name, func(t *testing.T) {
			s := start(t, Config{AuthorizedKeys: linesFor(c.lines, signer)})
			got := probe(t, func() (*ssh.Client, error) { return dialWith(s, "root", ssh.PublicKeys(signer)) }, "root")
			if got != c.want {
				t.Errorf("%s:\n got %v\nwant %v", c.lines, got, c.want)
			}
		})
	}
}

// TestExpiryUsesTheServerClock: expiry-time is judged by Config.Clock.
func TestExpiryUsesTheServerClock(t *testing.T) {
	signer := newSigner(t)
	var mu sync.Mutex
	now := time.Date(2029, 12, 31, 23, 59, 0, 0, time.UTC)
	s := start(t, Config{
		AuthorizedKeys: linesFor(`expiry-time="20300101Z" KEY`, signer),
		Clock:          func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
	})
	mustDial(t, s, ssh.PublicKeys(signer)).Close()
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if c, err := dialWith(s, "root", ssh.PublicKeys(signer)); err == nil {
		c.Close()
		t.Fatal("logged in after the line's expiry-time")
	}
}
