package provider

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/machine"
	"github.com/packethost/terraform-provider-packet/internal/metal"
)

func TestResolveConnection(t *testing.T) {
	yes, no := true, false
	device := deviceFacts{ID: "d1", Hostname: "web-1", PublicIPv4: "203.0.113.7", RootPassword: "pw"}
	missing := func(string) error { return &fs.PathError{Op: "open", Path: "x", Err: fs.ErrNotExist} }
	present := func(string) error { return nil }
	cases := []struct {
		name  string
		in    connectionInputs
		check func(t *testing.T, got resolvedConnection)
		// errAt / warnAt: the attribute a diagnostic must name ("" = none expected)
		errAt, warnAt path.Path
		errText       string
	}{
		{
			name: "defaults: device address, port 22, root, trust on first use",
			in:   connectionInputs{Device: device, Provider: sshDefaults{PrivateKey: "K"}, NeedLogin: true},
			check: func(t *testing.T, got resolvedConnection) {
				want := machine.Target{Host: "203.0.113.7", Port: 22, User: "root", AuthorizedKeysPath: ".ssh/authorized_keys", Timeout: sshDialTimeout}
				if got.Target != want {
					t.Errorf("target = %+v, want %+v", got.Target, want)
				}
				if got.HostKey != (machine.HostKeyPolicy{}) || !got.HostKeyPath.Equal(pathPinnedHostKey) {
					t.Errorf("host key = %+v from %s, want trust on first use", got.HostKey, got.HostKeyPath)
				}
			},
		},
		{
			name: "resource settings win over the provider's and the API's",
			in: connectionInputs{
				Device:   deviceFacts{PublicIPv4: "203.0.113.7", SSHPort: 2201},
				Provider: sshDefaults{User: "ops", PrivateKeyFile: "/p", KnownHostsFile: "/p_kh"},
				Resource: connectionSettings{Host: "10.0.0.5", Port: 2222, User: "deploy", PrivateKeyFile: "/r", AuthorizedKeysPath: "/etc/keys"},
			},
			check: func(t *testing.T, got resolvedConnection) {
				if got.Target.Host != "10.0.0.5" || got.Target.Port != 2222 || got.Target.User != "deploy" || got.Target.AuthorizedKeysPath != "/etc/keys" {
					t.Errorf("target = %+v", got.Target)
				}
				if got.Auth.KeyFile != "/r" || got.HostKey.KnownHostsFile != "/p_kh" {
					t.Errorf("creds %+v, host key %+v", got.Auth, got.HostKey)
				}
			},
		},
		{
			name: "the mock's port is used only with the API's address",
			in:   connectionInputs{Device: deviceFacts{PublicIPv4: "127.0.0.1", SSHPort: 2201}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.Target.Port != 2201 {
					t.Errorf("port = %d", got.Target.Port)
				}
			},
		},
		{
			name: "explicit host key wins over known_hosts, insecure and the pin",
			in: connectionInputs{Device: device, Pinned: "ssh-ed25519 PIN",
				Resource: connectionSettings{HostKey: "ssh-ed25519 HK", KnownHostsFile: "/kh"}, Provider: sshDefaults{KnownHostsFile: "/pkh"}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.HostKey != (machine.HostKeyPolicy{HostKey: "ssh-ed25519 HK"}) || !got.HostKeyPath.Equal(pathSSHHostKey) {
					t.Errorf("host key = %+v from %s", got.HostKey, got.HostKeyPath)
				}
			},
		},
		{
			name: "resource known_hosts_file wins over the pin",
			in:   connectionInputs{Device: device, Pinned: "ssh-ed25519 PIN", Resource: connectionSettings{KnownHostsFile: "/kh"}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.HostKey != (machine.HostKeyPolicy{KnownHostsFile: "/kh"}) || !got.HostKeyPath.Equal(pathSSHKnownHostsFile) {
					t.Errorf("host key = %+v", got.HostKey)
				}
			},
		},
		{
			name: "insecure turns everything off, the pin and the provider's known_hosts too, and warns",
			in: connectionInputs{Device: device, Pinned: "ssh-ed25519 PIN", Provider: sshDefaults{KnownHostsFile: "/pkh"},
				Resource: connectionSettings{InsecureIgnore: true}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.HostKey != (machine.HostKeyPolicy{InsecureIgnore: true}) {
					t.Errorf("host key = %+v", got.HostKey)
				}
			},
			warnAt: pathSSHInsecure,
		},
		{
			name: "a pinned key is checked when nothing explicit is set",
			in:   connectionInputs{Device: device, Pinned: "ssh-ed25519 PIN"},
			check: func(t *testing.T, got resolvedConnection) {
				if got.HostKey != (machine.HostKeyPolicy{Pinned: "ssh-ed25519 PIN"}) {
					t.Errorf("host key = %+v", got.HostKey)
				}
			},
		},
		{
			name: "credentials in order: provider key, write-only key, agent, file, password",
			in: connectionInputs{Device: device, WriteOnlyKey: "WO", NeedLogin: true,
				Provider: sshDefaults{PrivateKey: "PK", PrivateKeyFile: "/pf", AuthSock: "/tmp/agent"}, Resource: connectionSettings{UseRootPassword: true}},
			check: func(t *testing.T, got resolvedConnection) {
				c := got.Auth
				if len(c.Keys) != 2 || string(c.Keys[0].PEM) != "PK" || string(c.Keys[1].PEM) != "WO" || c.Keys[1].Label != "ssh.private_key_wo" {
					t.Errorf("keys = %+v", c.Keys)
				}
				if !c.UseAgent || c.AgentSocket != "/tmp/agent" || c.KeyFile != "/pf" || c.Password != "pw" {
					t.Errorf("creds = %+v", c)
				}
			},
		},
		{
			name: "agent: resource over provider over SSH_AUTH_SOCK",
			in:   connectionInputs{Device: device, Provider: sshDefaults{Agent: &yes, AuthSock: "/tmp/agent"}, Resource: connectionSettings{Agent: &no}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.Auth.UseAgent {
					t.Error("agent used although the resource turned it off")
				}
			},
		},
		{
			name:    "no credential at all is an error when a login is needed",
			in:      connectionInputs{Device: device, NeedLogin: true, Provider: sshDefaults{Agent: &no}},
			errAt:   pathSSH,
			errText: "Nothing to log in to the device with",
		},
		{
			name: "no credential at refresh is no error (the check is skipped)",
			in:   connectionInputs{Device: device},
		},
		{
			name:    "a key file that is not there",
			in:      connectionInputs{Device: device, Resource: connectionSettings{PrivateKeyFile: "~/.ssh/nope"}, FileExists: missing},
			errAt:   pathSSHPrivateKeyFile,
			errText: `ssh.private_key_file is "~/.ssh/nope", which cannot be read: no such file`,
		},
		{
			name:    "the provider's key file that is not there says so",
			in:      connectionInputs{Device: device, Provider: sshDefaults{PrivateKeyFile: "/gone"}, FileExists: missing},
			errAt:   pathSSHPrivateKeyFile,
			errText: "the provider's ssh.private_key_file",
		},
		{
			name: "a key file that is there",
			in:   connectionInputs{Device: device, Resource: connectionSettings{PrivateKeyFile: "/id"}, FileExists: present, NeedLogin: true},
		},
		{
			name:    "root password asked for after 24 hours",
			in:      connectionInputs{Device: deviceFacts{ID: "d1", PublicIPv4: "1.2.3.4"}, Resource: connectionSettings{UseRootPassword: true}, NeedLogin: true},
			errAt:   pathSSHRootPassword,
			errText: "only for 24 hours after provisioning",
		},
		{
			name:    "no address",
			in:      connectionInputs{Device: deviceFacts{ID: "d1"}, Provider: sshDefaults{PrivateKey: "K"}},
			errAt:   pathSSHHost,
			errText: "set ssh.host",
		},
		{
			name: "unknown settings at plan skip the credential check",
			in:   connectionInputs{Device: device, NeedLogin: true, Resource: connectionSettings{Unknown: true}},
		},
		{
			name: "jump: its own key file and the agent; the target's credentials stay the target's",
			in: connectionInputs{Device: device, WriteOnlyKey: "WO", NeedLogin: true,
				Provider: sshDefaults{PrivateKey: "PK", AuthSock: "/tmp/agent"},
				Resource: connectionSettings{PrivateKeyFile: "/t", UseRootPassword: true, HostKey: "ssh-ed25519 T",
					Jump: &jumpSettings{Host: "bastion", HostKey: "ssh-ed25519 J", PrivateKeyFile: "/j"}}},
			check: func(t *testing.T, got resolvedConnection) {
				want := machine.Hop{Host: "bastion", Port: 22, User: "root", HostKey: machine.HostKeyPolicy{HostKey: "ssh-ed25519 J"},
					Auth: machine.Credentials{KeyFile: "/j", UseAgent: true, AgentSocket: "/tmp/agent"}}
				if got.Jump == nil || got.Jump.Host != want.Host || got.Jump.Port != want.Port || got.Jump.User != want.User ||
					got.Jump.HostKey != want.HostKey || len(got.Jump.Auth.Keys) != 0 || got.Jump.Auth.KeyFile != want.Auth.KeyFile ||
					got.Jump.Auth.Password != "" || got.Jump.Auth.UseAgent != want.Auth.UseAgent || got.Jump.Auth.AgentSocket != want.Auth.AgentSocket {
					t.Errorf("jump = %+v, want %+v", got.Jump, want)
				}
				if got.Auth.KeyFile != "/t" || len(got.Auth.Keys) != 2 || got.Auth.Password != "pw" || got.HostKey.HostKey != "ssh-ed25519 T" {
					t.Errorf("target creds %+v, host key %+v", got.Auth, got.HostKey)
				}
			},
		},
		{
			name: "jump: the provider's is the default, its known_hosts_file checks it; the agent only where allowed",
			in: connectionInputs{Device: device, NeedLogin: true,
				Provider: sshDefaults{KnownHostsFile: "/kh", AuthSock: "/tmp/agent", Agent: &no,
					Jump: &jumpSettings{Host: "p-bastion", Port: 2222, User: "hop", PrivateKeyFile: "/pj"}},
				Resource: connectionSettings{PrivateKeyFile: "/t"}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.Jump == nil || got.Jump.Host != "p-bastion" || got.Jump.Port != 2222 || got.Jump.User != "hop" ||
					got.Jump.HostKey != (machine.HostKeyPolicy{KnownHostsFile: "/kh"}) || got.Jump.Auth.UseAgent {
					t.Errorf("jump = %+v", got.Jump)
				}
			},
		},
		{
			name: "jump: the resource's wins over the provider's",
			in:   connectionInputs{Device: device, Provider: sshDefaults{Jump: &jumpSettings{Host: "p-bastion", HostKey: "ssh-ed25519 P"}}, Resource: connectionSettings{Jump: &jumpSettings{Host: "r-bastion", HostKey: "ssh-ed25519 R"}}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.Jump == nil || got.Jump.Host != "r-bastion" || got.Jump.HostKey.HostKey != "ssh-ed25519 R" {
					t.Errorf("jump = %+v", got.Jump)
				}
			},
		},
		{
			name: "jump: one address behind a jump host is pinned apart from the same address directly",
			in: connectionInputs{Device: device, Resource: connectionSettings{Jump: &jumpSettings{Host: "bastion", HostKey: "ssh-ed25519 J"}},
				KnownPin: func(addr string) string {
					return map[string]string{"203.0.113.7:22": "ssh-ed25519 DIRECT", "203.0.113.7:22 via bastion:22": "ssh-ed25519 VIA"}[addr]
				}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.HostKey.Pinned != "ssh-ed25519 VIA" {
					t.Errorf("pinned = %q, want the pin of the address behind the jump host", got.HostKey.Pinned)
				}
			},
		},
		{
			name:    "jump: a jump host is never trusted on first use",
			in:      connectionInputs{Device: device, Resource: connectionSettings{Jump: &jumpSettings{Host: "bastion", PrivateKeyFile: "/j"}}},
			errAt:   pathSSHJump,
			errText: "never trusted on first use",
		},
		{
			name: "jump: no credential of its own is an error when a login is needed",
			in: connectionInputs{Device: device, NeedLogin: true, Provider: sshDefaults{PrivateKey: "PK"},
				Resource: connectionSettings{Jump: &jumpSettings{Host: "bastion", HostKey: "ssh-ed25519 J"}}},
			errAt:   pathSSHJump,
			errText: "never offered to the jump host",
		},
		{
			name: "jump: its key file must exist",
			in: connectionInputs{Device: device, Provider: sshDefaults{PrivateKey: "PK"}, FileExists: missing,
				Resource: connectionSettings{Jump: &jumpSettings{Host: "bastion", HostKey: "ssh-ed25519 J", PrivateKeyFile: "/gone"}}},
			errAt:   pathSSHJump.AtName("private_key_file"),
			errText: "no such file",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := resolveConnection(tc.in)
			assertDiagAt(t, diags, diag.SeverityError, tc.errAt, tc.errText)
			assertDiagAt(t, diags, diag.SeverityWarning, tc.warnAt, "")
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// assertDiagAt: exactly the diagnostics of severity sev expected, at path
// want (an empty path expects none), with text in the detail.
func assertDiagAt(t *testing.T, diags diag.Diagnostics, sev diag.Severity, want path.Path, text string) {
	t.Helper()
	var found []diag.Diagnostic
	for _, d := range diags {
		if d.Severity() == sev {
			found = append(found, d)
		}
	}
	if len(want.Steps()) == 0 {
		if len(found) > 0 {
			t.Fatalf("unexpected %v diagnostics: %v", sev, found)
		}
		return
	}
	if len(found) != 1 {
		t.Fatalf("want one %v diagnostic at %s, got %v", sev, want, found)
	}
	withPath, ok := found[0].(diag.DiagnosticWithPath)
	if !ok || !withPath.Path().Equal(want) {
		t.Fatalf("diagnostic %q is not at %s", found[0].Summary(), want)
	}
	if !strings.Contains(found[0].Detail(), text) {
		t.Fatalf("detail %q lacks %q", found[0].Detail(), text)
	}
}

// Defect 7: the machine's errors speak of machines; each maps to the
// attribute a user changes.
func TestMachineErrorsMapToTheirAttribute(t *testing.T) {
	dev := factsDevice()
	conn := resolvedConnection{HostKeyPath: pathSSHHostKey}
	pinned := resolvedConnection{HostKeyPath: pathPinnedHostKey}
	cases := []struct {
		err  error
		conn resolvedConnection
		want path.Path
		text string
	}{
		{&machine.HostKeyMismatchError{Source: machine.SourceGiven}, conn, pathSSHHostKey, "Update ssh.host_key"},
		{&machine.HostKeyMismatchError{Source: machine.SourcePinned}, pinned, pathPinnedHostKey, "set ssh.host_key to its new host key"},
		{&machine.UnknownHostError{KnownHostsFile: "/kh"}, resolvedConnection{HostKeyPath: pathSSHKnownHostsFile}, pathSSHKnownHostsFile, "ssh-keyscan"},
		{&machine.AuthError{User: "root"}, conn, pathSSH, "ssh.private_key_wo"},
		{&machine.ReadOnlyError{Path: "/root/.ssh/authorized_keys", Mode: 0o400}, conn, pathSSHAuthorizedKeys, "read-only"},
		{&machine.PermissionError{Op: "write", Path: "/x", Err: fs.ErrPermission}, conn, pathSSHAuthorizedKeys, "permission denied"},
		{&machine.UnreachableError{Addr: "h:22", Err: errors.New("refused")}, conn, pathSSHHost, "cannot reach"},
		{&machine.JumpError{Addr: "j:22", Err: &machine.HostKeyMismatchError{Source: machine.SourceGiven}}, conn, pathSSHJump, "jump host j:22"},
		{&machine.JumpError{Addr: "j:22", Err: &machine.UnreachableError{Addr: "j:22", Err: errors.New("refused")}}, conn, pathSSHJump, "not the target"},
		{&machine.UnsafeLinkError{Path: "/home/u/.ssh/authorized_keys", Link: "/home/u/.ssh/authorized_keys", LinkOwner: 4242,
			Reason: "owned by another user"}, conn, pathSSHAuthorizedKeys, "uid 4242"},
	}
	for _, tc := range cases {
		d := machineErrorDiagnostic("x", deviceSubject(dev), tc.conn, tc.err)
		withPath, ok := d.(diag.DiagnosticWithPath)
		if !ok || !withPath.Path().Equal(tc.want) {
			t.Errorf("%T maps to %v, want %s", tc.err, d, tc.want)
		}
		if !strings.Contains(d.Detail(), tc.text) || strings.Contains(d.Detail(), "connection.host_key") {
			t.Errorf("%T detail %q: want %q and no connection.host_key", tc.err, d.Detail(), tc.text)
		}
	}
}

func boolValue(b bool) types.Bool { return types.BoolValue(b) }

func factsDevice() *metal.Device { return &metal.Device{ID: "d1", Hostname: "web-1"} }
