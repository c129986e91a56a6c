package main

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

// started is a packet-mock run in the background, stopped by t.Cleanup.
type started struct {
	values map[string][]string // the key=value lines it printed
	stderr *testutil.SyncBuffer
}

// startRun runs packet-mock with args (plus a free port and --quiet) until it
// has printed its api_url= line.
func startRun(t *testing.T, args ...string) started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr testutil.SyncBuffer
	code, done := 0, make(chan struct{})
	go func() {
		code = run(ctx, append(args, "--listen", "127.0.0.1:0", "--quiet"), &stdout, &stderr)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("run did not stop after cancel")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		values := map[string][]string{}
		sc := bufio.NewScanner(strings.NewReader(stdout.String()))
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), "=")
			values[k] = append(values[k], v)
		}
		if len(values["api_url"]) > 0 {
			return started{values: values, stderr: &stderr}
		}
		select {
		case <-done:
			t.Fatalf("packet-mock exited with %d; stderr %q", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no summary printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// get sends GET api_url+path with token and returns the status.
func (s started) get(t *testing.T, path, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.values["api_url"][0]+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", token)
	res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
