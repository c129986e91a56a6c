package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// mockProcess is a packet-mock the bench started on a free loopback port.
type mockProcess struct {
	cmd       *exec.Cmd
	apiURL    string // .../metal/v1/
	adminURL  string // .../_mock
	projectID string
	token     string
	stderr    *bytes.Buffer
	http      *http.Client
}

// startMock runs bin/packet-mock with the given per-request latency and
// waits for its summary lines (api_url=, project_id=).
func startMock(ctx context.Context, binary string, latency time.Duration) (*mockProcess, error) {
	args := []string{"--listen", "127.0.0.1:0", "--quiet", "--token", mockapi.DefaultToken}
	if latency > 0 {
		args = append(args, "--latency", latency.String())
	}
	cmd := exec.CommandContext(ctx, binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	m := &mockProcess{cmd: cmd, token: mockapi.DefaultToken, stderr: &bytes.Buffer{},
		http: &http.Client{Timeout: 10 * time.Second}}
	cmd.Stderr = m.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}

	summary := bufio.NewScanner(stdout)
	for summary.Scan() {
		key, value, _ := strings.Cut(summary.Text(), "=")
		switch {
		case key == "api_url":
			m.apiURL = value
		case key == "project_id" && m.projectID == "":
			m.projectID = value // the first project is the token user's own
		}
		if m.apiURL != "" && m.projectID != "" {
			break
		}
	}
	if m.apiURL == "" || m.projectID == "" {
		m.Stop()
		return nil, fmt.Errorf("packet-mock printed no api_url and project_id lines; stderr: %s", m.stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }() // later lines, if any
	m.adminURL = strings.TrimSuffix(strings.TrimSuffix(m.apiURL, "/"), mockapi.APIPrefix) + mockapi.AdminPrefix
	return m, nil
}

// TakeRequests returns the requests counted since the last call and resets
// the mock's counters in the same step.
func (m *mockProcess) TakeRequests(ctx context.Context) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.adminURL+"/requests/reset", http.NoBody)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Auth-Token", m.token)
	res, err := m.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the mock's request counters: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the mock's request counters: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s/requests/reset: %s: %s (is packet-mock built with its admin endpoints?)",
			mockapi.AdminPrefix, res.Status, bytes.TrimSpace(body))
	}
	var counts mockapi.RequestCounts
	if err := json.Unmarshal(body, &counts); err != nil {
		return nil, fmt.Errorf("decoding the mock's request counters: %w", err)
	}
	return counts.Requests, nil
}

// Stop asks the mock to shut down and kills it if it does not within 5 s.
func (m *mockProcess) Stop() {
	if m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(os.Interrupt)
	exited := make(chan error, 1)
	go func() { exited <- m.cmd.Wait() }()
	select {
	case err := <-exited:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			fmt.Fprintf(os.Stderr, "bench: packet-mock: %v\n", err)
		}
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		if err := <-exited; err != nil {
			fmt.Fprintf(os.Stderr, "bench: packet-mock killed after 5 s: %v\n", err)
		}
	}
}
