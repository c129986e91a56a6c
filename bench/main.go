// Command bench measures what the provider adds to terraform for N project
// keys: apply, a no-change plan and destroy against packet-mock, next to the
// same N terraform_data resources (terraform's own floor). It writes
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

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

type options struct {
	repo        string
	providerDir string
	out         string
	terraform   string
	ns          []int
	runs        int
	parallelism int
	latency     time.Duration
	latencyNs   []int
	latencyRuns int
	keep        bool
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
	ns := fs.String("n", "100,1000", "numbers of keys, comma-separated")
	latencyNs := fs.String("latency-n", "", "numbers of keys for the latency set (default: those of -n)")
	fs.IntVar(&o.runs, "runs", 3, "runs per N without latency (the table shows the median)")
	fs.IntVar(&o.parallelism, "parallelism", 10, "terraform -parallelism")
	fs.DurationVar(&o.latency, "latency", 50*time.Millisecond, "mock latency per request for the latency set; 0 skips it")
	fs.IntVar(&o.latencyRuns, "latency-runs", 1, "runs per N of the latency set")
	fs.StringVar(&o.repo, "repo", "", "repository root with bin/ (default: the module root above the current directory)")
	fs.StringVar(&o.providerDir, "provider-dir", "", "directory with the terraform-provider-packet to measure (default: bin/ of the repository)")
	fs.StringVar(&o.out, "out", "", "report file (default: BENCHMARKS.md in the repository root)")
	fs.StringVar(&o.terraform, "terraform", "", "terraform binary (default: terraform on PATH)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directories (state, configs) for inspection")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.ns, err = parseInts(*ns); err != nil {
		return o, fmt.Errorf("-n: %w", err)
	}
	o.latencyNs = o.ns
	if *latencyNs != "" {
		if o.latencyNs, err = parseInts(*latencyNs); err != nil {
			return o, fmt.Errorf("-latency-n: %w", err)
		}
	}
	if o.runs < 1 || o.latencyRuns < 1 || o.parallelism < 1 || o.latency < 0 {
		return o, errors.New("-runs, -latency-runs and -parallelism must be at least 1, -latency not negative")
	}
	return o, nil
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

// bench holds what every run shares.
type bench struct {
	opts      options
	tmp       string
	cliConfig string
	mockBin   string
	log       io.Writer
	start     time.Time
	samples   []sample
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
	b := &bench{opts: opts, mockBin: filepath.Join(binDir, "packet-mock"), log: log, start: time.Now()}
	for _, bin := range []string{b.mockBin, filepath.Join(opts.providerDir, providerExe)} {
		if _, err := os.Stat(bin); err != nil {
			return fmt.Errorf("%s is missing: run make build (make bench does)", bin)
		}
	}

	if b.tmp, err = os.MkdirTemp("", "packet-bench-"); err != nil {
		return err
	}
	if opts.keep {
		fmt.Fprintf(log, "bench: keeping %s\n", b.tmp)
	} else {
		defer os.RemoveAll(b.tmp)
	}
	b.cliConfig = filepath.Join(b.tmp, "terraform.rc")
	if err := os.WriteFile(b.cliConfig, []byte(cliConfig(opts.providerDir)), 0o600); err != nil {
		return err
	}

	keys := map[int][]string{}
	for _, n := range append(append([]int{}, opts.ns...), opts.latencyNs...) {
		if keys[n] == nil {
			if keys[n], err = publicKeys(n); err != nil {
				return err
			}
		}
	}

	for _, n := range opts.ns {
		for r := range opts.runs {
			// Alternate floor and provider so drift on the machine hits both.
			for _, k := range []kind{kindFloor, kindProvider} {
				if err := b.runOnce(ctx, k, n, 0, r, keys[n]); err != nil {
					return err
				}
			}
		}
	}
	if opts.latency > 0 {
		for _, n := range opts.latencyNs {
			for r := range opts.latencyRuns {
				if err := b.runOnce(ctx, kindProvider, n, opts.latency, r, keys[n]); err != nil {
					return err
				}
			}
		}
	}

	previous, _ := os.ReadFile(opts.out) // its Analysis section, if any, is kept
	report := renderReport(reportInput{
		analysis: analysisSection(string(previous)), providerDir: shownProviderDir(opts.providerDir, binDir),
		when: time.Now(), machine: describeMachine(ctx, opts.terraform), parallelism: opts.parallelism,
		runs: opts.runs, latency: opts.latency, latencyRuns: opts.latencyRuns, latencyNs: opts.latencyNs,
		elapsed: time.Since(b.start), command: strings.TrimSpace("go run ./bench " + strings.Join(args, " ")), samples: b.samples,
	})
	if err := os.WriteFile(opts.out, []byte(report), 0o644); err != nil { //nolint:gosec // a report for people to read
		return err
	}
	fmt.Fprintf(log, "bench: wrote %s in %s\n", opts.out, time.Since(b.start).Round(time.Second))
	return nil
}

// runOnce runs apply, plan and destroy for one configuration and records them.
func (b *bench) runOnce(ctx context.Context, k kind, n int, latency time.Duration, r int, keys []string) error {
	dir := filepath.Join(b.tmp, fmt.Sprintf("%s-%d-%s-%d", k, n, latency, r))
	var mock *mockProcess
	projectID := ""
	var env []string
	if k == kindProvider {
		var err error
		if mock, err = startMock(ctx, b.mockBin, latency); err != nil {
			return err
		}
		defer mock.Stop()
		projectID = mock.projectID
		env = []string{"PACKET_AUTH_TOKEN=" + mockapi.DefaultToken, "PACKET_API_URL=" + mock.apiURL}
	}
	ws, err := newWorkspace(dir, b.opts.terraform, b.cliConfig, k, projectID, keys, env...)
	if err != nil {
		return err
	}
	for _, p := range phases {
		if mock != nil {
			if _, err := mock.TakeRequests(ctx); err != nil { // start the phase from zero
				return err
			}
		}
		timing, err := ws.run(ctx, p, b.opts.parallelism)
		if err != nil {
			return fmt.Errorf("%s N=%d%s run %d: %w", k, n, latencyLabel(latency), r+1, err)
		}
		s := sample{kind: k, n: n, latency: latency, run: r, phase: p, timing: timing}
		if mock != nil {
			if s.requests, err = mock.TakeRequests(ctx); err != nil {
				return err
			}
		}
		b.samples = append(b.samples, s)
		fmt.Fprintf(b.log, "bench: [%6s] %-22s N=%-5d%-6s run %d %-7s %7s  CPU %7s  %d requests  peak RSS %s\n",
			time.Since(b.start).Round(time.Second), k, n, latencyLabel(latency), r+1, p,
			seconds(timing.wall), seconds(timing.cpu), total(s.requests), megabytes(timing.peakRSS))
	}
	if !b.opts.keep {
		return os.RemoveAll(dir)
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
