package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler follows the provider processes a terraform process starts and
// remembers the highest VmHWM (the kernel's own peak-RSS mark) any of them
// reached. VmHWM only grows, so a sample taken shortly before a process
// exits is its peak up to at most one interval of growth.
type rssSampler struct {
	parent   int
	exe      string // base name of the provider binary
	interval time.Duration

	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	peaks map[int]int64 // pid → highest VmHWM seen, in bytes
}

func startRSSSampler(parent int, exe string, interval time.Duration) *rssSampler {
	s := &rssSampler{parent: parent, exe: exe, interval: interval,
		stop: make(chan struct{}), done: make(chan struct{}), peaks: map[int]int64{}}
	go s.loop()
	return s
}

func (s *rssSampler) loop() {
	defer close(s.done)
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

func (s *rssSampler) sample() {
	for _, pid := range childrenNamed(s.parent, s.exe) {
		hwm, ok := readVmHWM(pid)
		if !ok {
			continue // it exited between the scan and the read
		}
		s.mu.Lock()
		s.peaks[pid] = max(s.peaks[pid], hwm)
		s.mu.Unlock()
	}
}

// Stop ends sampling and returns the highest peak and how many provider
// processes were seen.
func (s *rssSampler) Stop() (peak int64, processes int) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.peaks {
		peak = max(peak, p)
	}
	return peak, len(s.peaks)
}

// childrenNamed lists the live children of parent whose executable has the
// given base name (comm is cut at 15 characters, so argv[0] is compared).
func childrenNamed(parent int, exe string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil || parentPID(stat) != parent {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if filepath.Base(string(argv0)) == exe {
			pids = append(pids, pid)
		}
	}
	return pids
}

// parentPID reads the 4th field of /proc/PID/stat. The 2nd field (comm, in
// parentheses) may hold spaces, so fields are counted after its last ')'.
func parentPID(stat []byte) int {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return -1
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return -1
	}
	return ppid
}

func readVmHWM(pid int) (int64, bool) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	return vmHWM(f)
}

// vmHWM finds "VmHWM: <n> kB" in /proc/PID/status text; the result is bytes.
func vmHWM(status io.Reader) (int64, bool) {
	sc := bufio.NewScanner(status)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, false
		}
		return kb * 1024, true
	}
	return 0, false
}
