package main

import (
	"fmt"
	"maps"

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
	// connections are the SSH connections to the device (attachment scenario only).
	connections int
}

// group is the runs of one (kind, N, latency, phase).
type group struct {
	kind    kind
	n       int
	latency time.Duration
	phase   phase
}

func (s sample) group() group { return group{s.kind, s.n, s.latency, s.phase} }

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

func milliseconds(d time.Duration) string {
	return strings.TrimSuffix(fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)), ".00") + " ms"
}

// reportInput is everything the report shows.
type reportInput struct {
	when        time.Time
	machine     machine
	parallelism int
	runs        int
	elapsed     time.Duration
	command     string
	providerDir string // shown when it is not the repository's bin/
	samples     []sample
	fleets      []fleetShape // of the fleet scenario; none when it was skipped
	analysis    string       // kept from the previous report
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

	w("\n## Targets\n\n")
	for _, t := range targets(sums) {
		mark := "met"
		if !t.met {
			mark = "**not met**"
		}
		w("- %s: %s — %s\n", t.name, mark, t.detail)
	}

	w("\n## No-change plan\n\n")
	w("Median of %d interleaved runs, `-parallelism=%d`. terraform_data and the bare framework provider call no API, so "+
		"they run at 0 ms only. CPU per instance is the provider processes' user+system time over N. "+
		"Requests are the mock's counts by endpoint.\n\n", in.runs, in.parallelism)
	w("| N | mock latency | terraform_data | bare framework | this provider | provider / bare | provider / terraform_data " +
		"| provider vs 0 ms | CPU per instance provider / bare | requests | peak RSS provider / bare |\n")
	w("|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|\n")
	for _, g := range sortedGroups(sums) {
		if g.kind == kindProvider && g.phase == phasePlan {
			w("%s\n", planRow(sums, g))
		}
	}

	w("\n## Apply (and destroy) once per N and kind\n\n")
	w("One run each, at 0 ms, so not medians: terraform's own apply and destroy dominate and grow faster than linearly with N. " +
		"CPU is user+system of terraform and the provider processes it ran.\n\n")
	w("| N | phase | kind | wall | CPU | provider CPU | requests | provider peak RSS |\n")
	w("|--:|---|---|--:|--:|--:|---|--:|\n")
	for _, g := range sortedGroups(sums) {
		if g.phase == phasePlan || g.kind == kindAttachment || g.kind == kindFleet {
			continue
		}
		s := sums[g]
		reqs := "–"
		if g.kind == kindProvider {
			reqs = requestsCell(s)
		}
		w("| %d | %s | %s | %s | %s | %s | %s | %s |\n", g.n, g.phase, g.kind.label(), seconds(s.medianWall), seconds(s.medianCPU),
			seconds(s.medianProviderCPU), reqs, megabytes(s.medianRSS))
	}

	w("\n## Attachment refresh\n\n")
	w("N project keys, each attached with `packet_device_key_attachment` to the same device (a mock machine with a real "+
		"SSH server, reached through a proxy that counts TCP connections). Apply once, then median of %d no-change plans.\n\n", in.runs)
	w("| N | phase | SSH connections | wall | provider CPU | requests |\n|--:|---|--:|--:|--:|---|\n")
	measured := false
	for _, g := range sortedGroups(sums) {
		if g.kind != kindAttachment {
			continue
		}
		measured = true
		s := sums[g]
		w("| %d | %s | %d | %s | %s | %s |\n", g.n, g.phase, s.medianConnections, seconds(s.medianWall),
			seconds(s.medianProviderCPU), requestsCell(s))
	}
	if !measured {
		w("| %d | plan | not measured | not measured | not measured | not measured |\n", attachmentsOnDevice)
	}

	w("\n## Attachment fleet\n\n")
	w("The \"all of them\" recipe: `data \"packet_devices\"` and `for_each` over every pair of device and project key, so each "+
		"key is attached to every device (mock machines with real SSH servers, each behind a proxy that counts TCP "+
		"connections). Applied from empty at 0 ms, then median of %d no-change plans at every latency, then for every other "+
		"latency a destroy at 0 ms and an apply from empty at that latency (one run each).\n\n", in.runs)
	w("| devices × keys | mock latency | phase | SSH connections | wall | vs 0 ms | provider CPU | requests |\n")
	w("|--:|--:|---|--:|--:|--:|--:|---|\n")
	measured = false
	for _, g := range sortedGroups(sums) {
		if g.kind != kindFleet {
			continue
		}
		measured = true
		s, vsZero := sums[g], "–"
		if z, ok := sums[group{kindFleet, g.n, 0, g.phase}]; ok && g.latency > 0 && z.medianWall > 0 {
			vsZero = fmt.Sprintf("%.2f×", ratio(s.medianWall, z.medianWall))
		}
		shape, _ := fleetOf(in.fleets, g.n)
		w("| %d × %d | %s | %s | %d | %s | %s | %s | %s |\n", shape.devices, shape.keys, milliseconds(g.latency), g.phase,
			s.medianConnections, seconds(s.medianWall), vsZero, seconds(s.medianProviderCPU), requestsCell(s))
	}
	if !measured {
		w("| %d × %d | – | plan | not measured | not measured | – | not measured | not measured |\n", defaultFleet.devices, defaultFleet.keys)
	}

	w("\n## How it is measured\n\n")
	w("- Per N, one in-process `packet-mock` on a free loopback port serves the provider; its latency fault is switched " +
		"between plans of the same state, so every latency plans the same keys. terraform finds the local builds through " +
		"`dev_overrides` in a `TF_CLI_CONFIG_FILE`.\n")
	w("- The same N distinct ed25519 keys (generated by the bench) are the input of every kind: `terraform_data` with the same " +
		"values (terraform's own floor), `bare_key` of bench/bareprovider (the plain framework server, no rpcctx, SDK logs off " +
		"through TF_LOG_SDK*=OFF as the provider's main does for itself; its Read does nothing) and `packet_project_ssh_key`.\n")
	w("- Each kind is applied once; then %d rounds each run one no-change `terraform plan -detailed-exitcode` (full refresh; "+
		"exit 0 is required) of every kind and, for the provider, every latency, in the same order, so drift on the machine "+
		"hits all alike.\n", in.runs)
	w("- Wall time is the terraform command's, start to exit.\n")
	w("- Every 20 ms the bench finds terraform's provider children in /proc and reads VmHWM (the kernel's peak mark) and " +
		"utime+stime; the largest peak and the summed CPU of those processes are reported (CPU may miss a process's last 20 ms).\n")
	w("- Request counts are the mock's own counters, reset before each phase.\n")

	w("\n## Reproduce\n\n")
	w("```sh\nmake bench                # builds bin/, then go run ./bench: N = 100, 1000, 3000 at 0 and 50 ms\n")
	w("go run ./bench -quick     # N = 1,000 only\n")
	w("go run ./bench -n 100 -runs 1 -latency 0 -out /tmp/quick.md   # a quick look\n")
	w("go run ./bench -n 0 -attachments 0 -out /tmp/fleet.md   # the fleet shapes only (-fleet 20x25,100x10)\n")
	w("go run ./bench -provider-dir /path/to/other/build -out /tmp/other.md   # another build of the provider\n")
	w("go run ./bench -n 1000 -latency 0 -cpuprofile /tmp/p.pprof   # CPU profile of the provider's plans (no report)\n```\n")
	if in.analysis != "" {
		w("\n%s", in.analysis)
	}
	return b.String()
}

// planRow is the plan table's row for the provider at g's N and latency.
// terraform_data and the bare provider make no requests, so they are only
// compared at 0 ms; other latencies are compared with the provider at 0 ms.
func planRow(sums map[group]summary, g group) string {
	p := sums[g]
	perInstance := func(s summary) string { return milliseconds(s.medianProviderCPU / time.Duration(g.n)) }
	times := func(a, b time.Duration) string { return fmt.Sprintf("%.2f×", ratio(a, b)) }
	floorCell, bareCell, vsBare, vsFloor, vsZero := "–", "–", "–", "–", "–"
	cpuCell, rssCell := perInstance(p)+" / –", megabytes(p.medianRSS)+" / –"
	if g.latency == 0 {
		if f, ok := sums[group{kindFloor, g.n, 0, phasePlan}]; ok && f.medianWall > 0 {
			floorCell, vsFloor = seconds(f.medianWall), times(p.medianWall, f.medianWall)
		}
		if bs, ok := sums[group{kindBare, g.n, 0, phasePlan}]; ok && bs.medianWall > 0 {
			bareCell, vsBare = seconds(bs.medianWall), times(p.medianWall, bs.medianWall)
			cpuCell, rssCell = perInstance(p)+" / "+perInstance(bs), megabytes(p.medianRSS)+" / "+megabytes(bs.medianRSS)
		}
	} else if z, ok := sums[group{kindProvider, g.n, 0, phasePlan}]; ok && z.medianWall > 0 {
		vsZero = times(p.medianWall, z.medianWall)
	}
	return fmt.Sprintf("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", g.n, milliseconds(g.latency), floorCell, bareCell,
		seconds(p.medianWall), vsBare, vsFloor, vsZero, cpuCell, requestsCell(p), rssCell)
}
