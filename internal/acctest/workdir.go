package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/tfcli"
)

// runTimeout bounds one CLI command.
const runTimeout = 5 * time.Minute

// Workdir is a CLI working directory of one test: its configuration, its
// CLI config (empty unless set: no plugin cache, no network mirrors) and
// the providers served in the test process that the CLI reaches.
type Workdir struct {
	t        testing.TB
	Bin, Dir string
	env      []string
	served   map[string]any
}

// NewWorkdir writes config as main.tf in a fresh directory; the test is
// skipped unless TF_ACC is set.
func NewWorkdir(t testing.TB, config string, providers ...Served) *Workdir {
	t.Helper()
	Required(t)
	w := &Workdir{t: t, Bin: Binary(t), Dir: t.TempDir(), served: map[string]any{}}
	cliConfig := filepath.Join(w.Dir, "cli.tfrc")
	w.env = tfcli.Env(os.Environ(), cliConfig)
	w.WriteFile("cli.tfrc", "")
	w.Write(config)
	for _, p := range providers {
		w.AddProvider(p)
	}
	return w
}

// AddProvider lets the CLI reach p at its address.
func (w *Workdir) AddProvider(p Served) {
	w.t.Helper()
	w.served[p.Address] = p.reattachEntry()
	value, err := json.Marshal(w.served)
	if err != nil {
		w.t.Fatal(err)
	}
	w.Setenv("TF_REATTACH_PROVIDERS", string(value))
}

// Setenv sets a variable of the CLI's environment.
func (w *Workdir) Setenv(name, value string) {
	prefix := name + "="
	for i, kv := range w.env {
		if strings.HasPrefix(kv, prefix) {
			w.env[i] = prefix + value
			return
		}
	}
	w.env = append(w.env, prefix+value)
}

// Write replaces main.tf.
func (w *Workdir) Write(config string) { w.t.Helper(); w.WriteFile("main.tf", config) }

// WriteFile writes one file of the directory (name may have a directory part).
func (w *Workdir) WriteFile(name, content string) {
	w.t.Helper()
	path := filepath.Join(w.Dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// WriteCLIConfig replaces the CLI config (cli.tfrc).
func (w *Workdir) WriteCLIConfig(content string) { w.t.Helper(); w.WriteFile("cli.tfrc", content) }

// Command is a CLI command in the directory, its output (both streams) in the buffer.
func (w *Workdir) Command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, w.Bin, args...)
	cmd.Dir, cmd.Env = w.Dir, w.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	return cmd, &out
}

// Run runs a command to its end, fails the test if it fails, and returns its output.
func (w *Workdir) Run(args ...string) string {
	w.t.Helper()
	out, err := w.run(args)
	if err != nil {
		w.t.Fatalf("%s %s: %v\n%s", filepath.Base(w.Bin), strings.Join(args, " "), err, out)
	}
	return out
}

// Fail runs a command that must fail (exit non-zero) and returns its output.
func (w *Workdir) Fail(args ...string) string {
	w.t.Helper()
	out, err := w.run(args)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		w.t.Fatalf("%s %s: want it to fail, got %v\n%s", filepath.Base(w.Bin), strings.Join(args, " "), err, out)
	}
	return out
}

func (w *Workdir) run(args []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd, out := w.Command(ctx, args...)
	err := cmd.Run()
	return out.String(), err
}

// State is terraform.tfstate as far as tests read it.
type State struct {
	Resources []StateResource `json:"resources"`
}

// StateResource is one resource (or data source) of the state file.
type StateResource struct {
	Mode, Type, Name string
	Instances        []StateInstance `json:"instances"`
}

// StateInstance is one instance of a resource, with its identity if the CLI stores one.
type StateInstance struct {
	IndexKey   any            `json:"index_key"`
	Attributes map[string]any `json:"attributes"`
	Identity   map[string]any `json:"identity"`
}

// State reads terraform.tfstate; a directory without one has an empty state.
func (w *Workdir) State() State {
	w.t.Helper()
	var s State
	data, err := os.ReadFile(filepath.Join(w.Dir, "terraform.tfstate"))
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(data) == 0) {
		return s
	}
	if err != nil {
		w.t.Fatal(err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		w.t.Fatalf("terraform.tfstate: %v", err)
	}
	return s
}

// Identities are the resource identities in terraform.tfstate, as JSON by
// resource address (type.name).
func (w *Workdir) Identities() map[string]string {
	w.t.Helper()
	got := map[string]string{}
	for _, r := range w.State().Resources {
		for _, in := range r.Instances {
			if in.Identity != nil {
				b, err := json.Marshal(in.Identity)
				if err != nil {
					w.t.Fatal(err)
				}
				got[r.Type+"."+r.Name] = string(b)
			}
		}
	}
	return got
}

// EditState calls edit with each resource instance of terraform.tfstate,
// writes back what edit changed and bumps the serial, as a hand edit would.
func (w *Workdir) EditState(edit func(instance map[string]any)) {
	w.t.Helper()
	file := filepath.Join(w.Dir, "terraform.tfstate")
	data, err := os.ReadFile(file)
	if err != nil {
		w.t.Fatal(err)
	}
	var state map[string]any
	if err := json.Unmarshal(data, &state); err != nil {
		w.t.Fatal(err)
	}
	resources, _ := state["resources"].([]any)
	for _, r := range resources {
		r, _ := r.(map[string]any)
		instances, _ := r["instances"].([]any)
		for _, in := range instances {
			in, _ := in.(map[string]any)
			edit(in)
		}
	}
	if serial, ok := state["serial"].(float64); ok {
		state["serial"] = serial + 1
	}
	out, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(file, out, 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// BuildProvider builds the provider of the module at moduleRoot into a
// directory of its own, for dev_overrides, and returns the directory.
func BuildProvider(t testing.TB, moduleRoot string) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	if err := tfcli.GoBuild(ctx, moduleRoot, dir, "."); err != nil {
		t.Fatal(err)
	}
	return dir
}
