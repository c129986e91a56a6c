// Command bench measures what the provider adds to terraform for N project
// keys against an in-process packet-mock: an apply, then rounds of no-change
// plans at each mock latency, next to the same N terraform_data resources
// (terraform's own floor) and N resources of a bare framework provider whose
// Read does nothing (bench/bareprovider: the framework's own cost). It writes
// BENCHMARKS.md. `make bench` builds bin/ first and runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	repo        string
	providerDir string
	out         string
	terraform   string
	ns          []int
	runs        int
	parallelism int
	latencies   []time.Duration
	destroy     bool
	keep        bool
	cpuProfile  string
	attachments int
	fleets      []fleetShape
	kinds       []kind
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	ns := fs.String("n", "100,1000,3000", "numbers of keys, comma-separated (0 skips the key scenario)")
	quick := fs.Bool("quick", false, "N = 1,000 only (the targets' N): about a fifth of a full run")
	latencies := fs.String("latency", "0,50ms", "mock latencies per request the provider's plans run at, comma-separated")
	fs.IntVar(&o.runs, "runs", 3, "plan runs per N, kind and latency, interleaved (the tables show the median)")
	fs.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism")
	fs.IntVar(&o.attachments, "attachments", attachmentsOnDevice, "keys attached to one device for the attachment refresh (0 skips it)")
	only := fs.String("kinds", "all", "kinds of the key scenario, comma-separated: floor, bare, provider (for an A/B of two "+
		"provider builds, provider alone saves the other kinds' applies)")
	fleet := fs.String("fleet", fleetsFlag(defaultFleets), "DEVICESxKEYS, comma-separated: every key attached to every device "+
		"(the all-of-them recipe), at every -latency (0 skips it)")
	fs.BoolVar(&o.destroy, "destroy", false, "also time one destroy per N and kind at the end")
	fs.StringVar(&o.repo, "repo", "", "repository root with bin/ (default: the module root above the current directory)")
	fs.StringVar(&o.providerDir, "provider-dir", "", "directory with the terraform-provider-packet to measure (default: bin/ of the repository)")
	fs.StringVar(&o.out, "out", "", "report file (default: BENCHMARKS.md in the repository root)")
	fs.StringVar(&o.terraform, "terraform", "", "terraform binary (default: terraform on PATH)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directories (state, configs) for inspection")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "profile instead of measuring: build bench/profiledprovider, run the provider's plans "+
		"at the first -latency only, and write their merged CPU profile to this file (no report)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if *quick {
		*ns = fmt.Sprint(targetN)
	}
	if strings.TrimSpace(*ns) != "0" {
		if o.ns, err = parseInts(*ns); err != nil {
			return o, fmt.Errorf("-n: %w", err)
		}
	}
	if o.latencies, err = parseDurations(*latencies); err != nil {
		return o, fmt.Errorf("-latency: %w", err)
	}
	if o.kinds, err = parseKinds(*only); err != nil {
		return o, fmt.Errorf("-kinds: %w", err)
	}
	if o.fleets, err = parseFleets(*fleet); err != nil {
		return o, fmt.Errorf("-fleet: %w", err)
	}
	if o.runs < 1 || o.parallelism < 1 || o.attachments < 0 {
		return o, errors.New("-runs and -parallelism must be at least 1, -attachments not negative")
	}
	return o, nil
}

// parseKinds reads "floor,bare,provider" or "all", in the order of kinds.
func parseKinds(s string) ([]kind, error) {
	if strings.TrimSpace(s) == "all" {
		return kinds, nil
	}
	names := map[string]kind{"floor": kindFloor, "bare": kindBare, "provider": kindProvider}
	want := map[kind]bool{}
	for f := range strings.SplitSeq(s, ",") {
		k, ok := names[strings.TrimSpace(f)]
		if !ok {
			return nil, fmt.Errorf("%q is not floor, bare or provider", f)
		}
		want[k] = true
	}
	var out []kind
	for _, k := range kinds {
		if want[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseDurations reads "0,50ms"; a bare 0 is allowed, as flag does.
func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "0" {
			out = append(out, 0)
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%q is not a duration of 0 or more", f)
		}
		out = append(out, d)
	}
	return out, nil
}

// bench holds what every run shares.
type bench struct {
	opts      options
	kinds     []kind // what is applied and planned: all kinds, or only the provider when profiling
	tmp       string
	cliConfig string
	log       io.Writer
	start     time.Time
	samples   []sample
	profiles  *profiles // nil unless -cpuprofile
}

func run(ctx context.Context, args []string, log io.Writer) error {
	opts, err := parseOptions(args, log)
	if err != nil {
		return err
	}
	if opts.repo == "" {
		if opts.repo, err = moduleRoot(); err != nil {
			return err
		}
	}
	if opts.out == "" {
		opts.out = filepath.Join(opts.repo, "BENCHMARKS.md")
	}
	if opts.terraform == "" {
		if opts.terraform, err = exec.LookPath("terraform"); err != nil {
			return errors.New("terraform not found on PATH (or pass -terraform)")
		}
	}
	binDir := filepath.Join(opts.repo, "bin")
	if opts.providerDir == "" {
		opts.providerDir = binDir
	}
	if opts.providerDir, err = filepath.Abs(opts.providerDir); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(opts.providerDir, providerExe)); err != nil {
		return fmt.Errorf("%s is missing: run make build (make bench does)", filepath.Join(opts.providerDir, providerExe))
	}
	b := &bench{opts: opts, kinds: opts.kinds, log: log, start: time.Now()}

	if b.tmp, err = os.MkdirTemp("", "packet-bench-"); err != nil {
		return err
	}
	if opts.keep {
		fmt.Fprintf(log, "bench: keeping %s\n", b.tmp)
	} else {
		defer os.RemoveAll(b.tmp)
	}
	bareDir := filepath.Join(b.tmp, "bare")
	if err := goBuild(ctx, opts.repo, "./bench/bareprovider", filepath.Join(bareDir, bareExe)); err != nil {
		return err
	}
	if opts.cpuProfile != "" {
		if b.profiles, err = newProfiles(b.tmp); err != nil {
			return err
		}
		b.opts.providerDir = filepath.Join(b.tmp, "profiled")
		if err := goBuild(ctx, opts.repo, "./bench/profiledprovider", filepath.Join(b.opts.providerDir, providerExe)); err != nil {
			return err
		}
		b.kinds, b.opts.latencies = []kind{kindProvider}, b.opts.latencies[:1]
	}
	b.cliConfig = filepath.Join(b.tmp, "terraform.rc")
	if err := os.WriteFile(b.cliConfig, []byte(cliConfig(b.opts.providerDir, bareDir)), 0o600); err != nil {
		return err
	}

	for _, n := range opts.ns {
		keys, err := publicKeys(n)
		if err != nil {
			return err
		}
		if err := b.runN(ctx, n, keys); err != nil {
			return err
		}
	}

	if b.opts.attachments > 0 && b.profiles == nil {
		keys, err := publicKeys(b.opts.attachments)
		if err != nil {
			return err
		}
		if err := b.runAttachments(ctx, b.opts.attachments, keys); err != nil {
			return err
		}
	}

	for _, shape := range b.opts.fleets {
		if b.profiles != nil {
			break
		}
		keys, err := publicKeys(shape.keys)
		if err != nil {
			return err
		}
		if err := b.runFleet(ctx, shape, keys); err != nil {
			return err
		}
	}

	if b.profiles != nil {
		if err := b.profiles.merge(ctx, opts.cpuProfile); err != nil {
			return err
		}
		fmt.Fprintf(log, "bench: wrote the CPU profile of %d provider processes to %s in %s\n", len(b.profiles.kept),
			opts.cpuProfile, time.Since(b.start).Round(time.Second))
		return nil
	}

	previous, _ := os.ReadFile(opts.out) // its Analysis section, if any, is kept
	report := renderReport(reportInput{
		analysis: analysisSection(string(previous)), providerDir: shownProviderDir(opts.providerDir, binDir),
		when: time.Now(), machine: describeMachine(ctx, opts.terraform), parallelism: opts.parallelism,
		runs: opts.runs, fleets: opts.fleets,
		elapsed: time.Since(b.start), command: strings.TrimSpace("go run ./bench " + strings.Join(args, " ")), samples: b.samples,
	})
	if err := os.WriteFile(opts.out, []byte(report), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(log, "bench: wrote %s in %s\n", opts.out, time.Since(b.start).Round(time.Second))
	return nil
}

// goBuild builds the package into the binary out.
func goBuild(ctx context.Context, repo, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %w\n%s", pkg, err, msg)
	}
	return nil
}

// planCase is one plan of a round: a kind at a mock latency.
type planCase struct {
	kind    kind
	latency time.Duration
}

// planCases are a round's plans: the floor and the bare provider (which call
// no API) once, the provider at every latency.
func planCases(ks []kind, latencies []time.Duration) []planCase {
	var cases []planCase
	for _, k := range ks {
		if k != kindProvider {
			cases = append(cases, planCase{k, 0})
			continue
		}
		for _, l := range latencies {
			cases = append(cases, planCase{kindProvider, l})
		}
	}
	return cases
}

// runN applies N resources of every kind once, then runs the rounds of
// no-change plans, interleaved so drift on the machine hits every kind alike,
// then destroys if asked.
func (b *bench) runN(ctx context.Context, n int, keys []string) error {
	mock, err := startMock()
	if err != nil {
		return err
	}
	defer mock.Stop()
	spaces := map[kind]*workspace{}
	for _, k := range b.kinds {
		var env []string
		if k == kindProvider {
			env = mock.Env()
			if b.profiles != nil {
				env = append(append(env, b.profiles.env()...), quietProviderLogs...)
			}
		}
		dir := filepath.Join(b.tmp, fmt.Sprintf("%s-%d", k, n))
		if spaces[k], err = newWorkspace(dir, b.opts.terraform, b.cliConfig, k, configFor(k, mock.projectID), keys, env...); err != nil {
			return err
		}
		if !b.opts.keep {
			defer os.RemoveAll(dir)
		}
	}
	phase := func(k kind, latency time.Duration, run int, p phase) error {
		mock.SetLatency(latency)
		mock.TakeRequests() // start the phase from zero
		timing, err := spaces[k].run(ctx, p, b.opts.parallelism)
		if err != nil {
			return fmt.Errorf("%s N=%d%s run %d: %w", k, n, latencyLabel(latency), run+1, err)
		}
		if b.profiles != nil {
			if err := b.profiles.collect(p == phasePlan); err != nil {
				return err
			}
		}
		s := sample{kind: k, n: n, latency: latency, run: run, phase: p, timing: timing}
		if k == kindProvider {
			s.requests = mock.TakeRequests()
		}
		b.samples = append(b.samples, s)
		fmt.Fprintf(b.log, "bench: [%6s] %-22s N=%-5d%-6s run %d %-7s %7s  CPU %7s (provider %7s)  %d requests  peak RSS %s\n",
			time.Since(b.start).Round(time.Second), k, n, latencyLabel(latency), run+1, p,
			seconds(timing.wall), seconds(timing.cpu), seconds(timing.providerCPU), total(s.requests), megabytes(timing.peakRSS))
		return nil
	}
	for _, k := range b.kinds {
		if err := phase(k, 0, 0, phaseApply); err != nil {
			return err
		}
	}
	for r := range b.opts.runs {
		for _, c := range planCases(b.kinds, b.opts.latencies) {
			if err := phase(c.kind, c.latency, r, phasePlan); err != nil {
				return err
			}
		}
	}
	if b.opts.destroy {
		for _, k := range b.kinds {
			if err := phase(k, 0, 0, phaseDestroy); err != nil {
				return err
			}
		}
	}
	return nil
}

// shownProviderDir is the measured provider's directory when it is not the
// repository's own build, for the report.
func shownProviderDir(dir, binDir string) string {
	if dir == binDir {
		return ""
	}
	return dir
}

// moduleRoot walks up from the working directory to the go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: run from the repository or pass -repo")
		}
		dir = parent
	}
}

func describeMachine(ctx context.Context, terraform string) machine {
	m := machine{cpu: "unknown CPU", memory: "unknown", goVersion: runtime.Version(), terraform: "terraform (version unknown)",
		os: runtime.GOOS + "/" + runtime.GOARCH, cores: runtime.NumCPU()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if v := procField(string(data), "model name"); v != "" {
			m.cpu = v
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, err := strconv.ParseInt(strings.TrimSuffix(procField(string(data), "MemTotal"), " kB"), 10, 64); err == nil {
			m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	cmd := exec.CommandContext(ctx, terraform, "version")
	cmd.Env = append(cleanEnv(os.Environ()), "CHECKPOINT_DISABLE=1") // no version check over the network
	if out, err := cmd.Output(); err == nil {
		m.terraform, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	}
	return m
}

// procField returns the value of the first "name : value" line.
func procField(text, name string) string {
	for line := range strings.Lines(text) {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
