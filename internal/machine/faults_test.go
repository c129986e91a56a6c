package machine

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// TestThirtyParallelAddsUnderDroppedConnections runs 30 adds at once while
// the device drops every connection that writes more than a given number of
// bytes: once the file has grown past that, adds fail mid-write. Whatever
// succeeded and whatever failed, authorized_keys must always be a complete
// file (the original plus whole lines of the keys that were added), and no
// temp file may be left. With the fault gone, the failed adds succeed.
func TestThirtyParallelAddsUnderDroppedConnections(t *testing.T) {
	t.Parallel()
	admin := newKey(t, "admin")
	initial := initialFile(t, admin)
	dev := startDevice(t, initial)
	creds := Credentials{Keys: keyOf(admin.pem)}
	keys := newKeys(t, 30)
	// Room for about a third of the keys: the rest are cut off mid-write.
	lineLen := len(keys[0].line) + 2
	dev.SetFaults(sshserver.Faults{DropAfterWriteBytes: len(initial) + 10*lineLen + lineLen/2})

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		added  = map[string]bool{}
		maybe  = map[string]bool{} // failed after the rename was sent: may be there
		failed []testKey
	)
	for _, k := range keys {
		wg.Go(func() {
			res, err := addKeyOnce(ctxT(t), endpoint(targetOf(dev), trustOf(dev), creds), k.asLine())
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && res.Added:
				t.Errorf("AddKey for %s failed but reports a change: %v", k.line, err)
			case err != nil:
				assertNoSecret(t, err, admin.pem)
				failed = append(failed, k)
				maybe[k.line] = res.MayHaveWritten
			default:
				added[k.line] = true
			}
		})
	}
	wg.Wait()
	t.Logf("under faults: %d added, %d cut off mid-write", len(added), len(failed))
	if len(added) == 0 || len(failed) == 0 {
		t.Fatalf("%d added and %d failed: the fault should let some adds through and stop others", len(added), len(failed))
	}
	assertWholeFile(t, dev, initial, added, maybe)
	assertNoTempFiles(t, dev)

	// The fault is gone: every failed add goes through, still in parallel.
	dev.SetFaults(sshserver.Faults{})
	for _, k := range failed {
		wg.Go(func() {
			if _, err := addKey(ctxT(t), targetOf(dev), trustOf(dev), creds, k); err != nil {
				t.Errorf("AddKey after the fault: %v", err)
				return
			}
			mu.Lock()
			added[k.line] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(added) != len(keys) {
		t.Fatalf("%d keys present, want %d", len(added), len(keys))
	}
	assertWholeFile(t, dev, initial, added, nil)
	assertNoTempFiles(t, dev)
}

// assertWholeFile fails unless authorized_keys is the original file followed
// by exactly the lines of the added keys, each whole and present once, and
// perhaps lines of the keys whose add failed after the rename was sent
// (the caller keeps those: see AddResult.MayHaveWritten).
func assertWholeFile(t *testing.T, dev *sshserver.Server, initial []byte, added, maybe map[string]bool) {
	t.Helper()
	got, err := dev.AuthorizedKeys()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, initial) {
		t.Fatalf("the original lines changed:\n%q", got)
	}
	rest := string(got[len(initial):])
	if rest != "" && !strings.HasSuffix(rest, "\r\n") {
		t.Fatalf("the file ends in a partial line:\n%q", rest)
	}
	seen := map[string]bool{}
	for line := range strings.SplitSeq(strings.TrimSuffix(rest, "\r\n"), "\r\n") {
		if line == "" && rest == "" {
			break
		}
		if !added[line] && !maybe[line] || seen[line] {
			t.Errorf("unexpected, truncated or repeated line %q", line)
		}
		seen[line] = true
	}
	for line := range added {
		if !seen[line] {
			t.Errorf("added line missing: %q", line)
		}
	}
	if len(seen) < len(added) {
		t.Errorf("%d key lines in the file, want the %d that were added", len(seen), len(added))
	}
}
