package main

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// sample is one phase of one run.
type sample struct {
	kind     kind
	n        int
	latency  time.Duration
	run      int
	phase    phase
	timing   phaseTiming
	requests map[string]int // nil for the floor
}

// group is the runs of one (kind, N, latency, phase).
type group struct {
	kind    kind
	n       int
	latency time.Duration
	phase   phase
}

func (s sample) group() group { return group{s.kind, s.n, s.latency, s.phase} }

// summary is a group's figures over its runs.
type summary struct {
	runs        int
	medianWall  time.Duration
	medianCPU   time.Duration
	medianRSS   int64
	providers   int            // provider processes in the median run's phase (max over runs)
	requests    map[string]int // of the first run
	requestsVar bool           // not every run made the same requests
}

func summarize(samples []sample) map[group]summary {
	byGroup := map[group][]sample{}
	for _, s := range samples {
		byGroup[s.group()] = append(byGroup[s.group()], s)
	}
	out := make(map[group]summary, len(byGroup))
	for g, ss := range byGroup {
		walls := make([]time.Duration, len(ss))
		cpus := make([]time.Duration, len(ss))
		rss := make([]int64, len(ss))
		sum := summary{runs: len(ss), requests: ss[0].requests}
		for i, s := range ss {
			walls[i], cpus[i], rss[i] = s.timing.wall, s.timing.cpu, s.timing.peakRSS
			sum.providers = max(sum.providers, s.timing.providers)
			if !maps.Equal(s.requests, ss[0].requests) {
				sum.requestsVar = true
			}
		}
		sum.medianWall, sum.medianCPU, sum.medianRSS = median(walls), median(cpus), median(rss)
		out[g] = sum
	}
	return out
}

// median of the values; the mean of the middle two for an even count.
func median[T time.Duration | int64](values []T) T {
	if len(values) == 0 {
		return 0
	}
	v := slices.Clone(values)
	slices.Sort(v)
	mid := len(v) / 2
	if len(v)%2 == 1 {
		return v[mid]
	}
	return (v[mid-1] + v[mid]) / 2
}

func total(requests map[string]int) int {
	n := 0
	for _, v := range requests {
		n += v
	}
	return n
}

// latencyFloor is the least time `count` requests per resource take for n
// resources at the given parallelism when every request waits `latency`.
func latencyFloor(n, parallelism int, latency time.Duration, requestsPerResource float64) time.Duration {
	waves := math.Ceil(float64(n) / float64(parallelism))
	return time.Duration(waves * requestsPerResource * float64(latency))
}

// target is one of the goals with its verdict.
type target struct {
	name   string
	met    bool
	detail string
}

const (
	planRatioTarget    = 1.15
	latencyRatioTarget = 1.1
	rssTarget          = 60 << 20
	targetN            = 1000
)

// targets judges the goals from the summaries; a goal whose figures
// were not measured (other N, no latency set) is reported as such.
func targets(sums map[group]summary, parallelism int, latency time.Duration) []target {
	var out []target

	// Exactly N requests for a no-change plan, at every N and latency measured.
	exact := target{name: "a no-change plan of N keys makes exactly N API requests", met: true}
	var seen []string
	for _, g := range sortedGroups(sums) {
		if g.kind != kindProvider || g.phase != phasePlan {
			continue
		}
		s := sums[g]
		got := total(s.requests)
		seen = append(seen, fmt.Sprintf("N=%d%s: %d", g.n, latencyLabel(g.latency), got))
		if got != g.n || s.requestsVar {
			exact.met = false
		}
	}
	exact.detail = strings.Join(seen, "; ")
	if len(seen) == 0 {
		exact.met, exact.detail = false, "not measured"
	}
	out = append(out, exact)

	plan := target{name: fmt.Sprintf("no-change plan ≤ %.2f× the terraform_data floor at N=%d", planRatioTarget, targetN)}
	p, okP := sums[group{kindProvider, targetN, 0, phasePlan}]
	f, okF := sums[group{kindFloor, targetN, 0, phasePlan}]
	if okP && okF && f.medianWall > 0 {
		ratio := p.medianWall.Seconds() / f.medianWall.Seconds()
		plan.met = ratio <= planRatioTarget
		plan.detail = fmt.Sprintf("%s vs %s: %.2f×", seconds(p.medianWall), seconds(f.medianWall), ratio)
		if !plan.met {
			plan.detail += fmt.Sprintf("; %s above the target", seconds(p.medianWall-time.Duration(planRatioTarget*float64(f.medianWall))))
		}
	} else {
		plan.detail = "not measured"
	}
	out = append(out, plan)

	lat := target{name: fmt.Sprintf("apply at %s latency and parallelism %d within %.1f× the latency floor (N/%d × %s × requests per create)",
		latency, parallelism, latencyRatioTarget, parallelism, latency)}
	var latSeen []string
	lat.met = true
	for _, g := range sortedGroups(sums) {
		if g.kind != kindProvider || g.phase != phaseApply || g.latency == 0 {
			continue
		}
		s := sums[g]
		perCreate := float64(total(s.requests)) / float64(g.n)
		floor := latencyFloor(g.n, parallelism, g.latency, perCreate)
		ratio := s.medianWall.Seconds() / floor.Seconds()
		latSeen = append(latSeen, fmt.Sprintf("N=%d: %s vs %s (%.2g requests per create): %.2f×", g.n, seconds(s.medianWall), seconds(floor), perCreate, ratio))
		if ratio > latencyRatioTarget {
			lat.met = false
		}
	}
	lat.detail = strings.Join(latSeen, "; ")
	if len(latSeen) == 0 {
		lat.met, lat.detail = false, "not measured (no latency set)"
	}
	out = append(out, lat)

	rss := target{name: fmt.Sprintf("provider peak RSS ≤ %d MB at N=%d", rssTarget>>20, targetN)}
	var peak int64
	for g, s := range sums {
		if g.kind == kindProvider && g.n == targetN {
			peak = max(peak, s.medianRSS)
		}
	}
	if peak > 0 {
		rss.met = peak <= rssTarget
		rss.detail = fmt.Sprintf("highest phase median %s", megabytes(peak))
	} else {
		rss.detail = "not measured"
	}
	return append(out, rss)
}

func sortedGroups(sums map[group]summary) []group {
	gs := slices.Collect(maps.Keys(sums))
	slices.SortFunc(gs, func(a, b group) int {
		switch {
		case a.latency != b.latency:
			return int(a.latency - b.latency)
		case a.n != b.n:
			return a.n - b.n
		case a.phase != b.phase:
			return slices.Index(phases, a.phase) - slices.Index(phases, b.phase)
		}
		return strings.Compare(string(a.kind), string(b.kind))
	})
	return gs
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func megabytes(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func latencyLabel(l time.Duration) string {
	if l == 0 {
		return ""
	}
	return " @" + l.String()
}

// formatRequests lists requests by endpoint, most first: "1000 × GET /ssh-keys/{id}".
func formatRequests(requests map[string]int) string {
	if len(requests) == 0 {
		return "none"
	}
	keys := slices.Collect(maps.Keys(requests))
	slices.SortFunc(keys, func(a, b string) int {
		if requests[a] != requests[b] {
			return requests[b] - requests[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d × `%s`", requests[k], k)
	}
	return strings.Join(parts, ", ")
}

// machine describes where the bench ran.
type machine struct {
	cpu, memory, goVersion, terraform, os string
	cores                                 int
}

// reportInput is everything the report shows.
type reportInput struct {
	when        time.Time
	machine     machine
	parallelism int
	runs        int
	latency     time.Duration
	latencyRuns int
	latencyNs   []int
	elapsed     time.Duration
	command     string
	providerDir string // shown when it is not the repository's bin/
	samples     []sample
	analysis    string // kept from the previous report
}

func renderReport(in reportInput) string {
	sums := summarize(in.samples)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("# Benchmarks\n\n")
	w("Written by `make bench` (`go run ./bench`): run it again rather than editing; only the %q section at the end "+
		"is written by hand, and the bench keeps it.\n\n", analysisHeading)
	w("- Date: %s\n", in.when.UTC().Format("2006-01-02 15:04 MST"))
	w("- Machine: %s, %d cores, %s memory, %s\n", in.machine.cpu, in.machine.cores, in.machine.memory, in.machine.os)
	w("- Go %s, %s\n", strings.TrimPrefix(in.machine.goVersion, "go"), in.machine.terraform)
	w("- Command: `%s` (took %s)\n", in.command, in.elapsed.Round(time.Second))
	if in.providerDir != "" {
		w("- Provider measured: `%s`\n", in.providerDir)
	}
	w("\n")

	w("## Targets\n\n")
	for _, t := range targets(sums, in.parallelism, in.latency) {
		mark := "met"
		if !t.met {
			mark = "**not met**"
		}
		w("- %s: %s — %s\n", t.name, mark, t.detail)
	}

	w("\n## Provider vs the terraform_data floor (no mock latency)\n\n")
	w("Median of %d runs, `-parallelism=%d`. Requests are the mock's counts by endpoint for the phase. "+
		"CPU is user+system time of terraform and the provider processes it ran (the machine has %d cores). "+
		"Peak RSS is the highest VmHWM of any provider process terraform started in the phase.\n\n", in.runs, in.parallelism, in.machine.cores)
	w("| N | phase | provider | floor | ratio | CPU provider / floor | requests | provider peak RSS |\n")
	w("|--:|---|--:|--:|--:|--:|---|--:|\n")
	for _, g := range sortedGroups(sums) {
		if g.kind != kindProvider || g.latency != 0 {
			continue
		}
		p := sums[g]
		floorCell, ratioCell, cpuCell := "–", "–", seconds(p.medianCPU)+" / –"
		if f, ok := sums[group{kindFloor, g.n, 0, g.phase}]; ok && f.medianWall > 0 {
			floorCell = seconds(f.medianWall)
			ratioCell = fmt.Sprintf("%.2f×", p.medianWall.Seconds()/f.medianWall.Seconds())
			cpuCell = seconds(p.medianCPU) + " / " + seconds(f.medianCPU)
		}
		w("| %d | %s | %s | %s | %s | %s | %s | %s |\n", g.n, g.phase, seconds(p.medianWall), floorCell, ratioCell,
			cpuCell, requestsCell(p), megabytes(p.medianRSS))
	}

	if in.latency > 0 {
		w("\n## With %s mock latency per request\n\n", in.latency)
		w("Median of %d run(s) per N, `-parallelism=%d`. The latency floor is ⌈N/%d⌉ × %s × requests per resource "+
			"(from the counts): what the API's latency alone costs when %d requests are always in flight.\n\n",
			in.latencyRuns, in.parallelism, in.parallelism, in.latency, in.parallelism)
		w("| N | phase | provider | latency floor | ratio | requests | provider peak RSS |\n")
		w("|--:|---|--:|--:|--:|---|--:|\n")
		for _, g := range sortedGroups(sums) {
			if g.kind != kindProvider || g.latency == 0 {
				continue
			}
			p := sums[g]
			floor := latencyFloor(g.n, in.parallelism, g.latency, float64(total(p.requests))/float64(g.n))
			ratio := "–"
			if floor > 0 {
				ratio = fmt.Sprintf("%.2f×", p.medianWall.Seconds()/floor.Seconds())
			}
			w("| %d | %s | %s | %s | %s | %s | %s |\n", g.n, g.phase, seconds(p.medianWall), seconds(floor), ratio,
				requestsCell(p), megabytes(p.medianRSS))
		}
	}

	w("\n## How it is measured\n\n")
	w("- Each run is a fresh directory and, for the provider, a fresh `packet-mock` on a free loopback port; " +
		"terraform finds the local build through `dev_overrides` in a `TF_CLI_CONFIG_FILE`.\n")
	w("- The same N distinct ed25519 keys (generated by the bench) are the input of both configurations; " +
		"the floor is `terraform_data` resources with the same values, so it is terraform's own cost for N resources.\n")
	w("- Phases: `terraform apply -auto-approve`, a no-change `terraform plan -detailed-exitcode` (full refresh; " +
		"exit 0 is required), `terraform destroy -auto-approve`. Destroy refreshes first, so it makes N GETs and N DELETEs.\n")
	w("- Wall time is the terraform command's, start to exit. Floor and provider runs alternate, so drift on the machine hits both.\n")
	w("- Peak RSS: every 20 ms the bench finds terraform's `terraform-provider-packet` children in /proc and reads VmHWM " +
		"(the kernel's peak mark, which only grows); the largest value of any of them is reported.\n")
	w("- Request counts come from the mock's `POST /_mock/requests/reset`, taken before and after each phase.\n")

	w("\n## Reproduce\n\n")
	w("```sh\nmake bench                                  # builds bin/, then go run ./bench\n")
	w("go run ./bench -n 100,1000 -runs 3 -latency 50ms -latency-runs 1   # the defaults\n")
	w("go run ./bench -n 100 -runs 1 -latency 0 -out /tmp/quick.md       # a quick look\n```\n")
	latencyNs := make([]string, len(in.latencyNs))
	for i, n := range in.latencyNs {
		latencyNs[i] = fmt.Sprint(n)
	}
	if in.latency > 0 {
		w("\nThe latency set ran N = %s with %d run(s) each to stay within 10 minutes on this machine.\n",
			strings.Join(latencyNs, ", "), in.latencyRuns)
	}
	if in.analysis != "" {
		w("\n%s", in.analysis)
	}
	return b.String()
}

// analysisHeading starts the one hand-written section of the report: the
// bench keeps it (from the heading to the end) when it rewrites the file.
const analysisHeading = "## Analysis"

// analysisSection returns the hand-written section of a previous report,
// or "" when it has none.
func analysisSection(previous string) string {
	for i := 0; i < len(previous); {
		line, _, _ := strings.Cut(previous[i:], "\n")
		if strings.TrimSpace(line) == analysisHeading {
			return strings.TrimRight(previous[i:], "\n") + "\n"
		}
		i += len(line) + 1
	}
	return ""
}

func requestsCell(s summary) string {
	cell := fmt.Sprintf("%d: %s", total(s.requests), formatRequests(s.requests))
	if s.requestsVar {
		cell += " (varied between runs)"
	}
	return cell
}
