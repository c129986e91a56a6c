package mockapi

import (
	"maps"
	"math/rand"
	"sync"
	"time"
)

// Faults make the mock misbehave on purpose, for reliability tests. Switch
// them at any time with SetFaults; the zero value means "behave".
type Faults struct {
	ErrorRate        float64            // fraction of requests answered 500/502/503 (before touching the store)
	ErrorRateByRoute map[string]float64 // per "METHOD /route/template"; overrides ErrorRate for that route
	RateLimitBurst   int                // the next N requests get 429 with Retry-After and X-RateLimit-* headers
	RateLimitEvery   int                // > 0: a new burst starts every that many requests, for long runs
	RetryAfter       time.Duration      // Retry-After of those 429s, rounded up to whole seconds
	LatencyMin       time.Duration      // each request waits a uniform random time in [LatencyMin, LatencyMax]
	LatencyMax       time.Duration
	DropRate         float64        // fraction of requests whose connection is closed without a response
	AfterCommit      map[string]int // route → status: perform the operation, then answer this status instead
	AfterCommitCount int            // how many times AfterCommit fires (0 = unlimited)
	Seed             int64          // random seed, for reproducible runs
}

// faultState is the live copy of Faults plus the counters they consume.
type faultState struct {
	mu             sync.Mutex
	f              Faults
	rng            *rand.Rand
	burstLeft      int
	afterCommitUse int
	requests       int // requests decided since set, for RateLimitEvery
	injected       FaultCounts
}

// FaultCounts says how many requests each kind of fault hit since the last
// SetFaults, so reliability tests can report what they survived.
type FaultCounts struct {
	Requests    int // requests that went through the fault decision
	Errors      int // answered 5xx before touching the store
	Drops       int // connection closed without a response
	RateLimited int // answered 429
	AfterCommit int // performed, then answered with an error
}

// InjectedFaults returns the fault counters since the last SetFaults.
func (s *Server) InjectedFaults() FaultCounts {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return s.faults.injected
}

// SetFaults replaces the active faults and restarts their counters.
func (s *Server) SetFaults(f Faults) { s.faults.set(f) }

func (fs *faultState) set(f Faults) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f.ErrorRateByRoute = maps.Clone(f.ErrorRateByRoute)
	f.AfterCommit = maps.Clone(f.AfterCommit)
	fs.f = f
	fs.rng = rand.New(rand.NewSource(f.Seed)) //nolint:gosec // seeded on purpose: a run's faults can be replayed
	fs.burstLeft = f.RateLimitBurst
	fs.afterCommitUse = 0
	fs.requests = 0
	fs.injected = FaultCounts{}
}

// decision is what the faults say about one request, drawn up front so the
// random sequence depends only on the order of requests.
type decision struct {
	drop        bool
	latency     time.Duration
	rateLimited bool
	retryAfter  time.Duration
	burstLimit  int
	errorStatus int // 0: none
	afterCommit int // 0: none; a status to answer after a successful operation
}

func (fs *faultState) decide(route string) decision {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.f
	var d decision
	fs.requests++
	fs.injected.Requests++
	if f.RateLimitEvery > 0 && fs.requests%f.RateLimitEvery == 0 {
		fs.burstLeft = f.RateLimitBurst
	}
	if f.DropRate > 0 && fs.rng.Float64() < f.DropRate {
		d.drop = true
		fs.injected.Drops++
		return d
	}
	if f.LatencyMax > f.LatencyMin {
		d.latency = f.LatencyMin + time.Duration(fs.rng.Int63n(int64(f.LatencyMax-f.LatencyMin)+1))
	} else {
		d.latency = f.LatencyMin
	}
	if fs.burstLeft > 0 {
		fs.burstLeft--
		d.rateLimited, d.retryAfter, d.burstLimit = true, f.RetryAfter, f.RateLimitBurst
		fs.injected.RateLimited++
		return d
	}
	rate, ok := f.ErrorRateByRoute[route]
	if !ok {
		rate = f.ErrorRate
	}
	if rate > 0 && fs.rng.Float64() < rate {
		d.errorStatus = []int{500, 502, 503}[fs.rng.Intn(3)]
		fs.injected.Errors++
		return d
	}
	if status, ok := f.AfterCommit[route]; ok && (f.AfterCommitCount == 0 || fs.afterCommitUse < f.AfterCommitCount) {
		// Reserved now so concurrent requests never exceed the count.
		fs.afterCommitUse++
		fs.injected.AfterCommit++
		d.afterCommit = status
	}
	return d
}

// releaseAfterCommit gives back a reserved AfterCommit use when the operation
// failed on its own: only successful operations consume the count.
func (fs *faultState) releaseAfterCommit() {
	fs.mu.Lock()
	fs.afterCommitUse--
	fs.injected.AfterCommit--
	fs.mu.Unlock()
}
