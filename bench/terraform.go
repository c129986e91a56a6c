package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// kind is what a workspace manages: the provider's keys or the floor.
type kind string

const (
	kindProvider kind = "packet_project_ssh_key"
	kindFloor    kind = "terraform_data"
)

// phase is one terraform command of a run.
type phase string

const (
	phaseApply   phase = "apply"
	phasePlan    phase = "plan"
	phaseDestroy phase = "destroy"
)

var phases = []phase{phaseApply, phasePlan, phaseDestroy}

// providerExe is the binary name terraform runs for the provider.
const providerExe = "terraform-provider-packet"

// configFor renders the root module: N resources from var.public_keys.
// Both kinds carry the same values, so the floor's state has the same size.
func configFor(k kind, projectID string) string {
	if k == kindFloor {
		return `variable "public_keys" { type = list(string) }

resource "terraform_data" "bench" {
  count = length(var.public_keys)
  input = {
    name       = "bench-${count.index}"
    public_key = var.public_keys[count.index]
  }
}
`
	}
	return fmt.Sprintf(`terraform {
  required_providers {
    packet = { source = "packethost/packet" }
  }
}

variable "public_keys" { type = list(string) }

provider "packet" {}

resource "packet_project_ssh_key" "bench" {
  count      = length(var.public_keys)
  project_id = %q
  name       = "bench-${count.index}"
  public_key = var.public_keys[count.index]
}
`, projectID)
}

// cliConfig points terraform at the local build instead of the registry.
func cliConfig(providerDir string) string {
	return fmt.Sprintf(`provider_installation {
  dev_overrides {
    "registry.terraform.io/packethost/packet" = %q
  }
  direct {}
}
`, providerDir)
}

// workspace is one run's directory and the environment terraform gets.
type workspace struct {
	dir       string
	terraform string
	env       []string
}

func newWorkspace(dir, terraform, cliConfigFile string, k kind, projectID string, keys []string, extraEnv ...string) (*workspace, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(configFor(k, projectID)), 0o600); err != nil {
		return nil, err
	}
	vars, err := json.Marshal(map[string][]string{"public_keys": keys})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), vars, 0o600); err != nil {
		return nil, err
	}
	env := append(cleanEnv(os.Environ()),
		"TF_CLI_CONFIG_FILE="+cliConfigFile,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1", // no version check over the network
	)
	return &workspace{dir: dir, terraform: terraform, env: append(env, extraEnv...)}, nil
}

// cleanEnv drops settings that would change what terraform or the provider
// does (logging, another CLI config, credentials for a real API).
func cleanEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "TF_") || strings.HasPrefix(name, "PACKET_") || strings.HasPrefix(name, "METAL_") ||
			name == "CHECKPOINT_DISABLE" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// phaseArgs are the terraform arguments of a phase.
func phaseArgs(p phase, parallelism int) []string {
	par := fmt.Sprintf("-parallelism=%d", parallelism)
	switch p {
	case phaseApply:
		return []string{"apply", "-auto-approve", "-input=false", "-no-color", par}
	case phasePlan:
		// A full refresh of every resource; exit code 0 means no changes.
		return []string{"plan", "-detailed-exitcode", "-input=false", "-no-color", par}
	default:
		return []string{"destroy", "-auto-approve", "-input=false", "-no-color", par}
	}
}

// phaseTiming is what running one phase measured.
type phaseTiming struct {
	wall      time.Duration
	cpu       time.Duration // user+system of terraform and the children it reaped (the provider)
	peakRSS   int64         // highest VmHWM of a provider process, bytes; 0 for the floor
	providers int           // provider processes terraform started
}

// run executes one phase. A plan that finds changes (exit 2) is an error:
// the bench measures a no-change plan.
func (w *workspace) run(ctx context.Context, p phase, parallelism int) (phaseTiming, error) {
	cmd := exec.CommandContext(ctx, w.terraform, phaseArgs(p, parallelism)...)
	cmd.Dir = w.dir
	cmd.Env = w.env
	out := &tailBuffer{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = out, out

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return phaseTiming{}, fmt.Errorf("terraform %s: %w", p, err)
	}
	sampler := startRSSSampler(cmd.Process.Pid, providerExe, 20*time.Millisecond)
	err := cmd.Wait()
	wall := time.Since(start)
	peak, procs := sampler.Stop()

	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && p == phasePlan && exit.ExitCode() == 2 {
			return phaseTiming{}, fmt.Errorf("terraform plan found changes after apply (want none):\n%s", out)
		}
		return phaseTiming{}, fmt.Errorf("terraform %s: %w:\n%s", p, err, out)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return phaseTiming{wall: wall, cpu: cpu, peakRSS: peak, providers: procs}, nil
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
