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

// procSampler follows the provider processes a terraform process starts and
// remembers, per process, the highest VmHWM (the kernel's own peak-RSS mark)
// and the CPU time it used. Both only grow, so a sample taken shortly before
// a process exits is its peak, and its CPU time, up to at most one interval.
type procSampler struct {
	parent   int
	exe      string // base name of the provider binary; "" samples nothing
	interval time.Duration

	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	peaks map[int]int64         // pid → highest VmHWM seen, in bytes
	cpu   map[int]time.Duration // pid → user+system time last seen
}

// procFigures is what a sampler saw of the provider processes of one command.
type procFigures struct {
	peakRSS   int64         // highest peak of any of them
	cpu       time.Duration // their CPU time, summed
	processes int
}

func startProcSampler(parent int, exe string, interval time.Duration) *procSampler {
	s := &procSampler{parent: parent, exe: exe, interval: interval,
		stop: make(chan struct{}), done: make(chan struct{}), peaks: map[int]int64{}, cpu: map[int]time.Duration{}}
	go s.loop()
	return s
}

func (s *procSampler) loop() {
	defer close(s.done)
	if s.exe == "" {
		<-s.stop
		return
	}
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

func (s *procSampler) sample() {
	for _, pid := range childrenNamed(s.parent, s.exe) {
		hwm, ok := readVmHWM(pid)
		if !ok {
			continue // it exited between the scan and the read
		}
		cpu, cpuOK := readCPU(pid)
		s.mu.Lock()
		s.peaks[pid] = max(s.peaks[pid], hwm)
		if cpuOK {
			s.cpu[pid] = max(s.cpu[pid], cpu)
		}
		s.mu.Unlock()
	}
}

// Stop ends sampling and returns what was seen.
func (s *procSampler) Stop() procFigures {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	f := procFigures{processes: len(s.peaks)}
	for _, p := range s.peaks {
		f.peakRSS = max(f.peakRSS, p)
	}
	for _, c := range s.cpu {
		f.cpu += c
	}
	return f
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

// statFields returns the fields of /proc/PID/stat after the 2nd (comm, in
// parentheses, which may hold spaces): fields[0] is the state, [1] the
// parent's pid, [11] and [12] utime and stime.
func statFields(stat []byte) []string {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(stat[i+1:]))
}

// parentPID reads the 4th field of /proc/PID/stat.
func parentPID(stat []byte) int {
	fields := statFields(stat)
	if len(fields) < 2 {
		return -1
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return -1
	}
	return ppid
}

// clockTicks is USER_HZ, the unit of times in /proc/PID/stat: 100 on Linux.
const clockTicks = 100

// cpuTime reads utime+stime (the 14th and 15th fields) of /proc/PID/stat.
func cpuTime(stat []byte) (time.Duration, bool) {
	fields := statFields(stat)
	if len(fields) < 13 {
		return 0, false
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, true
}

func readCPU(pid int) (time.Duration, bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	return cpuTime(stat)
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
