package provider

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// TestAccDeviceKeyAttachment_rotateExampleKeepsAccess runs the rotation
// recipe (examples/resources/packet_device_key_attachment/rotate) with the
// terraform CLI on three servers: while the key changes from old to new,
// every server holds at least one of them at every moment (watched from
// the side), and both at some moment (the new line is written before the
// old one goes); afterwards the new key logs in and the old one does not.
func TestAccDeviceKeyAttachment_rotateExampleKeepsAccess(t *testing.T) {
	t.Parallel()
	fleet := newOperatorFleet(t)
	mock, operator := fleet.mock, fleet.operator
	var devices []string
	for i := range 3 {
		devices = append(devices, fleet.device(t, fmt.Sprintf("app-%d", i), "app"))
	}
	machine := func(id string) mockapi.Machine { return fleet.machine(t, id) }
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "resources", "packet_device_key_attachment", "rotate", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	ids := `["` + strings.Join(devices, `","`) + `"]`
	config := string(example) + requiredPacketHCL + providerWithKeyFor(mock, operator.PrivatePEM)
	oldKey, newKey := newTestKey(t, "deploy-2025"), newTestKey(t, "deploy-2026")
	vars := map[string]string{"project_id": mockapi.DefaultProjectID, "device_ids": ids}

	vars["public_key"] = oldKey.Line
	tf := newCLIRun(t, config, vars)
	tf.Run("apply", "-auto-approve")
	for _, id := range devices {
		if err := logIn(machine(id), oldKey); err != nil {
			t.Fatalf("the old key cannot log in to %s after the first apply: %v", id, err)
		}
	}

	w := watchKeys(t, devices, machine, blobOf(oldKey), blobOf(newKey))
	tf.Run("apply", "-auto-approve", "-var", "public_key="+newKey.Line)
	neither, both := w.stop()
	for _, id := range devices {
		if neither[id] {
			t.Errorf("device %s had neither the old nor the new key at some moment of the rotation", id)
		}
		if !both[id] {
			t.Errorf("device %s never had both keys: the old line went before the new one was written", id)
		}
		if err := logIn(machine(id), newKey); err != nil {
			t.Errorf("the new key cannot log in to %s: %v", id, err)
		}
		if logIn(machine(id), oldKey) == nil {
			t.Errorf("the old key still logs in to %s", id)
		}
	}
	tf.Run("destroy", "-auto-approve")
}

func blobOf(k testKey) []byte { return []byte(strings.Fields(k.Line)[1]) }

// keyWatch polls the devices' authorized_keys for two key blobs.
type keyWatch struct {
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	neither map[string]bool
	both    map[string]bool
}

func watchKeys(t *testing.T, devices []string, machine func(string) mockapi.Machine, a, b []byte) *keyWatch {
	t.Helper()
	w := &keyWatch{done: make(chan struct{}), neither: map[string]bool{}, both: map[string]bool{}}
	for _, id := range devices {
		m := machine(id)
		w.wg.Go(func() {
			for {
				select {
				case <-w.done:
					return
				case <-time.After(time.Millisecond):
				}
				data, err := m.AuthorizedKeys() // replaced by rename: always a whole file
				if err != nil {
					continue
				}
				hasA, hasB := bytes.Contains(data, a), bytes.Contains(data, b)
				w.mu.Lock()
				w.neither[id] = w.neither[id] || (!hasA && !hasB)
				w.both[id] = w.both[id] || (hasA && hasB)
				w.mu.Unlock()
			}
		})
	}
	return w
}

func (w *keyWatch) stop() (neither, both map[string]bool) {
	close(w.done)
	w.wg.Wait()
	return w.neither, w.both
}

// logIn is a real SSH login with k.
func logIn(m mockapi.Machine, k testKey) error {
	return logInAt(net.JoinHostPort(m.Host(), strconv.Itoa(m.Port())), "root", k)
}

// logInAt is a real SSH login with k as user at addr.
func logInAt(addr, user string, k testKey) error {
	signer, err := ssh.ParsePrivateKey([]byte(k.PrivatePEM))
	if err != nil {
		return err
	}
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
	if err != nil {
		return err
	}
	return c.Close()
}
