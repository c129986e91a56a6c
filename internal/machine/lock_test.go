package machine

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

const testLockPath = "/root/.ssh/authorized_keys" + lockSuffix

// lockContent is a lock file as another run writes it.
func lockContent(owner string, taken time.Time) string {
	return fmt.Sprintf("packet terraform provider edit lock\nowner: %s\ntaken: %d\n", owner, taken.Unix())
}

// A lock that is not a regular file (a dangling symlink, a symlink to a
// file, a directory) is no lock any run of ours makes: it is reported at
// once, naming what to remove, and never followed or removed.
func TestLockThatIsNotARegularFileIsReportedAtOnce(t *testing.T) {
	for name, setUp := range map[string]func(*testing.T, *sshserver.Server){
		"dangling symlink": func(t *testing.T, d *sshserver.Server) {
			if err := d.Symlink("nowhere", testLockPath); err != nil {
				t.Fatal(err)
			}
		},
		"symlink to a lock": func(t *testing.T, d *sshserver.Server) {
			if err := d.WriteFile("/root/real-lock", []byte(lockContent("someone", time.Now())), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := d.Symlink("../real-lock", testLockPath); err != nil {
				t.Fatal(err)
			}
		},
		"directory": func(t *testing.T, d *sshserver.Server) {
			if err := d.MkdirAll(testLockPath, 0o700); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			admin := newKey(t, "admin")
			dev := startDevice(t, []byte(admin.line+"\n"))
			setUp(t, dev)
			ctx, cancel := contextWithTimeout(t, 20*time.Second)
			defer cancel()
			start := time.Now()
			_, err := addKey(ctx, targetOf(dev), trustOf(dev), Credentials{Password: rootPassword}, newKey(t, ""))
			var notRegular *LockNotRegularError
			if !errors.As(err, &notRegular) {
				t.Fatalf("err = %v, want LockNotRegularError", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("reported after %v, want at once", d)
			}
			msg := err.Error()
			if notRegular.LockPath != testLockPath || !strings.Contains(msg, "remove "+testLockPath) {
				t.Fatalf("message does not say what to remove: %s", msg)
			}
			t.Log(msg)
			if _, err := dev.Lstat(testLockPath); err != nil {
				t.Fatalf("the odd lock was touched: %v", err)
			}
			if got, _ := dev.AuthorizedKeys(); string(got) != admin.line+"\n" {
				t.Fatal("the file was edited without the lock")
			}
		})
	}
}
