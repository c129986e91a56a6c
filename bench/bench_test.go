package main

import (
	"os"
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

func TestLatencyFloor(t *testing.T) {
	// 1,000 creates, 10 at a time, one 50 ms request each: 100 waves of 50 ms.
	if got := latencyFloor(1000, 10, 50*time.Millisecond, 1); got != 5*time.Second {
		t.Errorf("latencyFloor = %v; want 5s", got)
	}
	// A partial last wave still costs a whole wave; two requests double it.
	if got := latencyFloor(101, 10, 50*time.Millisecond, 2); got != 1100*time.Millisecond {
		t.Errorf("latencyFloor = %v; want 1.1s", got)
	}
}

func TestTargets(t *testing.T) {
	sums := map[group]summary{
		{kindProvider, 1000, 0, phasePlan}:                      {medianWall: 1100 * time.Millisecond, medianRSS: 30 << 20, requests: map[string]int{"GET /ssh-keys/{id}": 1000}},
		{kindFloor, 1000, 0, phasePlan}:                         {medianWall: time.Second},
		{kindProvider, 1000, 0, phaseApply}:                     {medianRSS: 70 << 20, requests: map[string]int{"POST": 1000}},
		{kindProvider, 1000, 50 * time.Millisecond, phaseApply}: {medianWall: 6 * time.Second, requests: map[string]int{"POST": 1000}},
	}
	got := map[string]bool{}
	for _, tg := range targets(sums, 10, 50*time.Millisecond) {
		got[strings.Fields(tg.name)[0]+" "+strings.Fields(tg.name)[1]] = tg.met
	}
	want := map[string]bool{
		"a no-change":    true,  // exactly N GETs
		"no-change plan": true,  // 1.10× ≤ 1.15×
		"apply at":       false, // 6 s vs 5 s floor: 1.2×
		"provider peak":  false, // 70 MB in apply
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("target %q met = %v; want %v (all: %v)", k, got[k], w, got)
		}
	}

	sums[group{kindProvider, 1000, 0, phasePlan}] = summary{medianWall: time.Second, requests: map[string]int{"GET /ssh-keys/{id}": 1000, "GET /users/me": 1}}
	if targets(sums, 10, 50*time.Millisecond)[0].met {
		t.Error("a plan with one request more than N counts as exactly N")
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
	o, err := parseOptions([]string{"-n", "10, 20", "-latency-n", "5", "-runs", "2"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.ns) != 2 || o.ns[1] != 20 || len(o.latencyNs) != 1 || o.latencyNs[0] != 5 || o.runs != 2 {
		t.Fatalf("options %+v", o)
	}
	for _, bad := range [][]string{{"-n", "0"}, {"-n", "x"}, {"-runs", "0"}, {"-latency", "-1s"}} {
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
