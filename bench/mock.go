package main

import (
	"fmt"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// mockAPI is an in-process packet-mock on a free loopback port. In process,
// so that its latency can be switched between plans of the same state.
type mockAPI struct {
	srv       *mockapi.Server
	apiURL    string // .../metal/v1/
	projectID string
}

func startMock() (*mockAPI, error) {
	srv, err := mockapi.New(mockapi.Options{})
	if err != nil {
		return nil, fmt.Errorf("packet-mock: %w", err)
	}
	return listen(srv)
}

// listen serves srv on a free loopback port.
func listen(srv *mockapi.Server) (*mockAPI, error) {
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		srv.Close()
		return nil, fmt.Errorf("packet-mock: %w", err)
	}
	return &mockAPI{srv: srv, apiURL: srv.URL(), projectID: mockapi.DefaultProjectID}, nil
}

// SetLatency makes every following request wait d (the mock's latency fault).
func (m *mockAPI) SetLatency(d time.Duration) {
	m.srv.SetFaults(mockapi.Faults{LatencyMin: d, LatencyMax: d})
}

// TakeRequests returns the requests counted since the last call and resets
// the counters. Nothing runs between phases, so nothing falls in between.
func (m *mockAPI) TakeRequests() map[string]int {
	n := m.srv.Requests()
	m.srv.ResetRequests()
	return n
}

// Env is what the provider needs to reach the mock.
func (m *mockAPI) Env() []string {
	return []string{"PACKET_AUTH_TOKEN=" + mockapi.DefaultToken, "PACKET_API_URL=" + m.apiURL}
}

func (m *mockAPI) Stop() { m.srv.Close() }
