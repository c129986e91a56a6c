package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/tfcli"
)

// kind is what a workspace manages: the provider's keys, the bare
// framework provider's or terraform_data (the floor).
type kind string

const (
	kindProvider kind = "packet_project_ssh_key"
	kindBare     kind = "bare_key"
	kindFloor    kind = "terraform_data"
)

// kinds in the order every round runs them.
var kinds = []kind{kindFloor, kindBare, kindProvider}

// exe is the binary name terraform runs for the kind's provider ("" for the floor).
func (k kind) exe() string {
	switch k {
	case kindProvider:
		return providerExe
	case kindBare:
		return bareExe
	case kindAttachment, kindFleet:
		return providerExe
	default: // kindFloor: terraform_data needs no provider
		return ""
	}
}

// label is the kind's name in the report.
func (k kind) label() string {
	switch k {
	case kindProvider:
		return "this provider"
	case kindBare:
		return "bare framework"
	case kindAttachment, kindFleet:
		return string(k)
	default: // kindFloor
		return "terraform_data"
	}
}

// phase is one terraform command of a run.
type phase string

const (
	phaseApply   phase = "apply"
	phasePlan    phase = "plan"
	phaseDestroy phase = "destroy"
)

var phases = []phase{phaseApply, phasePlan, phaseDestroy}

const (
	providerExe = "terraform-provider-packet" // the binary name terraform runs for the provider
	bareExe     = "terraform-provider-bare"
	bareAddress = "registry.terraform.io/bench/bare" // bench/bareprovider's Address
)

// quietFrameworkLogs is the environment that turns the plugin SDK's logs off
// for the bare provider, as the real provider's main does for itself when
// TF_LOG and TF_LOG_PROVIDER are unset: both are measured as quiet.
var quietFrameworkLogs = []string{"TF_LOG_SDK=OFF", "TF_LOG_SDK_PROTO=OFF", "TF_LOG_SDK_FRAMEWORK=OFF"}

// quietProviderLogs is what main.go's quietSDKLogs sets, for the profiled
// build of the provider, which has its own main.
var quietProviderLogs = append(slices.Clone(quietFrameworkLogs), "TF_LOG_PROVIDER_PACKET=OFF")

// configFor renders the root module: N resources from var.public_keys.
// Every kind carries the same values, so the states have about the same size.
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
	local, source := "packet", "packethost/packet"
	if k == kindBare {
		local, source = "bare", "bench/bare"
	}
	return fmt.Sprintf(`terraform {
  required_providers {
    %[1]s = { source = %[2]q }
  }
}

variable "public_keys" { type = list(string) }

provider %[1]q {}

resource %[3]q "bench" {
  count      = length(var.public_keys)
  project_id = %[4]q
  name       = "bench-${count.index}"
  public_key = var.public_keys[count.index]
}
`, local, source, string(k), projectID)
}

// cliConfig points terraform at the local builds instead of the registry.
func cliConfig(providerDir, bareDir string) string {
	return tfcli.DevOverrides(map[string]string{"registry.terraform.io/packethost/packet": providerDir, bareAddress: bareDir})
}

// workspace is one run's directory and the environment terraform gets.
type workspace struct {
	kind      kind
	dir       string
	terraform string
	env       []string
}

func newWorkspace(dir, terraform, cliConfigFile string, k kind, config string, keys []string, extraEnv ...string) (*workspace, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o600); err != nil {
		return nil, err
	}
	vars, err := json.Marshal(map[string][]string{"public_keys": keys})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), vars, 0o600); err != nil {
		return nil, err
	}
	env := tfcli.Env(cleanEnv(os.Environ()), cliConfigFile)
	if k == kindBare {
		env = append(env, quietFrameworkLogs...)
	}
	return &workspace{kind: k, dir: dir, terraform: terraform, env: append(env, extraEnv...)}, nil
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
	wall        time.Duration
	cpu         time.Duration // user+system of terraform and the children it reaped (the provider)
	providerCPU time.Duration // user+system of the provider processes alone (sampled); 0 for the floor
	peakRSS     int64         // highest VmHWM of a provider process, bytes; 0 for the floor
	providers   int           // provider processes terraform started
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
	sampler := startProcSampler(cmd.Process.Pid, w.kind.exe(), 20*time.Millisecond)
	err := cmd.Wait()
	wall := time.Since(start)
	seen := sampler.Stop()

	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && p == phasePlan && exit.ExitCode() == 2 {
			return phaseTiming{}, fmt.Errorf("terraform plan found changes after apply (want none):\n%s", out)
		}
		return phaseTiming{}, fmt.Errorf("terraform %s: %w:\n%s", p, err, out)
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return phaseTiming{wall: wall, cpu: cpu, providerCPU: seen.cpu, peakRSS: seen.peakRSS, providers: seen.processes}, nil
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
