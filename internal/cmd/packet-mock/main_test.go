package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--listen", "127.0.0.1:0", "--token", "T0", "--device", "web-1", "--quiet"}, &stdout, &stderr)
	}()

	values := map[string][]string{}
	deadline := time.Now().Add(10 * time.Second)
	for len(values["device_id"]) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no summary printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
		values = map[string][]string{}
		sc := bufio.NewScanner(strings.NewReader(stdout.String()))
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), "=")
			values[k] = append(values[k], v)
		}
	}
	api := values["api_url"][0]
	if !strings.HasPrefix(api, "http://127.0.0.1:") || !strings.HasSuffix(api, "/metal/v1/") ||
		values["project_id"][0] != mockapi.DefaultProjectID || values["user_id"][0] != mockapi.DefaultUserID {
		t.Fatalf("summary = %v", values)
	}
	if strings.Contains(stdout.String(), "T0") {
		t.Error("the token was printed")
	}

	req, _ := http.NewRequestWithContext(t.Context(), "GET", api+"devices/"+values["device_id"][0], nil)
	req.Header.Set("X-Auth-Token", "T0")
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var dev struct{ Hostname string }
	err = json.NewDecoder(res.Body).Decode(&dev)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || dev.Hostname != "web-1" {
		t.Fatalf("GET device: %d %v %+v", res.StatusCode, err, dev)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d; stderr %q", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop after cancel")
	}
	if res, err := client.Do(req); err == nil {
		res.Body.Close()
		t.Error("server still answering after shutdown")
	}
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"--help"}, io.Discard, &out); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for _, name := range []string{"-listen", "-token", "-seed", "-state", "-error-rate", "-latency", "-drop-rate", "-device", "-quiet", "-retired", "-seed-from-state"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("--help does not mention %s:\n%s", name, out.String())
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(broken, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--nope"},
		{"--latency", "soon"},
		{"--seed", filepath.Join(dir, "missing.json")},
		{"--seed", broken},
	} {
		var stderr bytes.Buffer
		if code := run(context.Background(), append(args, "--listen", "127.0.0.1:0"), io.Discard, &stderr); code == 0 {
			t.Errorf("%v: exit code 0", args)
		}
		if stderr.Len() == 0 {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestSeedFile(t *testing.T) {
	seed := mockapi.DefaultSeed()
	seed.SSHKeys = nil
	data, _ := json.Marshal(seed)
	path := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := options(path, "", "X", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Seed.Users[0].Token != "X" || len(opts.Seed.Devices) != 2 || len(opts.Seed.Projects) != 2 {
		t.Errorf("options = %+v", opts.Seed)
	}
}

// TestTokenIsTheOnlyWayIn: --token alone replaces every built-in token, so
// the published mock-token, mock-token-read-only and other-token (which can
// read devices' root passwords) no longer get in; more users come only
// from a seed file.
func TestTokenIsTheOnlyWayIn(t *testing.T) {
	opts, err := options("", "", "S3CRET", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := mockapi.NewTestServer(t, opts)
	client := &http.Client{Timeout: 5 * time.Second}
	status := func(token string) int {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL()+"projects/"+mockapi.DefaultProjectID, nil)
		req.Header.Set("X-Auth-Token", token)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := status("S3CRET"); got != 200 {
		t.Fatalf("--token S3CRET: status %d, want 200", got)
	}
	for _, builtIn := range []string{mockapi.DefaultToken, mockapi.ReadOnlyToken, mockapi.OtherToken} {
		if got := status(builtIn); got != 401 {
			t.Errorf("built-in token %q with --token set: status %d, want 401", builtIn, got)
		}
	}
	for _, line := range srv.Summary() {
		if strings.HasPrefix(line, "read_only_user_id=") || strings.HasPrefix(line, "other_") {
			t.Errorf("--token alone still seeds another user or project: %s", line)
		}
	}
}

// TestSummaryLabelsEachUser: with the built-in seed the three users and two
// projects each have a line whose key says which one it is.
func TestSummaryLabelsEachUser(t *testing.T) {
	opts, err := options("", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := mockapi.NewTestServer(t, opts)
	want := []string{
		"user_id=" + mockapi.DefaultUserID,
		"read_only_user_id=" + mockapi.ReadOnlyUserID,
		"other_user_id=" + mockapi.OtherUserID,
		"project_id=" + mockapi.DefaultProjectID,
		"other_project_id=" + mockapi.OtherProjectID,
	}
	got := strings.Join(srv.Summary(), "\n")
	for _, line := range want {
		if !strings.Contains(got+"\n", line+"\n") {
			t.Errorf("summary lacks %q:\n%s", line, got)
		}
	}
}

// TestReferencePageDocumentsEveryFlag: the packet-mock reference page (the
// one place its flags, tokens and extensions are documented for users)
// names every flag the binary has.
func TestReferencePageDocumentsEveryFlag(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "..", "..", "templates", "guides", "packet-mock.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var help bytes.Buffer
	run(context.Background(), []string{"--help"}, io.Discard, &help)
	flags := 0
	for _, line := range strings.Split(help.String(), "\n") {
		name, ok := strings.CutPrefix(strings.TrimSpace(line), "-")
		if !ok || strings.HasPrefix(line, "    ") {
			continue
		}
		name, _, _ = strings.Cut(name, " ")
		flags++
		if !strings.Contains(string(page), "`--"+name) {
			t.Errorf("the reference page does not document --%s", name)
		}
	}
	if flags < 9 {
		t.Errorf("found %d flags in --help, want at least 9:\n%s", flags, help.String())
	}
	for _, token := range []string{mockapi.DefaultToken, mockapi.ReadOnlyToken, mockapi.OtherToken, "X-Request-Id", "ssh_host_key", "ssh_port", mockapi.AdminPrefix} {
		if !strings.Contains(string(page), token) {
			t.Errorf("the reference page does not mention %s", token)
		}
	}
}
