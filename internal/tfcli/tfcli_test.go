package tfcli

import (
	"slices"
	"testing"
)

func TestEnvReplacesTheCLIConfigAndTurnsOffPromptsAndColour(t *testing.T) {
	env := Env([]string{"HOME=/h", "TF_CLI_CONFIG_FILE=/missing"}, "/w/cli.tfrc", "TF_VAR_x=1")
	for _, want := range []string{"HOME=/h", "TF_CLI_CONFIG_FILE=/w/cli.tfrc", "TF_INPUT=0", "TF_CLI_ARGS=-no-color", "CHECKPOINT_DISABLE=1", "TF_VAR_x=1"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s: %q", want, env)
		}
	}
	if slices.Contains(env, "TF_CLI_CONFIG_FILE=/missing") {
		t.Errorf("env keeps the old CLI config: %q", env)
	}
}

func TestDevOverridesTakesEachProviderFromItsDirectory(t *testing.T) {
	got := DevOverrides(map[string]string{"registry.terraform.io/packethost/packet": "/b/p", "registry.terraform.io/bench/bare": "/b/bare"})
	want := `provider_installation {
  dev_overrides {
    "registry.terraform.io/bench/bare" = "/b/bare"
    "registry.terraform.io/packethost/packet" = "/b/p"
  }
  direct {}
}
`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
