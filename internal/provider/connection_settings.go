package provider

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/packethost/terraform-provider-packet/internal/machine"
)

// Connection settings come from four places: the resource's `ssh`
// attribute, the provider's `ssh` block, the environment (SSH_AUTH_SOCK,
// read once with the provider's block) and the API (the device's address,
// and its root password for the first 24 hours). resolveConnection is the
// one place that decides between them and applies every default, into one
// complete machine.Endpoint; it does no I/O, so every rule has a table test.

const (
	defaultSSHUser            = "root"
	defaultSSHPort            = 22
	defaultAuthorizedKeysPath = ".ssh/authorized_keys"
	sshDialTimeout            = machine.DialTimeout
)

// Attribute paths the resolution and its errors speak of.
var (
	pathSSH               = path.Root("ssh")
	pathSSHHost           = pathSSH.AtName("host")
	pathSSHHostKey        = pathSSH.AtName("host_key")
	pathSSHKnownHostsFile = pathSSH.AtName("known_hosts_file")
	pathSSHInsecure       = pathSSH.AtName("insecure_ignore_host_key")
	pathSSHPrivateKeyFile = pathSSH.AtName("private_key_file")
	pathSSHPrivateKeyWO   = pathSSH.AtName("private_key_wo")
	pathSSHRootPassword   = pathSSH.AtName("use_root_password")
	pathSSHAuthorizedKeys = pathSSH.AtName("authorized_keys_path")
	pathSSHJump           = pathSSH.AtName("jump")
	pathPinnedHostKey     = path.Root("pinned_host_key")
	labelProviderKey      = "the provider's ssh.private_key"
	labelWriteOnlyKey     = "ssh.private_key_wo"
)

// connectionSettings is the resource's `ssh` attribute as plain Go.
type connectionSettings struct {
	Host               string
	Port               int // 0: not set
	User               string
	PrivateKeyFile     string
	Agent              *bool
	UseRootPassword    bool
	HostKey            string
	KnownHostsFile     string
	InsecureIgnore     bool
	AuthorizedKeysPath string
	Jump               *jumpSettings // nil: the provider's, if any
	Unknown            bool          // some value is not known yet (plan time)
}

// deviceFacts is what the API says about the device.
type deviceFacts struct {
	ID, Hostname string
	PublicIPv4   string
	SSHPort      int    // packet-mock extension; 0 on the real API
	RootPassword string // empty once the API stops showing it
}

// connectionInputs is everything the resolution looks at.
type connectionInputs struct {
	Resource     connectionSettings
	Provider     sshDefaults
	WriteOnlyKey string // ssh.private_key_wo, only in the configuration of create and update
	Device       deviceFacts
	Pinned       string // pinned_host_key from state
	// NeedLogin: the operation must log in (create, update, delete); a
	// refresh without credentials just skips the on-machine check.
	NeedLogin bool
	// FileExists reports whether a local file can be read; nil skips the check.
	FileExists func(string) error
	// KnownPin is the host key another caller in this process pinned for
	// an address (machine.Pins.For); nil knows none.
	KnownPin func(addr string) string
	// Reading: plan, refresh, import or query. They never send a password
	// to a host whose key is neither given nor pinned.
	Reading bool
}

// resolvedConnection is where and how to connect, and which attribute
// decided the host key check (for error messages).
type resolvedConnection struct {
	machine.Endpoint
	HostKeyPath path.Path // attribute to blame for a host key error
	KeyFilePath path.Path // attribute the private key file came from
	// PasswordWithheld: the root password was left out because the host's
	// key is not known yet (Reading); Creds may now hold nothing.
	PasswordWithheld bool
}

// unverified: nothing says which host key to expect, so the first one seen
// is trusted.
func (c resolvedConnection) unverified() bool {
	h := c.HostKey
	return h.HostKey == "" && h.KnownHostsFile == "" && !h.InsecureIgnore && h.Pinned == ""
}

// resolveConnection decides the connection. Diagnostics name the
// attribute to change.
func resolveConnection(in connectionInputs) (resolvedConnection, diag.Diagnostics) {
	var diags diag.Diagnostics
	r, d := in.Resource, in.Device
	out := resolvedConnection{}
	out.Endpoint = machine.Endpoint{
		Target: machine.Target{
			Host:               firstNonEmpty(r.Host, d.PublicIPv4),
			Port:               defaultSSHPort,
			User:               firstNonEmpty(r.User, in.Provider.User, defaultSSHUser),
			AuthorizedKeysPath: firstNonEmpty(r.AuthorizedKeysPath, defaultAuthorizedKeysPath),
			Timeout:            sshDialTimeout,
		},
	}
	switch {
	case r.Port != 0:
		out.Target.Port = r.Port
	case d.SSHPort != 0 && r.Host == "":
		out.Target.Port = d.SSHPort
	}
	if out.Target.Host == "" && !r.Unknown {
		diags.AddAttributeError(pathSSHHost, "No address for the device",
			fmt.Sprintf("Device %s (%s) has no public IPv4 address: set ssh.host.", d.ID, d.Hostname))
	}
	// The agent goes wherever it is allowed: to the target and the jump host.
	useAgent := in.Provider.AuthSock != ""
	if in.Provider.Agent != nil {
		useAgent = *in.Provider.Agent
	}
	if r.Agent != nil {
		useAgent = *r.Agent
	}
	// Before the host key: the pin is per address, and the jump host is part of it.
	out.Jump = resolveJump(in, useAgent, &diags)

	// Host key: explicit settings are strict and win; insecure turns the
	// check off; otherwise the key pinned at first use must match, and with
	// nothing pinned yet the first key seen is pinned.
	switch {
	case r.HostKey != "":
		out.HostKey.HostKey, out.HostKeyPath = r.HostKey, pathSSHHostKey
	case r.KnownHostsFile != "":
		out.HostKey.KnownHostsFile, out.HostKeyPath = r.KnownHostsFile, pathSSHKnownHostsFile
	case r.InsecureIgnore:
		out.HostKey.InsecureIgnore, out.HostKeyPath = true, pathSSHInsecure
		diags.AddAttributeWarning(pathSSHInsecure, "Host key check is off",
			"ssh.insecure_ignore_host_key is true: the device's identity is not checked at all, so anyone between "+
				"Terraform and the device could take over the session. Remove it to pin the host key on first use, "+
				"or set ssh.host_key or ssh.known_hosts_file.")
	case in.Provider.KnownHostsFile != "":
		out.HostKey.KnownHostsFile, out.HostKeyPath = in.Provider.KnownHostsFile, pathSSHKnownHostsFile
	default:
		out.HostKey.Pinned, out.HostKeyPath = in.Pinned, pathPinnedHostKey
		if out.HostKey.Pinned == "" && in.KnownPin != nil {
			// One address, one pin: what another attachment pinned is checked here too.
			out.HostKey.Pinned = in.KnownPin(out.Addr())
		}
	}

	// Credentials, in the order they are offered.
	c := &out.Auth
	if in.Provider.PrivateKey != "" {
		c.Keys = append(c.Keys, machine.PrivateKey{Label: labelProviderKey, PEM: []byte(in.Provider.PrivateKey)})
	}
	if in.WriteOnlyKey != "" {
		c.Keys = append(c.Keys, machine.PrivateKey{Label: labelWriteOnlyKey, PEM: []byte(in.WriteOnlyKey)})
	}
	c.UseAgent, c.AgentSocket = useAgent, in.Provider.AuthSock
	c.KeyFile, out.KeyFilePath = r.PrivateKeyFile, pathSSHPrivateKeyFile
	if c.KeyFile == "" {
		c.KeyFile = in.Provider.PrivateKeyFile
	}
	if c.KeyFile != "" && in.FileExists != nil {
		if err := in.FileExists(c.KeyFile); err != nil {
			from := "ssh.private_key_file"
			if r.PrivateKeyFile == "" {
				from = "the provider's ssh.private_key_file"
			}
			diags.AddAttributeError(pathSSHPrivateKeyFile, "Private key file not found",
				fmt.Sprintf("%s is %q, which cannot be read: %s. Fix the path (\"~\" is expanded), or remove it to log in another way.",
					from, c.KeyFile, describeFileError(err)))
		}
	}
	if r.UseRootPassword {
		if d.RootPassword == "" {
			if in.NeedLogin {
				diags.AddAttributeError(pathSSHRootPassword, "Root password not available",
					fmt.Sprintf("The API no longer shows the root password of device %s (%s): it does so only for 24 hours "+
						"after provisioning. Log in with a key instead (ssh.private_key_file, ssh.private_key_wo, the "+
						"ssh-agent, or the provider's ssh block).", d.ID, d.Hostname))
			}
		} else {
			c.Password = d.RootPassword
		}
	}
	if c.Password != "" && in.Reading && out.unverified() {
		// A password goes only to a host whose key is given or pinned: a
		// plan, refresh, import or query never pins, so it never sends one.
		c.Password, out.PasswordWithheld = "", true
	}
	if in.NeedLogin && !c.Any() && !out.PasswordWithheld && !diags.HasError() && !r.Unknown {
		diags.AddAttributeError(pathSSH, "No SSH credentials",
			"Nothing to log in to the device with: set private_key or private_key_file in the provider's ssh block, "+
				"this resource's ssh.private_key_file or ssh.private_key_wo, run an ssh-agent (SSH_AUTH_SOCK), or set "+
				"ssh.use_root_password within 24 hours of provisioning.")
	}
	return out, diags
}

// resolveJump decides the jump host: the resource's `ssh.jump`, else the
// provider's. Its host key must be known (never trusted on first use), and
// it gets only its own key file and the agent, never the target's credentials.
func resolveJump(in connectionInputs, useAgent bool, diags *diag.Diagnostics) *machine.Hop {
	j, from := in.Resource.Jump, "ssh.jump"
	if j == nil {
		j, from = in.Provider.Jump, "the provider's ssh.jump"
	}
	if j == nil {
		return nil
	}
	hop := &machine.Hop{
		Host: j.Host,
		Port: cmp.Or(j.Port, defaultSSHPort),
		User: cmp.Or(j.User, defaultSSHUser),
		Auth: machine.Credentials{KeyFile: j.PrivateKeyFile, UseAgent: useAgent, AgentSocket: in.Provider.AuthSock},
	}
	switch {
	case j.HostKey != "":
		hop.HostKey.HostKey = j.HostKey
	case j.KnownHostsFile != "":
		hop.HostKey.KnownHostsFile = j.KnownHostsFile
	case in.Provider.KnownHostsFile != "":
		hop.HostKey.KnownHostsFile = in.Provider.KnownHostsFile
	case !in.Resource.Unknown:
		diags.AddAttributeError(pathSSHJump, "Jump host key not known",
			fmt.Sprintf("%s has no host_key or known_hosts_file (and the provider's ssh block no known_hosts_file): "+
				"a jump host is never trusted on first use. Give its key (ssh-keyscan, or its console) as host_key.", from))
	}
	if j.PrivateKeyFile != "" && in.FileExists != nil {
		if err := in.FileExists(j.PrivateKeyFile); err != nil {
			diags.AddAttributeError(pathSSHJump.AtName("private_key_file"), "Private key file not found",
				fmt.Sprintf("%s.private_key_file is %q, which cannot be read: %s.", from, j.PrivateKeyFile, describeFileError(err)))
		}
	}
	if in.NeedLogin && !hop.Auth.Any() && !in.Resource.Unknown {
		diags.AddAttributeError(pathSSHJump, "No SSH credentials for the jump host",
			fmt.Sprintf("Nothing to log in to the jump host with: set %s.private_key_file or run an ssh-agent "+
				"(SSH_AUTH_SOCK). The target's credentials are never offered to the jump host.", from))
	}
	return hop
}

func describeFileError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file"
	}
	return err.Error()
}
