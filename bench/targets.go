package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// summary is a group's figures over its runs.
type summary struct {
	runs              int
	medianWall        time.Duration
	medianCPU         time.Duration
	medianProviderCPU time.Duration
	medianRSS         int64
	providers         int            // provider processes in a run's phase (max over runs)
	requests          map[string]int // of the first run
	requestsVar       bool           // not every run made the same requests
	medianConnections int64          // SSH connections (attachment scenario)
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
		providerCPUs := make([]time.Duration, len(ss))
		rss := make([]int64, len(ss))
		conns := make([]int64, len(ss))
		sum := summary{runs: len(ss), requests: ss[0].requests}
		for i, s := range ss {
			walls[i], cpus[i], providerCPUs[i], rss[i] = s.timing.wall, s.timing.cpu, s.timing.providerCPU, s.timing.peakRSS
			conns[i] = int64(s.connections)
			sum.providers = max(sum.providers, s.timing.providers)
			if !maps.Equal(s.requests, ss[0].requests) {
				sum.requestsVar = true
			}
		}
		sum.medianWall, sum.medianCPU, sum.medianProviderCPU, sum.medianRSS = median(walls), median(cpus), median(providerCPUs), median(rss)
		sum.medianConnections = median(conns)
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

// target is one of the goals with its verdict. A goal whose figures
// were not measured is not met, and says so.
type target struct {
	name   string
	met    bool
	detail string
}

// The goals of issue 17 ("Faster than the archived provider").
const (
	targetN             = 1000
	targetLatency       = 50 * time.Millisecond
	latencyRatioTarget  = 1.3
	bareRatioTarget     = 1.1
	cpuPerInstance      = 1500 * time.Microsecond
	rssTargetN          = 3000
	rssTarget           = 40 << 20
	listPageSize        = metal.PageSize // items per list page the provider asks for
	listRoute           = "GET /projects/{id}/ssh-keys"
	deviceListRoute     = "GET /projects/{id}/devices"
	deviceGetRoute      = "GET /devices/{id}"
	attachmentsOnDevice = 100
)

// listPagesOnly reports whether requests are exactly the ⌈n/1000⌉ list pages.
func listPagesOnly(requests map[string]int, n int) bool {
	pages := (n + listPageSize - 1) / listPageSize
	return len(requests) == 1 && requests[listRoute] == pages
}

func ratio(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }

// targets judges the goals from the summaries.
func targets(sums map[group]summary) []target {
	plan := func(k kind, l time.Duration) (summary, bool) { // at targetN
		s, ok := sums[group{k, targetN, l, phasePlan}]
		return s, ok && s.medianWall > 0
	}
	var out []target

	lat := target{name: fmt.Sprintf("no-change plan of %d keys at %s within %.1f× the same plan at 0 ms", targetN, targetLatency, latencyRatioTarget),
		detail: "not measured"}
	if slow, ok := plan(kindProvider, targetLatency); ok {
		if fast, ok := plan(kindProvider, 0); ok {
			r := ratio(slow.medianWall, fast.medianWall)
			lat.met = r <= latencyRatioTarget
			lat.detail = fmt.Sprintf("%s vs %s: %.2f×", seconds(slow.medianWall), seconds(fast.medianWall), r)
		}
	}
	out = append(out, lat)

	bare := target{name: fmt.Sprintf("no-change plan of %d keys at 0 ms ≤ %.1f× the bare framework provider", targetN, bareRatioTarget),
		detail: "not measured"}
	if p, ok := plan(kindProvider, 0); ok {
		if b, ok := plan(kindBare, 0); ok {
			r := ratio(p.medianWall, b.medianWall)
			bare.met = r <= bareRatioTarget
			bare.detail = fmt.Sprintf("%s vs %s: %.2f×", seconds(p.medianWall), seconds(b.medianWall), r)
		}
	}
	out = append(out, bare)

	cpu := target{name: fmt.Sprintf("provider CPU per instance ≤ %s (no-change plan of %d keys at 0 ms)", milliseconds(cpuPerInstance), targetN),
		detail: "not measured"}
	if p, ok := plan(kindProvider, 0); ok && p.medianProviderCPU > 0 {
		per := p.medianProviderCPU / targetN
		cpu.met = per <= cpuPerInstance
		cpu.detail = fmt.Sprintf("%s per instance (%s in all)", milliseconds(per), seconds(p.medianProviderCPU))
	}
	out = append(out, cpu)

	pages := target{name: fmt.Sprintf("a no-change plan of N keys makes only the ⌈N/%d⌉ list requests (`%s`)", listPageSize, listRoute), met: true}
	var seen []string
	for _, g := range sortedGroups(sums) {
		if g.kind != kindProvider || g.phase != phasePlan {
			continue
		}
		s := sums[g]
		seen = append(seen, fmt.Sprintf("N=%d%s: %s", g.n, latencyLabel(g.latency), formatRequests(s.requests)))
		if !listPagesOnly(s.requests, g.n) || s.requestsVar {
			pages.met = false
		}
	}
	pages.detail = strings.Join(seen, "; ")
	if len(seen) == 0 {
		pages.met, pages.detail = false, "not measured"
	}
	out = append(out, pages)

	att := target{name: fmt.Sprintf("refresh of %d attachments on one device over 1 SSH connection", attachmentsOnDevice),
		detail: "not measured"}
	if s, ok := sums[group{kindAttachment, attachmentsOnDevice, 0, phasePlan}]; ok {
		att.met = s.medianConnections == 1
		att.detail = fmt.Sprintf("%d connections per no-change plan (median of %d)", s.medianConnections, s.runs)
	}
	out = append(out, att)

	out = append(out, fleetTargets(sums)...)

	rss := target{name: fmt.Sprintf("provider peak RSS ≤ %d MB at N=%d", rssTarget>>20, rssTargetN), detail: "not measured"}
	var peak int64
	for g, s := range sums {
		if g.kind == kindProvider && g.n == rssTargetN {
			peak = max(peak, s.medianRSS)
		}
	}
	if peak > 0 {
		rss.met = peak <= rssTarget
		rss.detail = fmt.Sprintf("highest phase median %s", megabytes(peak))
	}
	return append(out, rss)
}

// fleetTargets are issue 24's goals for the default fleet shape.
func fleetTargets(sums map[group]summary) []target {
	f := defaultFleet
	n := f.attachments()
	shape := fmt.Sprintf("%d attachments (%d devices × %d keys)", n, f.devices, f.keys)
	var out []target

	lat := target{name: fmt.Sprintf("fleet plan of %s at %s within %.1f× the same plan at 0 ms", shape, targetLatency, latencyRatioTarget),
		detail: "not measured"}
	if slow, ok := sums[group{kindFleet, n, targetLatency, phasePlan}]; ok && slow.medianWall > 0 {
		if fast, ok := sums[group{kindFleet, n, 0, phasePlan}]; ok && fast.medianWall > 0 {
			r := ratio(slow.medianWall, fast.medianWall)
			lat.met = r <= latencyRatioTarget
			lat.detail = fmt.Sprintf("%s vs %s: %.2f×", seconds(slow.medianWall), seconds(fast.medianWall), r)
		}
	}
	out = append(out, lat)

	pages := (f.devices + listPageSize - 1) / listPageSize
	refresh := target{name: fmt.Sprintf("fleet refresh: a no-change plan of %s makes %d × `%s`, 1 × `%s`, no `%s`, over %d SSH connections",
		shape, pages, deviceListRoute, listRoute, deviceGetRoute, f.devices), detail: "not measured", met: true}
	var seen []string
	for _, g := range sortedGroups(sums) {
		if g.kind != kindFleet || g.n != n || g.phase != phasePlan {
			continue
		}
		s := sums[g]
		seen = append(seen, fmt.Sprintf("%s: %s; %d connections", milliseconds(g.latency), formatRequests(s.requests), s.medianConnections))
		want := map[string]int{deviceListRoute: pages, listRoute: 1}
		if !maps.Equal(s.requests, want) || s.requestsVar || s.medianConnections != int64(f.devices) {
			refresh.met = false
		}
	}
	if len(seen) == 0 {
		refresh.met = false
	} else {
		refresh.detail = strings.Join(seen, "; ")
	}
	out = append(out, refresh)

	apply := target{name: fmt.Sprintf("fleet apply from empty of %s makes at most one `%s` per device", shape, deviceGetRoute),
		detail: "not measured", met: true}
	seen = nil
	for _, g := range sortedGroups(sums) {
		if g.kind != kindFleet || g.n != n || g.phase != phaseApply {
			continue
		}
		gets := sums[g].requests[deviceGetRoute]
		seen = append(seen, fmt.Sprintf("%s: %d", milliseconds(g.latency), gets))
		if gets > f.devices {
			apply.met = false
		}
	}
	if len(seen) == 0 {
		apply.met = false
	} else {
		apply.detail = strings.Join(seen, "; ") + " device GETs"
	}
	return append(out, apply)
}
