package mockapi

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Helpers for the packet-mock binary, kept here so the binary stays thin.

// ParseLatency reads "D" or "MIN-MAX" (e.g. "50ms", "0-200ms", "10ms-1s");
// a unit on MAX alone applies to MIN too.
func ParseLatency(s string) (minLatency, maxLatency time.Duration, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, 0, nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, 0, fmt.Errorf("latency %q: want a duration like 50ms or a range like 0-200ms", s)
		}
		return d, d, nil
	}
	maxLatency, err = time.ParseDuration(hi)
	if err != nil {
		return 0, 0, fmt.Errorf("latency %q: bad maximum: %w", s, err)
	}
	minLatency, err = time.ParseDuration(lo)
	if err != nil {
		// "0-200ms": borrow the unit of the maximum.
		unit := strings.TrimLeft(hi, "0123456789.")
		if minLatency, err = time.ParseDuration(lo + unit); err != nil {
			return 0, 0, fmt.Errorf("latency %q: bad minimum: %w", s, err)
		}
	}
	if minLatency < 0 || maxLatency < minLatency {
		return 0, 0, fmt.Errorf("latency %q: want 0 <= min <= max", s)
	}
	return minLatency, maxLatency, nil
}

// SingleUserSeed is DefaultSeed with token as its only way in: the default
// user and project alone, without the built-in read-only and other users
// (and their well-known tokens). packet-mock --token uses it, so a token
// chosen on the command line is never undercut by a published one; more
// users come only from a seed file.
func SingleUserSeed(token string) (*Seed, error) {
	seed := DefaultSeed()
	seed.Users = seed.Users[:1]
	seed.Projects = seed.Projects[:1]
	seed.Projects[0].Members = []string{DefaultUserID}
	return seed, seed.SetDefaultToken(token)
}

// SetDefaultToken replaces the token of the seed's first user.
func (s *Seed) SetDefaultToken(token string) error {
	if len(s.Users) == 0 {
		return errors.New("seed has no user to give the token to")
	}
	if token == "" {
		return errors.New("token must not be empty")
	}
	s.Users[0].Token = token
	return nil
}

// AddDevice adds a device with the default key selection to the seed's first project.
func (s *Seed) AddDevice(hostname string) error {
	if len(s.Projects) == 0 {
		return errors.New("seed has no project to put the device in")
	}
	s.Devices = append(s.Devices, SeedDevice{Hostname: hostname, ProjectID: s.Projects[0].ID})
	return nil
}
