package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// profiles gathers the CPU profiles the profiled provider writes, keeping
// those of plan phases only (the apply's are dropped).
type profiles struct {
	live string   // where running provider processes write
	kept []string // profiles of plans, moved out of live
	dir  string
}

func newProfiles(tmp string) (*profiles, error) {
	p := &profiles{live: filepath.Join(tmp, "profiles-live"), dir: filepath.Join(tmp, "profiles")}
	for _, d := range []string{p.live, p.dir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *profiles) env() []string { return []string{"PACKET_BENCH_CPUPROFILE_DIR=" + p.live} }

// collect takes the profiles of the phase that just ended: kept if keep,
// else removed.
func (p *profiles) collect(keep bool) error {
	entries, err := os.ReadDir(p.live)
	if err != nil {
		return err
	}
	for _, e := range entries {
		from := filepath.Join(p.live, e.Name())
		if !keep {
			if err := os.Remove(from); err != nil {
				return err
			}
			continue
		}
		to := filepath.Join(p.dir, fmt.Sprintf("%d-%s", len(p.kept), e.Name()))
		if err := os.Rename(from, to); err != nil {
			return err
		}
		p.kept = append(p.kept, to)
	}
	return nil
}

// merge writes the kept profiles as one, with go tool pprof.
func (p *profiles) merge(ctx context.Context, out string) error {
	if len(p.kept) == 0 {
		return fmt.Errorf("no provider process wrote a CPU profile")
	}
	args := append([]string{"tool", "pprof", "-proto", "-output", out}, p.kept...)
	if msg, err := exec.CommandContext(ctx, "go", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("merging CPU profiles: %w\n%s", err, msg)
	}
	return nil
}
