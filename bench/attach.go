package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/tcpproxy"
)

// kindAttachment is the attachment scenario: N project keys, each attached
// to the same device, whose SSH connections the bench counts.
const kindAttachment kind = "packet_device_key_attachment"

// projectKeysConfig is what the attachment and fleet scenarios share: the
// provider logging in with the operator key, and N project keys.
func projectKeysConfig(projectID string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    packet = { source = "packethost/packet" }
  }
}

variable "public_keys" { type = list(string) }
variable "operator_key" {
  type      = string
  sensitive = true
}

provider "packet" {
  ssh {
    private_key = var.operator_key
    agent       = false
  }
}

resource "packet_project_ssh_key" "bench" {
  count      = length(var.public_keys)
  project_id = %q
  name       = "bench-${count.index}"
  public_key = var.public_keys[count.index]
}
`, projectID)
}

// attachmentConfig is the root module of the attachment scenario.
func attachmentConfig(projectID, deviceID string) string {
	return projectKeysConfig(projectID) + fmt.Sprintf(`
resource "packet_device_key_attachment" "bench" {
  count      = length(var.public_keys)
  device_id  = %q
  ssh_key_id = packet_project_ssh_key.bench[count.index].id
}
`, deviceID)
}

// countingProxy forwards TCP connections to a machine's SSH server and
// counts them (Take): the connection count of the attachment scenario.
type countingProxy = tcpproxy.Proxy

func newCountingProxy(target string) (*countingProxy, error) {
	return tcpproxy.Start(target, tcpproxy.Options{})
}

// proxiedMachine is a mock machine the API shows at its proxy's address.
type proxiedMachine struct {
	mockapi.Machine
	proxy *countingProxy
}

func (m proxiedMachine) Host() string { return "127.0.0.1" }
func (m proxiedMachine) Port() int    { return m.proxy.Port() }
func (m proxiedMachine) Close() error {
	return errors.Join(m.proxy.Close(), m.Machine.Close())
}

// operatorKey is a fresh ed25519 key: its private half for the provider's
// ssh block, its public line for the device's authorized_keys.
func operatorKey() (privatePEM, publicLine string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "bench operator")
	if err != nil {
		return "", "", err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(block)), string(ssh.MarshalAuthorizedKey(sshPub)), nil
}

// runAttachments applies n keys attached to one device, then runs the
// rounds of no-change plans, counting SSH connections to the device.
func (b *bench) runAttachments(ctx context.Context, n int, keys []string) error {
	var proxy *countingProxy
	srv, err := mockapi.New(mockapi.Options{Provisioner: func(spec mockapi.MachineSpec) (mockapi.Machine, error) {
		m, err := mockapi.SSHProvisioner(spec)
		if err != nil {
			return nil, err
		}
		if proxy, err = newCountingProxy(net.JoinHostPort(m.Host(), strconv.Itoa(m.Port()))); err != nil {
			return nil, errors.Join(err, m.Close())
		}
		return proxiedMachine{Machine: m, proxy: proxy}, nil
	}})
	if err != nil {
		return fmt.Errorf("packet-mock: %w", err)
	}
	mock, err := listen(srv)
	if err != nil {
		return err
	}
	defer mock.Stop()

	devices, private, err := seedOperatorDevices(srv, mock.projectID, "bench-1")
	if err != nil {
		return err
	}
	dir := filepath.Join(b.tmp, fmt.Sprintf("%s-%d", kindAttachment, n))
	ws, err := b.operatorWorkspace(dir, kindAttachment, attachmentConfig(mock.projectID, devices[0]), keys, mock, private)
	if err != nil {
		return err
	}
	if !b.opts.keep {
		defer os.RemoveAll(dir)
	}

	for r := -1; r < b.opts.runs; r++ { // r = -1: the apply
		p := phasePlan
		if r < 0 {
			p = phaseApply
		}
		mock.TakeRequests()
		proxy.Take()
		start := time.Now()
		timing, err := ws.run(ctx, p, b.opts.parallelism)
		if err != nil {
			return fmt.Errorf("%s N=%d %s: %w", kindAttachment, n, p, err)
		}
		s := sample{kind: kindAttachment, n: n, run: max(r, 0), phase: p, timing: timing,
			requests: mock.TakeRequests(), connections: proxy.Take()}
		b.samples = append(b.samples, s)
		fmt.Fprintf(b.log, "bench: [%6s] %-28s N=%-5d run %d %-7s %7s  provider CPU %7s  %d requests  %d SSH connections\n",
			time.Since(b.start).Round(time.Second), kindAttachment, n, s.run+1, p, seconds(time.Since(start)),
			seconds(timing.providerCPU), total(s.requests), s.connections)
	}
	return nil
}

// seedOperatorDevices puts the operator key into the mock's project and
// makes one device per hostname with it; it returns the devices' ids and
// the operator's private key, which the scenarios log in with.
func seedOperatorDevices(srv *mockapi.Server, projectID string, hostnames ...string) (ids []string, private string, err error) {
	private, public, err := operatorKey()
	if err != nil {
		return nil, "", err
	}
	op, err := srv.PutSSHKey(mockapi.SSHKey{Label: "operator", Key: public, ProjectID: projectID})
	if err != nil {
		return nil, "", err
	}
	for _, h := range hostnames {
		d, err := srv.CreateDevice(mockapi.SeedDevice{Hostname: h, ProjectID: projectID, ProjectSSHKeys: []string{op.ID}})
		if err != nil {
			return nil, "", err
		}
		ids = append(ids, d.ID)
	}
	return ids, private, nil
}

// operatorWorkspace is a workspace for config whose provider logs in with
// the operator key (given as a tfvars file, never on a command line).
func (b *bench) operatorWorkspace(dir string, k kind, config string, keys []string, mock *mockAPI, private string) (*workspace, error) {
	ws, err := newWorkspace(dir, b.opts.terraform, b.cliConfig, k, config, keys, mock.Env()...)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "operator.auto.tfvars.json"), fmt.Appendf(nil, "{%q: %q}", "operator_key", private), 0o600); err != nil {
		return nil, err
	}
	return ws, nil
}
