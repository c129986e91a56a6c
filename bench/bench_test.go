package main

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestVmHWM(t *testing.T) {
	status := "Name:\tterraform-provi\nVmPeak:\t  900000 kB\nVmHWM:\t   31608 kB\nVmRSS:\t   30368 kB\n"
	got, ok := vmHWM(strings.NewReader(status))
	if !ok || got != 31608*1024 {
		t.Fatalf("vmHWM = %d, %v; want %d bytes", got, ok, 31608*1024)
	}
	for _, bad := range []string{"VmRSS:\t 1 kB\n", "VmHWM:\t 12 MB\n", "VmHWM:\t x kB\n", ""} {
		if got, ok := vmHWM(strings.NewReader(bad)); ok {
			t.Errorf("vmHWM(%q) = %d, true; want not found", bad, got)
		}
	}
}

func TestParentPID(t *testing.T) {
	// comm may hold spaces and parentheses; the fields after the last ')' count.
	if got := parentPID([]byte("4242 (a) b (c)) S 17 4242 4242 0 -1")); got != 17 {
		t.Fatalf("parentPID = %d; want 17", got)
	}
	if got := parentPID([]byte("garbage")); got != -1 {
		t.Fatalf("parentPID(garbage) = %d; want -1", got)
	}
}

func TestChildrenNamedFindsOwnChild(t *testing.T) {
	// This test binary's parent is not its child: nothing is found for it,
	// while the test process itself is found as a child of its parent.
	self, parent := os.Getpid(), os.Getppid()
	args0 := os.Args[0]
	name := args0[strings.LastIndexByte(args0, '/')+1:]
	found := childrenNamed(parent, name)
	if len(found) == 0 || !containsInt(found, self) {
		t.Fatalf("childrenNamed(%d, %q) = %v; want it to include %d", parent, name, found, self)
	}
	if got := childrenNamed(self, name); len(got) != 0 {
		t.Fatalf("childrenNamed(self) = %v; want none", got)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestMedian(t *testing.T) {
	if got := median([]time.Duration{3, 1, 2}); got != 2 {
		t.Errorf("odd median = %v; want 2", got)
	}
	if got := median([]int64{4, 1, 3, 2}); got != 2 {
		t.Errorf("even median = %v; want 2 (mean of 2 and 3, truncated)", got)
	}
	if got := median[int64](nil); got != 0 {
		t.Errorf("empty median = %v; want 0", got)
	}
}

func TestCPUTime(t *testing.T) {
	// pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
	stat := []byte("4242 (terraform-provi) S 17 4242 4242 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 12")
	got, ok := cpuTime(stat)
	if !ok || got != 1750*time.Millisecond {
		t.Fatalf("cpuTime = %v, %v; want 1.75s (175 ticks)", got, ok)
	}
	if _, ok := cpuTime([]byte("4242 (x) S 17")); ok {
		t.Fatal("cpuTime of a short stat line succeeded")
	}
}

// planSums are no-change plan summaries of the provider at N=1,000.
func planSums(provider0, provider50, bare time.Duration, providerCPU time.Duration, requests map[string]int) map[group]summary {
	return map[group]summary{
		{kindProvider, 1000, 0, phasePlan}:                     {medianWall: provider0, medianProviderCPU: providerCPU, requests: requests},
		{kindProvider, 1000, 50 * time.Millisecond, phasePlan}: {medianWall: provider50, requests: requests},
		{kindBare, 1000, 0, phasePlan}:                         {medianWall: bare},
		{kindFloor, 1000, 0, phasePlan}:                        {medianWall: time.Second},
	}
}

func verdicts(sums map[group]summary) map[string]bool {
	got := map[string]bool{}
	for _, tg := range targets(sums) {
		got[strings.Join(strings.Fields(tg.name)[:2], " ")] = tg.met
	}
	return got
}

func TestTargets(t *testing.T) {
	pages := map[string]int{listRoute: 1}
	sums := planSums(3*time.Second, 3500*time.Millisecond, 2900*time.Millisecond, 1200*time.Millisecond, pages)
	sums[group{kindProvider, 3000, 0, phaseApply}] = summary{medianWall: time.Second, medianRSS: 39 << 20}
	sums[group{kindProvider, 3000, 0, phasePlan}] = summary{medianWall: time.Second, medianRSS: 30 << 20, requests: map[string]int{listRoute: 3}}
	sums[group{kindAttachment, 100, 0, phasePlan}] = summary{medianWall: time.Second, medianConnections: 1}
	want := map[string]bool{
		"no-change plan": true, // 3.5 s vs 3 s: 1.17× ≤ 1.3×; 3 s vs 2.9 s: 1.03× ≤ 1.1×
		"provider CPU":   true, // 1.2 ms per instance
		"a no-change":    true, // one list page at N=1000, three at N=3000
		"refresh of":     true, // one SSH connection for 100 attachments
		"provider peak":  true, // 39 MB at N=3000
	}
	got := verdicts(sums)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("target %q met = %v; want %v (all: %v)", k, got[k], w, got)
		}
	}

	// Each goal can fail.
	slow := planSums(3*time.Second, 4*time.Second, 2*time.Second, 2*time.Second, map[string]int{listRoute: 1, "GET /ssh-keys/{id}": 1})
	slow[group{kindAttachment, 100, 0, phasePlan}] = summary{medianWall: time.Second, medianConnections: 100}
	for _, tg := range targets(slow) {
		if tg.met {
			t.Errorf("target %q met with figures that miss it: %s", tg.name, tg.detail)
		}
	}
	if got := verdicts(map[group]summary{}); got["provider CPU"] || got["a no-change"] || got["provider peak"] || got["refresh of"] {
		t.Errorf("with nothing measured some target counts as met: %v", got)
	}
}

// fleetSums are fleet summaries: plans at 0 and 50 ms, the apply at 0 ms.
func fleetSums(plan0, plan50 time.Duration, planRequests map[string]int, connections int64, applyGETs int) map[group]summary {
	n := defaultFleet.attachments()
	return map[group]summary{
		{kindFleet, n, 0, phasePlan}:                     {medianWall: plan0, requests: planRequests, medianConnections: connections},
		{kindFleet, n, 50 * time.Millisecond, phasePlan}: {medianWall: plan50, requests: planRequests, medianConnections: connections},
		{kindFleet, n, 0, phaseApply}:                    {medianWall: time.Second, requests: map[string]int{deviceGetRoute: applyGETs}},
	}
}

func TestFleetTargets(t *testing.T) {
	verdict := func(sums map[group]summary) map[string]bool {
		got := map[string]bool{}
		for _, tg := range fleetTargets(sums) {
			got[strings.Join(strings.Fields(tg.name)[:2], " ")] = tg.met
		}
		return got
	}
	listings := map[string]int{deviceListRoute: 1, listRoute: 1}
	good := verdict(fleetSums(2*time.Second, 2500*time.Millisecond, listings, 20, 20))
	if !good["fleet plan"] || !good["fleet refresh:"] || !good["fleet apply"] {
		t.Errorf("figures that meet the fleet targets: %v", good)
	}
	// As measured before device snapshots (issue 24): 500 GETs per plan, 1,500 per apply, 1.6 s vs 3.6 s.
	before := verdict(fleetSums(1600*time.Millisecond, 3600*time.Millisecond, map[string]int{deviceGetRoute: 500, listRoute: 1}, 20, 1500))
	if before["fleet plan"] || before["fleet refresh:"] || before["fleet apply"] {
		t.Errorf("figures of issue 24 count as met: %v", before)
	}
	if got := verdict(fleetSums(time.Second, time.Second, listings, 500, 20)); got["fleet refresh:"] {
		t.Error("500 SSH connections (one per attachment) count as met")
	}
	if got := verdict(map[group]summary{}); got["fleet plan"] || got["fleet refresh:"] || got["fleet apply"] {
		t.Errorf("with nothing measured a fleet target counts as met: %v", got)
	}
}

func TestParseFleets(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []fleetShape
	}{
		{"20x25", []fleetShape{{20, 25}}}, {" 100x10 ", []fleetShape{{100, 10}}}, {"0", nil}, {"", nil},
		{"20x25, 100x10", []fleetShape{{20, 25}, {100, 10}}},
	} {
		if got, err := parseFleets(c.in); err != nil || !slices.Equal(got, c.want) {
			t.Errorf("parseFleets(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"20", "x25", "20x0", "-1x5", "20x25x2", "twenty", "20x25,", "20x25,0"} {
		if got, err := parseFleets(bad); err == nil {
			t.Errorf("parseFleets(%q) = %v; want an error", bad, got)
		}
	}
	if o, err := parseOptions(nil, os.Stderr); err != nil || !slices.Equal(o.fleets, defaultFleets) {
		t.Errorf("default fleets = %v, %v; want %v", o.fleets, err, defaultFleets)
	}
	if o, err := parseOptions([]string{"-n", "0"}, os.Stderr); err != nil || len(o.ns) != 0 {
		t.Errorf("-n 0 = %v, %v; want no key scenario", o.ns, err)
	}
}

func TestListPagesOnly(t *testing.T) {
	for _, c := range []struct {
		n        int
		requests map[string]int
		want     bool
	}{
		{1000, map[string]int{listRoute: 1}, true},
		{1001, map[string]int{listRoute: 2}, true},
		{1001, map[string]int{listRoute: 1}, false},
		{100, map[string]int{listRoute: 1, "GET /ssh-keys/{id}": 1}, false},
		{100, nil, false},
	} {
		if got := listPagesOnly(c.requests, c.n); got != c.want {
			t.Errorf("listPagesOnly(%v, %d) = %v; want %v", c.requests, c.n, got, c.want)
		}
	}
}

func TestAnalysisSectionIsKept(t *testing.T) {
	previous := "# Benchmarks\n\n## Targets\n\n- x\n\n## Analysis\n\nWhy it is slow.\n\n### More\n\ntext\n\n"
	got := analysisSection(previous)
	if got != "## Analysis\n\nWhy it is slow.\n\n### More\n\ntext\n" {
		t.Fatalf("analysisSection = %q", got)
	}
	if got := analysisSection("# Benchmarks\n\n## Analysis of nothing\n"); got != "" {
		t.Fatalf("a heading that only starts alike was taken: %q", got)
	}
	report := renderReport(reportInput{when: time.Unix(0, 0), runs: 1, parallelism: 10, analysis: got})
	if !strings.HasSuffix(report, got) || strings.Count(report, "\n"+analysisHeading+"\n") != 1 {
		t.Fatalf("the analysis is not the report's end, once:\n%s", report)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := parseOptions([]string{"-n", "10, 20", "-latency", "0, 50ms", "-runs", "2"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.ns) != 2 || o.ns[1] != 20 || len(o.latencies) != 2 || o.latencies[1] != 50*time.Millisecond || o.runs != 2 {
		t.Fatalf("options %+v", o)
	}
	if o, err := parseOptions([]string{"-kinds", "provider, floor"}, os.Stderr); err != nil || !slices.Equal(o.kinds, []kind{kindFloor, kindProvider}) {
		t.Fatalf("-kinds: options %+v, %v; want the floor and the provider, in the order of a round", o, err)
	}
	if o, err := parseOptions(nil, os.Stderr); err != nil || !slices.Equal(o.kinds, kinds) {
		t.Fatalf("default kinds = %v, %v; want all", o.kinds, err)
	}
	if o, err := parseOptions([]string{"-quick"}, os.Stderr); err != nil || len(o.ns) != 1 || o.ns[0] != targetN {
		t.Fatalf("-quick: options %+v, %v; want N = %d only", o, err, targetN)
	}
	for _, bad := range [][]string{{"-n", "0,100"}, {"-n", "x"}, {"-runs", "0"}, {"-latency", "-1s"}, {"-latency", "fast"}, {"-attachments", "-1"}, {"-fleet", "20"}, {"-kinds", "terraform"}} {
		if _, err := parseOptions(bad, devNull(t)); err == nil {
			t.Errorf("parseOptions(%v) accepted", bad)
		}
	}
}

func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestPlanCases(t *testing.T) {
	got := planCases(kinds, []time.Duration{0, 50 * time.Millisecond})
	want := []planCase{{kindFloor, 0}, {kindBare, 0}, {kindProvider, 0}, {kindProvider, 50 * time.Millisecond}}
	if !slices.Equal(got, want) {
		t.Fatalf("planCases = %v; want %v (the floor and bare once, the provider at every latency)", got, want)
	}
	if got := planCases([]kind{kindProvider}, []time.Duration{0}); len(got) != 1 || got[0] != (planCase{kindProvider, 0}) {
		t.Fatalf("planCases when profiling = %v; want the provider at 0 ms only", got)
	}
}
