package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// Defect 3: two terraform processes (two pipelines, two workspaces) attach
// ten keys each to one device at the same time, five rounds. The provider
// processes share no lock in memory; only the lock on the machine keeps
// every line. Each round must end with 20 of 20 lines, and destroy with the
// file as the platform wrote it.
func TestAccDeviceKeyAttachment_twoTerraformProcessesAtOnce(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("TF_ACC is set but no terraform: set TF_ACC_TERRAFORM_PATH")
		}
	}
	f := newDeviceFixture(t)
	binDir := buildProvider(t)
	cli := filepath.Join(t.TempDir(), "cli.tfrc")
	writeFile(t, cli, fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/packethost/packet" = %q
  }
  direct {}
}
`, binDir))
	keyFile := filepath.Join(t.TempDir(), "operator.pem")
	writeFile(t, keyFile, f.operator.PrivatePEM)

	const perWorkspace = 10
	var lines []string
	workspaces := make([]string, 2)
	for w := range workspaces {
		var mine []string
		for i := range perWorkspace {
			mine = append(mine, newTestKey(t, fmt.Sprintf("ws%d-key%d", w, i)).Line)
		}
		lines = append(lines, mine...)
		workspaces[w] = t.TempDir()
		writeFile(t, filepath.Join(workspaces[w], "main.tf"), requiredPacketHCL+fmt.Sprintf(`
provider "packet" {
  auth_token = %q
  api_url    = %q
  ssh {
    private_key_file = %q
    agent            = false
  }
}
`, mockapi.DefaultToken, f.mock.URL(), keyFile)+manyAttachmentsHCL("k", fmt.Sprintf("workspace-%d", w), mine, f.device.ID, ""))
	}

	run := func(args ...string) {
		t.Helper()
		var wg sync.WaitGroup
		for _, dir := range workspaces {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, tf, append(args, "-no-color", "-input=false", "-auto-approve", "-parallelism=10")...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cli, "TF_IN_AUTOMATION=1", "SSH_AUTH_SOCK=", "TF_LOG=")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("terraform %s in %s: %v\n%s", args[0], dir, err, out)
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

// buildProvider builds this module's provider binary for dev_overrides.
func buildProvider(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "terraform-provider-packet"), ".")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of the provider: %v\n%s", err, out)
	}
	return dir
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
