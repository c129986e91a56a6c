package mockapi

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"golang.org/x/crypto/ssh"

	"github.com/packethost/terraform-provider-packet/internal/mockapi/sshserver"
)

// SSHProvisioner gives each device a real SSH/SFTP server on loopback that
// accepts the root password and the keys in its authorized_keys. The host
// key is derived from the device id, so it stays the same when the mock is
// restarted from a state file and known_hosts entries keep working.
func SSHProvisioner(spec MachineSpec) (Machine, error) {
	seed := sha256.Sum256([]byte("packet-mock host key\x00" + spec.DeviceID))
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed[:]))
	if err != nil {
		return nil, fmt.Errorf("host key for device %s: %w", spec.DeviceID, err)
	}
	srv, err := sshserver.Start(sshserver.Config{
		HostKey:        signer,
		RootPassword:   spec.RootPassword,
		AuthorizedKeys: spec.AuthorizedKeys,
		Clock:          spec.Clock,
	})
	if err != nil {
		return nil, fmt.Errorf("SSH server for device %s: %w", spec.DeviceID, err)
	}
	return srv, nil
}

// SSHProvisionerConfig tunes SSHProvisioner.
type SSHProvisionerConfig struct {
	// NoHostKeyExtension leaves the mock-only ssh_host_key out of the device
	// JSON, so a device reads as the real API shows it (the spec has no host
	// key field) plus the ssh_port the simulated machine needs.
	NoHostKeyExtension bool
}

// Provisioner is SSHProvisioner with this configuration.
func (c SSHProvisionerConfig) Provisioner() Provisioner {
	return func(spec MachineSpec) (Machine, error) {
		m, err := SSHProvisioner(spec)
		if err != nil || !c.NoHostKeyExtension {
			return m, err
		}
		return unadvertisedHostKey{m}, nil
	}
}

// unadvertisedHostKey is a machine whose host key the API view leaves out.
type unadvertisedHostKey struct{ Machine }

func (unadvertisedHostKey) advertisesHostKey() bool { return false }

// advertisesHostKey: whether the device JSON shows the machine's host key.
func advertisesHostKey(m Machine) bool {
	a, ok := m.(interface{ advertisesHostKey() bool })
	return !ok || a.advertisesHostKey()
}
