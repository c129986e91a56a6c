// Package acctest is the harness of the tests that run the Terraform or
// OpenTofu CLI: the TF_ACC gate, version skips, working directories that
// reach providers served in the test process, the packet provider block
// and scans for secrets.
package acctest

import (
	"os"
	"sync"
	"testing"

	"github.com/hashicorp/go-version"

	"github.com/packethost/terraform-provider-packet/internal/tfcli"
)

// apiEnvironment is what would point the provider at a real API, or lend
// it the developer's token.
var apiEnvironment = []string{"PACKET_AUTH_TOKEN", "METAL_AUTH_TOKEN", "PACKET_API_URL"}

// Main runs a package's tests the way every CLI run needs: a
// TF_CLI_CONFIG_FILE that names a missing file is dropped first, and so is
// any API token or URL in the environment. Tests reach only the mocks they
// start, and a test that needs one of these sets it (t.Setenv); the others
// need not clear them, so they can run in parallel.
func Main(m *testing.M) {
	tfcli.DropMissingCLIConfig()
	for _, name := range apiEnvironment {
		_ = os.Unsetenv(name)
	}
	os.Exit(m.Run())
}

// Required skips the test unless TF_ACC is set: it runs the CLI.
func Required(t testing.TB) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (and TF_ACC_TERRAFORM_PATH) to run it")
	}
}

// Binary is the CLI of the acceptance tests.
func Binary(t testing.TB) string {
	t.Helper()
	bin, err := tfcli.Binary()
	if err != nil {
		t.Fatalf("TF_ACC is set but %v", err)
	}
	return bin
}

var versions struct {
	sync.Mutex
	of map[string]tfcli.Version // by binary
}

// CLIVersion is the acceptance CLI's version, asked once per binary.
func CLIVersion(t testing.TB) tfcli.Version {
	t.Helper()
	Required(t)
	bin := Binary(t)
	versions.Lock()
	defer versions.Unlock()
	if v, ok := versions.of[bin]; ok {
		return v
	}
	v, err := tfcli.VersionOf(t.Context(), bin)
	if err != nil {
		t.Fatalf("cannot tell the version of the acceptance CLI: %v", err)
	}
	if versions.of == nil {
		versions.of = map[string]tfcli.Version{}
	}
	versions.of[bin] = v
	return v
}

// AtLeast reports whether the acceptance CLI is minimum or newer, for a
// test whose later steps need a newer CLI than its first ones.
func AtLeast(t testing.TB, minimum string) bool {
	t.Helper()
	return !CLIVersion(t).LessThan(version.Must(version.NewVersion(minimum)))
}

// SkipBelow skips, visibly, when the acceptance CLI is older than minimum,
// which feature needs.
func SkipBelow(t testing.TB, minimum, feature string) {
	t.Helper()
	if !AtLeast(t, minimum) {
		t.Skipf("SKIP: %s needs a CLI >= %s; %s is %s", feature, minimum, Binary(t), CLIVersion(t).Version)
	}
}

// IsOpenTofu reports whether the acceptance CLI is OpenTofu.
func IsOpenTofu(t testing.TB) bool {
	t.Helper()
	return CLIVersion(t).OpenTofu
}
