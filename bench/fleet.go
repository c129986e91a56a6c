package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// kindFleet is the fleet scenario of issue 24: K project keys, each attached
// to every one of D devices, SSH connections counted at the devices.
const kindFleet kind = "packet_device_key_attachment fleet"

// fleetShape is D devices × K keys: D×K attachments.
type fleetShape struct{ devices, keys int }

// defaultFleet is the shape issue 24 measured; defaultFleets are the
// shapes make bench runs: that one and 100 × 10 (N = 1,000, the targets' N).
var (
	defaultFleet  = fleetShape{devices: 20, keys: 25}
	defaultFleets = []fleetShape{defaultFleet, {devices: 100, keys: 10}}
)

func (f fleetShape) attachments() int { return f.devices * f.keys }

func (f fleetShape) String() string { return fmt.Sprintf("%dx%d", f.devices, f.keys) }

// parseFleets reads "20x25,100x10"; "0" is no fleet.
func parseFleets(s string) ([]fleetShape, error) {
	s = strings.TrimSpace(s)
	if s == "0" || s == "" {
		return nil, nil
	}
	var out []fleetShape
	for f := range strings.SplitSeq(s, ",") {
		shape, err := parseFleet(f)
		if err != nil {
			return nil, err
		}
		out = append(out, shape)
	}
	return out, nil
}

// parseFleet reads "20x25".
func parseFleet(s string) (fleetShape, error) {
	d, k, ok := strings.Cut(strings.TrimSpace(s), "x")
	devices, errD := strconv.Atoi(d)
	keys, errK := strconv.Atoi(k)
	if !ok || errD != nil || errK != nil || devices < 1 || keys < 1 {
		return fleetShape{}, fmt.Errorf("%q is not DEVICESxKEYS (such as 20x25) or 0", s)
	}
	return fleetShape{devices: devices, keys: keys}, nil
}

// fleetOf is the shape of the fleet with n attachments, from shapes.
func fleetOf(shapes []fleetShape, n int) (fleetShape, bool) {
	for _, f := range shapes {
		if f.attachments() == n {
			return f, true
		}
	}
	return fleetShape{}, false
}

// fleetConfig is the root module of the fleet scenario: the "all of them"
// recipe, packet_devices and for_each over every device and key.
func fleetConfig(projectID string) string {
	return projectKeysConfig(projectID) + fmt.Sprintf(`
data "packet_devices" "fleet" {
  project_id = %[1]q
}

resource "packet_device_key_attachment" "bench" {
  for_each = {
    for pair in setproduct(data.packet_devices.fleet.ids, range(length(var.public_keys))) :
    "${pair[0]}/${pair[1]}" => pair
  }
  device_id  = each.value[0]
  ssh_key_id = packet_project_ssh_key.bench[each.value[1]].id
}
`, projectID)
}

// fleetProxies are the counting proxies of the fleet's machines.
type fleetProxies struct {
	mu      sync.Mutex
	proxies []*countingProxy
}

// provision starts a machine with a real SSH server behind its own proxy.
func (f *fleetProxies) provision(spec mockapi.MachineSpec) (mockapi.Machine, error) {
	m, err := mockapi.SSHProvisioner(spec)
	if err != nil {
		return nil, err
	}
	proxy, err := newCountingProxy(net.JoinHostPort(m.Host(), strconv.Itoa(m.Port())))
	if err != nil {
		return nil, errors.Join(err, m.Close())
	}
	f.mu.Lock()
	f.proxies = append(f.proxies, proxy)
	f.mu.Unlock()
	return proxiedMachine{Machine: m, proxy: proxy}, nil
}

// Take returns the connections to all machines since the last call.
func (f *fleetProxies) Take() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.proxies {
		n += p.Take()
	}
	return n
}

// runFleet applies the fleet at 0 ms, runs the rounds of no-change plans at
// every latency, then, for every other latency, destroys at 0 ms and applies
// from empty again at that latency.
func (b *bench) runFleet(ctx context.Context, shape fleetShape, keys []string) error {
	proxies := &fleetProxies{}
	srv, err := mockapi.New(mockapi.Options{Provisioner: proxies.provision})
	if err != nil {
		return fmt.Errorf("packet-mock: %w", err)
	}
	mock, err := listen(srv)
	if err != nil {
		return err
	}
	defer mock.Stop()

	hostnames := make([]string, shape.devices)
	for i := range hostnames {
		hostnames[i] = fmt.Sprintf("fleet-%03d", i)
	}
	_, private, err := seedOperatorDevices(srv, mock.projectID, hostnames...)
	if err != nil {
		return err
	}
	dir := filepath.Join(b.tmp, fmt.Sprintf("fleet-%s", shape))
	ws, err := b.operatorWorkspace(dir, kindFleet, fleetConfig(mock.projectID), keys, mock, private)
	if err != nil {
		return err
	}
	if !b.opts.keep {
		defer os.RemoveAll(dir)
	}

	phase := func(p phase, latency time.Duration, run int) error {
		mock.SetLatency(latency)
		mock.TakeRequests()
		proxies.Take()
		timing, err := ws.run(ctx, p, b.opts.parallelism)
		if err != nil {
			return fmt.Errorf("fleet %s%s %s: %w", shape, latencyLabel(latency), p, err)
		}
		s := sample{kind: kindFleet, n: shape.attachments(), latency: latency, run: run, phase: p, timing: timing,
			requests: mock.TakeRequests(), connections: proxies.Take()}
		b.samples = append(b.samples, s)
		fmt.Fprintf(b.log, "bench: [%6s] fleet %-22s%-6s run %d %-7s %7s  provider CPU %7s  %d requests  %d SSH connections\n",
			time.Since(b.start).Round(time.Second), shape.String()+" devices×keys", latencyLabel(latency), run+1, p,
			seconds(timing.wall), seconds(timing.providerCPU), total(s.requests), s.connections)
		return nil
	}
	if err := phase(phaseApply, 0, 0); err != nil {
		return err
	}
	for r := range b.opts.runs {
		for _, l := range b.opts.latencies {
			if err := phase(phasePlan, l, r); err != nil {
				return err
			}
		}
	}
	for _, l := range b.opts.latencies {
		if l == 0 {
			continue
		}
		if err := phase(phaseDestroy, 0, 0); err != nil {
			return err
		}
		if err := phase(phaseApply, l, 0); err != nil {
			return err
		}
	}
	return nil
}

// fleetsFlag is shapes as -fleet reads them.
func fleetsFlag(shapes []fleetShape) string {
	s := make([]string, len(shapes))
	for i, f := range shapes {
		s[i] = f.String()
	}
	return strings.Join(s, ",")
}
