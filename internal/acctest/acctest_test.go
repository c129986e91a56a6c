package acctest

import (
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

func TestFindSecretsNamesWhatItFindsAndRefusesEmptyOnes(t *testing.T) {
	secrets := []Secret{{"the password", "hunter2"}, {"the key", "AAAA"}, {"the passphrase", ""}}
	got := FindSecrets("root:hunter2", secrets)
	want := []string{"the password", "the passphrase (empty: the scan would prove nothing)"}
	if !slices.Equal(got, want) {
		t.Fatalf("FindSecrets = %q, want %q", got, want)
	}
}

func TestNoSecretInStateScansEveryAttribute(t *testing.T) {
	state := func(attrs map[string]string) *terraform.State {
		return &terraform.State{Modules: []*terraform.ModuleState{{
			Path:      []string{"root"},
			Resources: map[string]*terraform.ResourceState{"data.packet_device.x": {Primary: &terraform.InstanceState{Attributes: attrs}}},
		}}}
	}
	check := NoSecretInState(Secret{"the root password", "hunter2"})
	if err := check(state(map[string]string{"id": "d1", "note": "pw hunter2"})); err == nil ||
		!strings.Contains(err.Error(), "data.packet_device.x.note holds: the root password") {
		t.Fatalf("a secret in state: err = %v", err)
	}
	if err := check(state(map[string]string{"id": "d1"})); err != nil {
		t.Fatalf("a clean state: %v", err)
	}
	if err := check(state(nil)); err == nil {
		t.Fatal("an empty state passed: nothing was scanned")
	}
}

func TestProviderBlockLeavesOutWhatIsUnset(t *testing.T) {
	got := ProviderBlock{APIURL: "http://x/", Settings: "request_timeout = \"5s\"", SSH: "private_key = var.k\nagent = false"}.String()
	want := "\nprovider \"packet\" {\n  api_url     = \"http://x/\"\n  request_timeout = \"5s\"\n  ssh {\n    private_key = var.k\n    agent = false\n  }\n}\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
