package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func stateFixture(name string) string {
	return filepath.Join("..", "..", "mockapi", "tfstate", "testdata", name)
}

// TestSeedFromStateFlag: --seed-from-state, given twice, serves what both
// states hold to the token that wrote them and lists on stderr what it
// skipped and could not reproduce.
func TestSeedFromStateFlag(t *testing.T) {
	run := startRun(t, "--seed-from-state", stateFixture("this-provider.tfstate"),
		"--seed-from-state", stateFixture("packethost-packet-v3-devices.tfstate"), "--token", "T0")
	if got := run.values["user_id"]; len(got) != 1 || got[0] != "b1b1b1b1-1111-4111-8111-111111111111" {
		t.Errorf("user_id = %v, want the state's user", got)
	}
	for _, path := range []string{
		"ssh-keys/c2c2c2c2-2222-4222-8222-222222222222", // this provider's personal key
		"projects/a2a2a2a2-2222-4222-8222-222222222222", // the archived provider's project
		"devices/d2d2d2d2-2222-4222-8222-222222222222",  // and device
		"devices/d1d1d1d1-1111-4111-8111-111111111111",  // a device the first state reads
	} {
		if got := run.get(t, path, "T0"); got != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, got)
		}
	}
	log := run.stderr.String()
	for _, want := range []string{
		"this-provider.tfstate: seeded 1 project(s), 3 SSH key(s), 1 device(s), 1 key attachment(s)",
		"this-provider.tfstate: skipped (packet-mock does not read these types): data.packet_ssh_public_key.me, module.app.aws_instance.web[0], module.app.aws_instance.web[1]",
		"packethost-packet-v3-devices.tfstate: skipped (packet-mock does not read these types): packet_reserved_ip_block.extra",
		"packethost-packet-v3-devices.tfstate: note: user b2b2b2b2-2222-4222-8222-222222222222: added without a token",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
}

func TestSeedFromStateBadFiles(t *testing.T) {
	dir := t.TempDir()
	notState := filepath.Join(dir, "x.tfstate")
	if err := os.WriteFile(notState, []byte(`{"version": 3}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{filepath.Join(dir, "missing.tfstate"), notState} {
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"--seed-from-state", file, "--listen", "127.0.0.1:0", "--quiet"}, io.Discard, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), filepath.Base(file)) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and a message naming the file", file, code, stderr.String())
		}
	}
}
