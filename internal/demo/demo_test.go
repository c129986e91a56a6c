// Package demo_test runs scripts/demo.sh (what `make demo` runs) end to end,
// so `make test` proves the README's demo works and cleans up after itself.
package demo_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/tfcli"
)

// demoTimeout bounds one run; a normal run takes a few seconds.
const demoTimeout = 90 * time.Second

// terraformCLI is the CLI the demo is run with, as the GNUmakefile picks it.
// The demo runs the CLI, so it is an acceptance test (TF_ACC; make test sets it).
func terraformCLI(t *testing.T) string {
	t.Helper()
	acctest.Required(t)
	return acctest.Binary(t)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "scripts", "demo.sh")); err != nil {
		t.Fatalf("scripts/demo.sh not found from %s: %v", root, err)
	}
	return root
}

// binDir holds the provider and packet-mock built by TestMain from the current
// source, so the demo never runs a stale ./bin; buildErr says why it is empty.
var (
	binDir   string
	buildErr error
)

func TestMain(m *testing.M) {
	tfcli.DropMissingCLIConfig()
	binDir, buildErr = buildBinaries()
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func buildBinaries() (string, error) {
	dir, err := os.MkdirTemp("", "packet-demo-bin-")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return dir, tfcli.GoBuild(ctx, filepath.Join("..", ".."), dir, ".", "./internal/cmd/packet-mock")
}

// demoRun is one run of scripts/demo.sh in its own process group with its own TMPDIR.
type demoRun struct {
	cmd    *exec.Cmd
	tmp    string
	mu     sync.Mutex
	output strings.Builder
	lines  chan string // every output line, for waiting on a step
	done   chan struct{}
	pw     *io.PipeWriter
}

func startDemo(t *testing.T, env ...string) *demoRun {
	t.Helper()
	root := repoRoot(t)
	tf := terraformCLI(t)
	if buildErr != nil {
		t.Fatal(buildErr)
	}

	r := &demoRun{tmp: t.TempDir(), lines: make(chan string, 1024), done: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	t.Cleanup(cancel)
	r.cmd = exec.CommandContext(ctx, filepath.Join(root, "scripts", "demo.sh"))
	r.cmd.Dir = root
	r.cmd.Env = append(os.Environ(), append([]string{"BIN_DIR=" + binDir, "TF_CLI=" + tf, "TMPDIR=" + r.tmp}, env...)...)
	// Own process group: a timeout kills the script and everything it started,
	// and SIGINT can be sent the way a terminal's Ctrl-C is.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r.cmd.Cancel = func() error { return syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL) }
	r.cmd.WaitDelay = 5 * time.Second

	pr, pw := io.Pipe()
	r.cmd.Stdout, r.cmd.Stderr = pw, pw
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			r.mu.Lock()
			r.output.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
			select {
			case r.lines <- sc.Text():
			default: // nobody waits for lines this late in the run
			}
		}
	}()
	t.Cleanup(func() { r.killLeftoverMock(t) })
	r.pw = pw
	return r
}

// wait ends the run and returns its exit code.
func (r *demoRun) wait(t *testing.T) int {
	t.Helper()
	err := r.cmd.Wait()
	_ = r.pw.Close()
	<-r.done
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exitErr):
		return exitErr.ExitCode()
	default:
		t.Fatalf("demo.sh: %v\n%s", err, r.text())
		return -1
	}
}

func (r *demoRun) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.output.String()
}

var mockPIDLine = regexp.MustCompile(`(?m)^packet-mock pid (\d+)$`)

// mockPID is the pid the script printed for packet-mock, 0 before it did.
func (r *demoRun) mockPID() int {
	m := mockPIDLine.FindStringSubmatch(r.text())
	if m == nil {
		return 0
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// killLeftoverMock keeps a failed test from leaving packet-mock behind.
func (r *demoRun) killLeftoverMock(t *testing.T) {
	if pid := r.mockPID(); pid > 0 && processAlive(pid) {
		t.Errorf("packet-mock (pid %d) still running after the test; killing it", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// assertCleanedUp checks the script's promise: no packet-mock process and
// nothing left in TMPDIR (work dir, device filesystems, terraform files).
func (r *demoRun) assertCleanedUp(t *testing.T) {
	t.Helper()
	pid := r.mockPID()
	if pid == 0 {
		t.Fatalf("the demo never printed packet-mock's pid:\n%s", r.text())
	}
	if processAlive(pid) {
		t.Errorf("packet-mock (pid %d) is still running after the demo exited", pid)
	}
	left, err := os.ReadDir(r.tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

func TestDemoRunsToTheEndAndCleansUp(t *testing.T) {
	clients := []string{"go"}
	if _, err := exec.LookPath("ssh"); err == nil {
		clients = append([]string{"openssh"}, clients...)
	} else {
		t.Log("no OpenSSH client on PATH: only the Go client is exercised")
	}
	for _, client := range clients {
		t.Run(client, func(t *testing.T) {
			r := startDemo(t, "SSH_CLIENT="+client)
			code := r.wait(t)
			out := r.text()
			if code != 0 {
				t.Fatalf("demo.sh exited %d:\n%s", code, out)
			}
			for _, want := range []string{
				"device says: hello from web-1: the PuTTY key works",
				"device says: hello from web-1: the deploy key works",
				"No changes. Your infrastructure matches the configuration.",
				"no changes: the provider compares keys, not their spelling",
				"Destroy complete! Resources: 4 destroyed.",
				"refused, as it should be",
				"==> Done:",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if !regexp.MustCompile(`(?m)^ +format += "ppk-v3"$`).MatchString(out) {
				t.Errorf("the output does not show the .ppk read as ppk-v3:\n%s", out)
			}
			if !regexp.MustCompile(`"fingerprint_md5" = "([0-9a-f]{2}:){15}[0-9a-f]{2}"`).MatchString(out) {
				t.Errorf("no MD5 fingerprint in colon hex in the output:\n%s", out)
			}
			// Each thing once: one Outputs block (three keys with an MD5
			// fingerprint each), not a second copy from `terraform output`.
			assertLines(t, out, `^Outputs:$`, 1)
			assertLines(t, out, `^ *"fingerprint_md5" = `, 3)
			r.assertCleanedUp(t)
		})
	}
}

// assertLines checks how many lines of out match pattern.
func assertLines(t *testing.T, out, pattern string, want int) {
	t.Helper()
	if n := len(regexp.MustCompile("(?m)"+pattern).FindAllString(out, -1)); n != want {
		t.Errorf("%d lines match %s, want %d:\n%s", n, pattern, want, out)
	}
}

// The no-change check must be able to fail: given another key, the plan has
// changes, and the demo says so, exits 1 and still cleans up.
func TestDemoFailsOnAFalseDiff(t *testing.T) {
	r := startDemo(t, "OTHER_FORM=keys/alice.pub")
	code := r.wait(t)
	out := r.text()
	if code != 1 {
		t.Errorf("demo.sh exited %d with another key in the no-change plan, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "the plan shows changes after only the key's form and comment changed") {
		t.Errorf("no false-diff message:\n%s", out)
	}
	r.assertCleanedUp(t)
}

func TestDemoCleansUpWhenInterrupted(t *testing.T) {
	r := startDemo(t)
	waitForLine(t, r, " apply: ")
	// What Ctrl-C in a terminal does: SIGINT to the whole foreground process group.
	if err := syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := r.wait(t)
	if code != 130 {
		t.Errorf("demo.sh exited %d after Ctrl-C, want 130:\n%s", code, r.text())
	}
	if !strings.Contains(r.text(), "packet-mock stopped and temporary files removed") {
		t.Errorf("no cleanup message after Ctrl-C:\n%s", r.text())
	}
	r.assertCleanedUp(t)
}

func waitForLine(t *testing.T, r *demoRun, substr string) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line := <-r.lines:
			if strings.Contains(line, substr) {
				return
			}
		case <-r.done:
			if strings.Contains(r.text(), substr) {
				return
			}
			t.Fatalf("demo.sh ended before printing %q:\n%s", substr, r.text())
		case <-timeout:
			t.Fatalf("demo.sh did not print %q within 60s:\n%s", substr, r.text())
		}
	}
}
