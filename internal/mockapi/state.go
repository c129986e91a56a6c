package mockapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// The state file holds the whole store (tokens and root passwords included,
// so it is written 0600). Machines are not state: they are provisioned again
// from each device's key snapshot when the file is loaded.

func (s *Server) loadState() (bool, error) {
	if s.opts.StatePath == "" {
		return false, nil
	}
	data, err := os.ReadFile(s.opts.StatePath)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading state: %w", err)
	}
	st := newStore()
	if err := json.Unmarshal(data, st); err != nil {
		return false, fmt.Errorf("parsing state %s: %w", s.opts.StatePath, err)
	}
	st.reindex()
	s.mu.Lock()
	s.data = st
	devices := append([]*deviceRecord(nil), st.Devices...)
	s.mu.Unlock()
	for _, d := range devices {
		m, err := s.provision(d)
		if err != nil {
			s.closeMachines()
			return false, err
		}
		if m != nil {
			s.mu.Lock()
			s.machines[d.ID] = m
			s.mu.Unlock()
		}
	}
	return true, nil
}

// persistLocked writes the store atomically (temp file + rename) when a
// state path is set. Caller holds s.mu, so writes never interleave.
func (s *Server) persistLocked() error {
	if s.opts.StatePath == "" {
		return nil
	}
	data, err := json.MarshalIndent(s.data, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	dir := filepath.Dir(s.opts.StatePath)
	tmp, err := os.CreateTemp(dir, ".packet-mock-state-*")
	if err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.opts.StatePath); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}

// logPersistError reports a failed save where there is no request to fail.
func (s *Server) logPersistError(err error) {
	if err != nil && s.opts.Logger != nil {
		s.opts.Logger.Printf("mockapi: %v", err)
	}
}
