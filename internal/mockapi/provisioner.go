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
	})
	if err != nil {
		return nil, fmt.Errorf("SSH server for device %s: %w", spec.DeviceID, err)
	}
	return srv, nil
}
