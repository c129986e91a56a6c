package provider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
	"github.com/packethost/terraform-provider-packet/internal/homedir"
	"github.com/packethost/terraform-provider-packet/internal/machine"
	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// sshOperationTimeout bounds one operation on a device (lock wait included).
const sshOperationTimeout = 2 * time.Minute

func (r *deviceKeyAttachmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	woKey := writeOnlyKey(ctx, req.Config)
	client := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	found := lookUp(ctx, client, r.data.keys, plan.DeviceID.ValueString(), plan.SSHKeyID.ValueString())
	resp.Diagnostics.Append(found.missingAsErrors()...)
	if resp.Diagnostics.HasError() {
		return
	}
	device, key := found.device, found.key
	if device.State != "active" {
		resp.Diagnostics.AddAttributeError(path.Root("device_id"), "Device is not active",
			fmt.Sprintf("Device %s (%s) is %q; a key can be attached once it is active.", device.ID, device.Hostname, device.State))
		return
	}
	fill(&plan, device, key)
	conn, diags := r.connection(device, &plan, woKey, true)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	res, err := r.machines().AddKey(ctx, conn.Target, conn.HostKey, conn.Creds, plan.writtenLine(), key.PublicKey())
	if err != nil {
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not add the key to the device", device, conn, err))
		return
	}
	pin(&plan, res.Outcome, device, &resp.Diagnostics)
	plan.PreExisting = types.BoolValue(res.Existing != "")
	if res.Existing != "" {
		resp.Diagnostics.AddWarning("The key was already on the device",
			fmt.Sprintf("Device %s (%s) already has a line with this key in %s (options: %s). It was left as it is and "+
				"is not this attachment's: destroy will leave it in place, and `options` are not applied to it.",
				device.ID, device.Hostname, conn.Target.AuthorizedKeysPath, describeOptions(authorizedkeys.LineOptions(res.Existing))))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	resp.Diagnostics.Append(plan.identity(ctx, resp.Identity)...)
}

func (r *deviceKeyAttachmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state attachmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	// The ids never change, so the identity is known before anything else,
	// and the framework wants one even when the resource is gone.
	resp.Diagnostics.Append(state.identity(ctx, resp.Identity)...)
	client := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	found := lookUp(ctx, client, r.data.keys, state.DeviceID.ValueString(), state.SSHKeyID.ValueString())
	if found.diags.HasError() {
		resp.Diagnostics.Append(found.diags...)
		return
	}
	if found.device == nil || found.key == nil { // gone: forget it, the plan shows it again if configured
		resp.State.RemoveResource(ctx)
		return
	}
	fill(&state, found.device, found.key)
	if state.PreExisting.IsNull() {
		state.PreExisting = types.BoolValue(state.Provisioned.ValueBool())
	}

	conn, diags := r.connection(found.device, &state, "", false)
	if diags.HasError() || !conn.Creds.Any() {
		// No way to look at the machine now (e.g. the root password is no
		// longer shown, or only a write-only key was given): keep state.
		tflog.Info(ctx, "skipping the on-machine check of the attachment: no usable credentials")
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	res, err := r.machines().FindKey(ctx, conn.Target, conn.HostKey, conn.Creds, found.key.PublicKey())
	switch {
	case isHostKeyError(err):
		resp.Diagnostics.Append(machineErrorDiagnostic("The device's host key is not the expected one", found.device, conn, err))
		return
	case err != nil:
		resp.Diagnostics.AddWarning("Could not check the device",
			machineErrorDiagnostic("", found.device, conn, err).Detail()+"\n\nThe attachment is kept in state as it was.")
	case !res.Found:
		tflog.Warn(ctx, "key line no longer on the device; removing the attachment from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	default:
		pin(&state, res.Outcome, found.device, &resp.Diagnostics)
		imported := justImported(ctx, req.Private)
		if state.ownsLine() || imported {
			// Options changed on the machine are drift: the plan puts them
			// back. An import takes them as they are, once.
			state.Options = optionsValue(authorizedkeys.LineOptions(res.Line), state.Options)
		}
		if imported {
			resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, nil)...)
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update rewrites the line when options change; other changes are only how
// the device is reached.
func (r *deviceKeyAttachmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(state.identity(ctx, resp.Identity)...)
	woKey := writeOnlyKey(ctx, req.Config)
	if resp.Diagnostics.HasError() {
		return
	}
	state.SSH = plan.SSH
	sameOptions := plan.Options.ValueString() == state.Options.ValueString()
	state.Options = plan.Options
	if sameOptions {
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	if !state.ownsLine() {
		resp.Diagnostics.AddAttributeWarning(path.Root("options"), "Options not applied",
			"The key's line was already on the device before this attachment and is not its own, so its options are "+
				"left as they are.")
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	client := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	device, err := client.GetDevice(ctx, state.DeviceID.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("device_id"), "Could not read the device", err.Error())
		return
	}
	key, diags := keyFromState(&state)
	resp.Diagnostics.Append(diags...)
	conn, diags := r.connection(device, &state, woKey, true)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	res, err := r.machines().ReplaceKey(ctx, conn.Target, conn.HostKey, conn.Creds, state.writtenLine(), key.PublicKey())
	if err != nil {
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not update the key's line on the device", device, conn, err))
		return
	}
	pin(&state, res.Outcome, device, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *deviceKeyAttachmentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state attachmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !state.ownsLine() {
		resp.Diagnostics.AddWarning("Key left on the device",
			fmt.Sprintf("The key's line was on device %s before this attachment, so it was left in place.", state.DeviceID.ValueString()))
		return
	}
	client := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	device, err := client.GetDevice(ctx, state.DeviceID.ValueString())
	if metal.IsNotFound(err) {
		return // the device and its authorized_keys are gone
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the device", err.Error())
		return
	}
	key, diags := keyFromState(&state)
	resp.Diagnostics.Append(diags...)
	conn, diags := r.connection(device, &state, "", true)
	if diags.HasError() && state.SSH != nil && !state.SSH.PrivateKeyWOVersion.IsNull() {
		diags.AddAttributeError(pathSSHPrivateKeyWO, "The write-only key is not available at destroy",
			"Terraform passes write-only values (ssh.private_key_wo) to create and update only, never to destroy. "+
				"Give another credential for destroy: the provider's ssh block, an ssh-agent, or ssh.private_key_file.")
	}
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	if _, err := r.machines().RemoveKey(ctx, conn.Target, conn.HostKey, conn.Creds, state.writtenLine(), key.PublicKey()); err != nil {
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not remove the key from the device", device, conn, err))
	}
}

// machines is the provider's pool of device connections.
func (r *deviceKeyAttachmentResource) machines() *machine.Pool { return &r.data.machines }

// connection resolves the connection for m on device.
func (r *deviceKeyAttachmentResource) connection(device *metal.Device, m *attachmentModel, woKey string, needLogin bool) (resolvedConnection, diag.Diagnostics) {
	return resolveConnection(connectionInputs{
		Resource:     m.SSH.settings(),
		Provider:     r.data.ssh,
		WriteOnlyKey: woKey,
		AuthSock:     os.Getenv("SSH_AUTH_SOCK"),
		Device:       factsOf(device),
		Pinned:       m.PinnedHostKey.ValueString(),
		NeedLogin:    needLogin,
	})
}

func factsOf(d *metal.Device) deviceFacts {
	return deviceFacts{ID: d.ID, Hostname: d.Hostname, PublicIPv4: d.PublicIPv4(), SSHPort: d.SSHPort, RootPassword: d.RootPassword}
}

// localFileReadable is FileExists for the plan-time check.
func localFileReadable(p string) error {
	full, err := homedir.Expand(p)
	if err != nil {
		return err
	}
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	return f.Close()
}

// writeOnlyKey reads ssh.private_key_wo from the configuration (the only place it exists).
func writeOnlyKey(ctx context.Context, config tfsdk.Config) string {
	var v types.String
	if config.GetAttribute(ctx, pathSSHPrivateKeyWO, &v).HasError() {
		return "" // no ssh attribute at all
	}
	return v.ValueString()
}

// pin records the host key the device presented on first use, and warns.
func pin(m *attachmentModel, out machine.Outcome, device *metal.Device, diags *diag.Diagnostics) {
	switch out.Use {
	case machine.HostKeyFirstUse:
		m.PinnedHostKey = types.StringValue(out.HostKey)
		diags.AddAttributeWarning(pathPinnedHostKey, "Host key trusted on first use",
			fmt.Sprintf("Device %s (%s) presented the host key %s; it is now pinned in pinned_host_key and every later "+
				"connection must present it. Compare it with the device's console output (ssh-keygen -lf "+
				"/etc/ssh/ssh_host_ed25519_key.pub) if you can; to check it from the start, set ssh.host_key or "+
				"ssh.known_hosts_file.", device.ID, device.Hostname, machine.HostKeyFingerprint(out.HostKey)))
	case machine.HostKeyVerified:
		m.PinnedHostKey = types.StringValue(out.HostKey)
	}
	if m.PinnedHostKey.IsUnknown() {
		m.PinnedHostKey = types.StringNull()
	}
}

func keyFromState(m *attachmentModel) (*sshkey.Key, diag.Diagnostics) {
	var diags diag.Diagnostics
	key, err := sshkey.Parse([]byte(m.PublicKey.ValueString()), sshkey.Options{})
	if err != nil {
		diags.AddAttributeError(path.Root("public_key"), "The attachment's key in state does not parse", err.Error())
	}
	return key, diags
}

// optionsValue is the options read from the machine as an attribute value:
// none reads as the configured "" or null, whichever the state had.
func optionsValue(onMachine string, current types.String) types.String {
	if onMachine == current.ValueString() {
		return current
	}
	if onMachine == "" {
		return types.StringNull()
	}
	return types.StringValue(onMachine)
}

func describeOptions(o string) string {
	if o == "" {
		return "none"
	}
	return o
}

func fill(m *attachmentModel, device *metal.Device, key *sshkey.Key) {
	m.ID = types.StringValue(m.DeviceID.ValueString() + "/" + m.SSHKeyID.ValueString())
	m.PublicKey = types.StringValue(key.Line())
	m.Fingerprint = types.StringValue(key.FingerprintMD5())
	m.FingerprintSHA256 = types.StringValue(key.FingerprintSHA256())
	provisioned := false
	for _, id := range device.SSHKeyIDs {
		provisioned = provisioned || id == m.SSHKeyID.ValueString()
	}
	m.Provisioned = types.BoolValue(provisioned)
}
