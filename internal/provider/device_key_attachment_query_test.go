package provider

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// TestAccDeviceKeyAttachment_queryExampleGeneratesImports runs the query
// example (examples/resources/packet_device_key_attachment/query) the way
// its comment says: terraform query -generate-config-out writes an import
// block and a resource for each platform key found on the device; apply
// imports them all; the next plan is empty; destroy leaves every line.
func TestAccDeviceKeyAttachment_queryExampleGeneratesImports(t *testing.T) {
	t.Parallel()
	acctest.SkipBelow(t, "1.14.0", "terraform query") // before init: the example requires 1.14
	f := newDeviceFixture(t)
	var lines []byte
	for i := range 3 {
		k := newTestKey(t, "by-hand")
		if _, err := f.mock.PutSSHKey(mockapi.SSHKey{Label: "by-hand-" + string(rune('a'+i)), Key: k.Line, ProjectID: mockapi.DefaultProjectID}); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, k.Line+"\n"...)
	}
	lines = append(lines, newTestKey(t, "stranger").Line+"\n"...)
	file := append(bytes.Clone(f.original), lines...)
	if err := f.machine(t).SetAuthorizedKeys(file); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "examples", "resources", "packet_device_key_attachment", "query")
	mainTF, err := os.ReadFile(filepath.Join(dir, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	query, err := os.ReadFile(filepath.Join(dir, "find.tfquery.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	tf := newCLIRun(t, string(mainTF)+f.providerWithKey(), map[string]string{"device_id": f.device.ID})
	if err := os.WriteFile(filepath.Join(tf.Dir, "find.tfquery.hcl"), query, 0o600); err != nil {
		t.Fatal(err)
	}
	tf.Run("query", "-generate-config-out=adopted.tf")
	generated, err := os.ReadFile(filepath.Join(tf.Dir, "adopted.tf"))
	if err != nil {
		t.Fatal(err)
	}
	// Three by hand plus the operator's key from provisioning; never the stranger.
	if n := bytes.Count(generated, []byte("import {")); n != 4 {
		t.Fatalf("generated %d import blocks, want 4:\n%s", n, generated)
	}
	t.Logf("terraform query -generate-config-out wrote:\n%s", generated)
	tf.Run("apply", "-auto-approve")
	tf.Run("plan", "-detailed-exitcode") // exit 2 (changes) fails the test
	if err := os.Remove(filepath.Join(tf.Dir, "adopted.tf")); err != nil {
		t.Fatal(err)
	}
	tf.Run("apply", "-auto-approve") // the attachments go; the lines stay
	if got := f.authorizedKeys(t); !bytes.Equal(got, file) {
		t.Fatalf("after destroying the adopted attachments authorized_keys changed:\nwant %q\ngot  %q", file, got)
	}
}
