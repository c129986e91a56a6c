package provider

import (
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/packethost/terraform-provider-packet/internal/machine"
)

// machineErrorDiagnostic maps an error of internal/machine, which speaks of
// machines, to the attribute a user changes to fix it.
func machineErrorDiagnostic(summary, subject string, conn resolvedConnection, err error) diag.Diagnostic {
	if summary == "" {
		summary = "Could not reach the host"
	}
	detail := fmt.Sprintf("%s: %v", subject, err)
	at := pathSSH
	var (
		jump     *machine.JumpError
		mismatch *machine.HostKeyMismatchError
		unknown  *machine.UnknownHostError
		policy   *machine.HostKeyPolicyError
		auth     *machine.AuthError
		perm     *machine.PermissionError
		readOnly *machine.ReadOnlyError
		notFile  *machine.NotRegularError
		link     *machine.UnsafeLinkError
		down     *machine.UnreachableError
	)
	switch {
	case errors.As(err, &jump): // before the others: the jump host's errors are of the same kinds
		at = pathSSHJump
		detail += "\n\nThe jump host (ssh.jump) failed, not the target: check its address, its host_key or " +
			"known_hosts_file, and its private_key_file."
	case errors.As(err, &mismatch):
		at = conn.HostKeyPath
		switch mismatch.Source {
		case machine.SourcePinned:
			detail += "\n\nThe host key was pinned in pinned_host_key at the first connection. If the device was " +
				"reinstalled, set ssh.host_key to its new host key (it wins over the pinned one and is pinned next); " +
				"otherwise treat this as a possible attack."
		case machine.SourceKnownHosts:
			detail += "\n\nUpdate the entry in ssh.known_hosts_file if the device was reinstalled."
		default:
			detail += "\n\nUpdate ssh.host_key if the device was reinstalled."
		}
	case errors.As(err, &unknown):
		at = conn.HostKeyPath
		detail += "\n\nAdd the device to that file (ssh-keyscan), or set ssh.host_key."
	case errors.As(err, &policy):
		at = conn.HostKeyPath
	case errors.As(err, &auth):
		detail += "\n\nCheck the credentials: the provider's ssh block, ssh.private_key_wo, ssh.private_key_file, the " +
			"ssh-agent, or ssh.use_root_password."
	case errors.As(err, &perm), errors.As(err, &readOnly), errors.As(err, &notFile), errors.As(err, &link):
		at = pathSSHAuthorizedKeys
	case errors.As(err, &down):
		at = pathSSHHost
	}
	return diag.NewAttributeErrorDiagnostic(at, summary, detail)
}

// isHostKeyError: the device did not prove its identity. At refresh this
// is an error, never a warning: every connection must match.
func isHostKeyError(err error) bool {
	var (
		mismatch *machine.HostKeyMismatchError
		unknown  *machine.UnknownHostError
	)
	return errors.As(err, &mismatch) || errors.As(err, &unknown)
}
