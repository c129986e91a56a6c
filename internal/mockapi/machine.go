package mockapi

import "time"

// Machine is a simulated device's operating system as far as SSH access goes.
// The mock only needs to start it, show its address and host key, and stop it;
// the SSH/SFTP server behind it lives elsewhere (see Provisioner).
type Machine interface {
	Host() string
	Port() int
	// HostKey is the OpenSSH public line of the machine's SSH host key.
	HostKey() string
	// AuthorizedKeys returns root's ~/.ssh/authorized_keys as it is now.
	AuthorizedKeys() ([]byte, error)
	// SetAuthorizedKeys overwrites root's authorized_keys (for drift tests).
	SetAuthorizedKeys([]byte) error
	Close() error
}

// MachineSpec is what a Provisioner gets to build a machine: the keys are the
// snapshot taken at device creation, one OpenSSH line each, as cloud-init would
// write them.
type MachineSpec struct {
	DeviceID       string
	Hostname       string
	RootPassword   string
	AuthorizedKeys []byte
	Clock          func() time.Time // the mock's clock, for time-bound authorized_keys options
}

// Provisioner starts a machine for a new device. A nil Provisioner means
// devices have no machine (and no ssh_host_key/ssh_port in their JSON).
type Provisioner func(MachineSpec) (Machine, error)
