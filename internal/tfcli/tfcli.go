// Package tfcli finds and prepares the Terraform or OpenTofu CLI that the
// acceptance tests, the demo test and the bench run: which binary, which
// version, and the environment every run needs.
package tfcli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/hashicorp/go-version"
)

// The variables terraform-plugin-testing reads, which every driver honours.
const (
	EnvPath         = "TF_ACC_TERRAFORM_PATH" // the CLI binary
	EnvProviderHost = "TF_ACC_PROVIDER_HOST"  // registry.opentofu.org for OpenTofu
	envCLIConfig    = "TF_CLI_CONFIG_FILE"
)

// Binary is the CLI to run: TF_ACC_TERRAFORM_PATH, else terraform or tofu on PATH.
func Binary() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		return p, nil
	}
	for _, name := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("neither terraform nor tofu is on PATH (or " + EnvPath + ")")
}

// ProviderHost is the registry host the CLI resolves a bare provider source against.
func ProviderHost() string {
	return cmp.Or(os.Getenv(EnvProviderHost), "registry.terraform.io")
}

// DropMissingCLIConfig unsets TF_CLI_CONFIG_FILE when it names a file that
// does not exist, which the CLI would warn about in every output.
func DropMissingCLIConfig() {
	if p := os.Getenv(envCLIConfig); p != "" {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			_ = os.Unsetenv(envCLIConfig)
		}
	}
}

// Env is base with what every run needs: the CLI config file (replacing any
// in base), no prompts, no colour, no version check over the network, then extra.
func Env(base []string, cliConfigFile string, extra ...string) []string {
	env := slices.DeleteFunc(slices.Clone(base), func(kv string) bool {
		return strings.HasPrefix(kv, envCLIConfig+"=")
	})
	env = append(env,
		envCLIConfig+"="+cliConfigFile,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"TF_CLI_ARGS=-no-color",
		"CHECKPOINT_DISABLE=1",
	)
	return append(env, extra...)
}

// DevOverrides is a CLI config that takes each provider address from a
// local directory instead of a registry.
func DevOverrides(dirs map[string]string) string {
	var b strings.Builder
	b.WriteString("provider_installation {\n  dev_overrides {\n")
	for _, addr := range slices.Sorted(maps.Keys(dirs)) {
		fmt.Fprintf(&b, "    %q = %q\n", addr, dirs[addr])
	}
	b.WriteString("  }\n  direct {}\n}\n")
	return b.String()
}

// Version is a CLI's version and whether it is OpenTofu.
type Version struct {
	*version.Version
	OpenTofu bool
}

// VersionOf asks bin for its version.
func VersionOf(ctx context.Context, bin string) (Version, error) {
	out, err := exec.CommandContext(ctx, bin, "version", "-json").Output()
	if err != nil {
		return Version{}, fmt.Errorf("%s version -json: %w", bin, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return Version{}, fmt.Errorf("%s version -json: %w", bin, err)
	}
	parsed, err := version.NewVersion(v.Version)
	if err != nil {
		return Version{}, err
	}
	text, err := exec.CommandContext(ctx, bin, "version").Output()
	if err != nil {
		return Version{}, fmt.Errorf("%s version: %w", bin, err)
	}
	return Version{Version: parsed, OpenTofu: bytes.Contains(text, []byte("OpenTofu"))}, nil
}

// GoBuild builds the module's packages at moduleRoot into outDir.
func GoBuild(ctx context.Context, moduleRoot, outDir string, pkgs ...string) error {
	args := append([]string{"build", "-o", outDir + string(os.PathSeparator)}, pkgs...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}
