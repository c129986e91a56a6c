package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// gcSettings reads the collector's settings without changing them.
func gcSettings() (percent int, limit int64) {
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}

func TestTuneGC(t *testing.T) {
	percent, limit := gcSettings()
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	for _, c := range []struct {
		name        string
		env         map[string]string // unset when absent
		wantPercent int
		wantLimit   int64
	}{
		{"neither set", nil, gcPercent, gcMemoryLimit},
		{"GOGC set", map[string]string{"GOGC": "100"}, 100, math.MaxInt64},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 100, math.MaxInt64},
		{"GOGC empty, as the runtime reads it: unset", map[string]string{"GOGC": ""}, gcPercent, gcMemoryLimit},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
				t.Setenv(name, c.env[name]) // restored after the test
				if _, set := c.env[name]; !set {
					if err := os.Unsetenv(name); err != nil {
						t.Fatal(err)
					}
				}
			}
			// What the runtime started with in these tests: the defaults.
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			tuneGC()
			if p, l := gcSettings(); p != c.wantPercent || l != c.wantLimit {
				t.Fatalf("after tuneGC: GOGC %d, memory limit %d; want %d and %d", p, l, c.wantPercent, c.wantLimit)
			}
		})
	}
}
