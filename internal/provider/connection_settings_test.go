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
				if got.Creds.KeyFile != "/r" || got.HostKey.KnownHostsFile != "/p_kh" {
					t.Errorf("creds %+v, host key %+v", got.Creds, got.HostKey)
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
			in: connectionInputs{Device: device, AuthSock: "/tmp/agent", WriteOnlyKey: "WO", NeedLogin: true,
				Provider: sshDefaults{PrivateKey: "PK", PrivateKeyFile: "/pf"}, Resource: connectionSettings{UseRootPassword: true}},
			check: func(t *testing.T, got resolvedConnection) {
				c := got.Creds
				if len(c.Keys) != 2 || string(c.Keys[0].PEM) != "PK" || string(c.Keys[1].PEM) != "WO" || c.Keys[1].Label != "ssh.private_key_wo" {
					t.Errorf("keys = %+v", c.Keys)
				}
				if !c.UseAgent || c.KeyFile != "/pf" || c.Password != "pw" {
					t.Errorf("creds = %+v", c)
				}
			},
		},
		{
			name: "agent: resource over provider over SSH_AUTH_SOCK",
			in:   connectionInputs{Device: device, AuthSock: "/tmp/agent", Provider: sshDefaults{Agent: &yes}, Resource: connectionSettings{Agent: &no}},
			check: func(t *testing.T, got resolvedConnection) {
				if got.Creds.UseAgent {
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
