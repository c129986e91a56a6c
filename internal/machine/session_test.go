package machine

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/testutil"
	"golang.org/x/crypto/ssh"
)

// startNoSFTPServer runs an SSH server that logs anyone in with the root
// password and opens sessions, but whose sftp subsystem misbehaves as
// mode says: "no reply" never answers the subsystem request, "no version"
// accepts it and never sends the SFTP version, "refused" refuses it.
func startNoSFTPServer(t *testing.T, mode string) (Target, HostKeyPolicy) {
	t.Helper()
	_, signer := testutil.NewSSHKey(t)
	cfg := &ssh.ServerConfig{
		PasswordCallback: func(ssh.ConnMetadata, []byte) (*ssh.Permissions, error) { return nil, nil },
	}
	cfg.AddHostKey(signer)
	port := serveLoopback(t, func(c net.Conn) {
		_, chans, reqs, err := ssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		go ssh.DiscardRequests(reqs)
		for nc := range chans {
			ch, chReqs, err := nc.Accept()
			if err != nil {
				continue
			}
			go func() {
				for req := range chReqs {
					switch {
					case req.Type != "subsystem":
						_ = req.Reply(false, nil)
					case mode == "refused":
						_ = req.Reply(false, nil)
					case mode == "no version":
						_ = req.Reply(true, nil) // and then say nothing
					}
					// "no reply": never answer
				}
				_ = ch.Close()
			}()
		}
	})
	tgt := Target{Host: "127.0.0.1", Port: port, Timeout: 5 * time.Second}
	return tgt, HostKeyPolicy{HostKey: string(ssh.MarshalAuthorizedKey(signer.PublicKey()))}
}

// A server that logs us in but never starts SFTP costs Timing.SFTPStart,
// not the whole operation, and is reported as what it is: no sftp
// subsystem, never an unreachable machine behind a firewall.
func TestSFTPThatDoesNotStartIsReportedAsSuch(t *testing.T) {
	t.Parallel()
	k := newKey(t, "")
	for _, mode := range []string{"no reply", "no version", "refused"} {
		t.Run(mode, func(t *testing.T) {
			tgt, hk := startNoSFTPServer(t, mode)
			ctx, cancel := contextWithTimeout(t, 20*time.Second)
			defer cancel()
			start := time.Now()
			pool := &Pool{Timing: Timing{SFTPStart: 300 * time.Millisecond}}
			defer pool.Close()
			_, err := pool.FindKey(ctx, endpoint(tgt, hk, Credentials{Password: rootPassword}), k.pub)
			var sftpErr *SFTPStartError
			var unreachable *UnreachableError
			if !errors.As(err, &sftpErr) || errors.As(err, &unreachable) {
				t.Fatalf("err = %v, want SFTPStartError", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %v, want about Timing.SFTPStart", d)
			}
			msg := err.Error()
			if !strings.Contains(msg, "Subsystem sftp") || !strings.Contains(msg, "sshd_config") || strings.Contains(msg, "firewall") {
				t.Fatalf("message does not point at the sftp subsystem: %s", msg)
			}
			t.Log(msg)
		})
	}
}
