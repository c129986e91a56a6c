package provider

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/tfcli"
)

// Defect 3: two terraform processes (two pipelines, two workspaces) attach
// ten keys each to one device at the same time, five rounds. The provider
// processes share no lock in memory; only the lock on the machine keeps
// every line. Each round must end with 20 of 20 lines, and destroy with the
// file as the platform wrote it.
func TestAccDeviceKeyAttachment_twoTerraformProcessesAtOnce(t *testing.T) {
	acctest.Required(t)
	t.Parallel()
	f := newDeviceFixture(t)
	cliConfig := tfcli.DevOverrides(map[string]string{providerAddress: acctest.BuildProvider(t, filepath.Join("..", ".."))})
	keyFile := filepath.Join(t.TempDir(), "operator.pem")
	if err := os.WriteFile(keyFile, []byte(f.operator.PrivatePEM), 0o600); err != nil {
		t.Fatal(err)
	}

	const perWorkspace = 10
	var lines []string
	workspaces := make([]*acctest.Workdir, 2)
	for w := range workspaces {
		var mine []string
		for i := range perWorkspace {
			mine = append(mine, newTestKey(t, fmt.Sprintf("ws%d-key%d", w, i)).Line)
		}
		lines = append(lines, mine...)
		provider := acctest.ProviderBlock{AuthToken: mockapi.DefaultToken, APIURL: f.mock.URL(),
			SSH: fmt.Sprintf("private_key_file = %q\nagent = false", keyFile)}
		workspaces[w] = acctest.NewWorkdir(t, requiredPacketHCL+provider.String()+manyAttachmentsHCL("k", fmt.Sprintf("workspace-%d", w), mine, f.device.ID, ""))
		workspaces[w].WriteCLIConfig(cliConfig)
		workspaces[w].Setenv("SSH_AUTH_SOCK", "")
		workspaces[w].Setenv("TF_LOG", "")
	}

	run := func(args ...string) {
		t.Helper()
		var wg sync.WaitGroup
		for _, w := range workspaces {
			wg.Go(func() {
				cmd, out := w.Command(t.Context(), append(args, "-input=false", "-auto-approve", "-parallelism=10")...)
				if err := cmd.Run(); err != nil {
					t.Errorf("terraform %s in %s: %v\n%s", args[0], w.Dir, err, out)
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
	for round := 1; round <= 5; round++ {
		run("apply")
		got := string(f.authorizedKeys(t))
		present := 0
		for _, l := range lines {
			if strings.Count(got, l+"\n") == 1 {
				present++
			}
		}
		if present != len(lines) || !strings.HasPrefix(got, string(f.original)) {
			t.Fatalf("round %d: %d of %d lines on the device:\n%s", round, present, len(lines), got)
		}
		run("destroy")
		if got := f.authorizedKeys(t); !bytes.Equal(got, f.original) {
			t.Fatalf("round %d: after both destroys the file is not as provisioned:\n%q\nwant\n%q", round, got, f.original)
		}
		t.Logf("round %d: %d/%d lines, then back to the provisioned file", round, present, len(lines))
	}
}
