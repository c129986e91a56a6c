package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"

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

// sshOperationTimeout bounds one operation on a host (lock wait included):
// long enough to wait out, and break, a lock left by a run that died.
const sshOperationTimeout = machine.MinOperationTimeout

// privateAPIKey, set by Read, says the API's key is no longer the one the
// attachment wrote ("changed" or "deleted"): the plan replaces it, and the
// replacement's first step takes the old line off the machine.
const privateAPIKey = "api_key"

func (r *deviceKeyAttachmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	woKey := writeOnlyKey(ctx, req.Config)
	r.client(&resp.Diagnostics) // reports a missing or unknown API configuration
	if resp.Diagnostics.HasError() {
		return
	}
	found := lookUp(ctx, r.data, plan.DeviceID.ValueString(), plan.SSHKeyID.ValueString(), plan.SSH.settings().UseRootPassword)
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
	conn, diags := r.connection(device, &plan, woKey, true, false)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.Address = types.StringValue(conn.Addr())
	if r.engine().add(ctx, conn, deviceSubject(device), &plan.lineState, plan.lineToWrite(), key, &resp.Diagnostics) {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		resp.Diagnostics.Append(plan.identity(ctx, resp.Identity)...)
	}
}

func (r *deviceKeyAttachmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state attachmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	// The ids never change, so the identity is known before anything else,
	// and the framework wants one even when the resource is gone.
	resp.Diagnostics.Append(state.identity(ctx, resp.Identity)...)
	r.client(&resp.Diagnostics) // reports a missing or unknown API configuration
	if resp.Diagnostics.HasError() {
		return
	}
	found := lookUp(ctx, r.data, state.DeviceID.ValueString(), state.SSHKeyID.ValueString(), state.SSH.settings().UseRootPassword)
	if found.diags.HasError() {
		resp.Diagnostics.Append(found.diags...)
		return
	}
	if found.device == nil { // gone, and its authorized_keys with it: the plan shows it again if configured
		resp.State.RemoveResource(ctx)
		return
	}
	// The key on the machine is the one state recorded, whatever the API
	// says now: a key re-keyed or deleted in the API is a replacement
	// (ModifyPlan), never a reason to forget the line.
	key, diags := keyFromState(&state)
	if state.PublicKey.IsNull() { // state from an import: nothing recorded yet
		if found.key == nil {
			resp.Diagnostics.Append(found.missingAsErrors()...)
			return
		}
		key, diags = found.key, nil
		fill(&state, found.device, found.key)
	}
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateAPIKey, apiKeyChange(key, found.key))...)
	state.Provisioned = types.BoolValue(provisioned(found.device, state.SSHKeyID.ValueString()))
	if state.PreExisting.IsNull() {
		state.PreExisting = types.BoolValue(state.Provisioned.ValueBool())
	}
	subject := deviceSubject(found.device)
	conn, diags := r.connection(found.device, &state, "", false, true)
	if r.engine().pinConflict(conn, &state.lineState, subject, &resp.Diagnostics) {
		return
	}
	if diags.HasError() || !conn.Auth.Any() {
		// No way to look at the machine now (the root password is no
		// longer shown, or goes only to a known host, or only a write-only
		// key was given): keep state.
		if conn.PasswordWithheld {
			resp.Diagnostics.AddWarning("Device not checked: its host key is not known yet", passwordWithheld(subject))
		}
		tflog.Info(ctx, "skipping the on-machine check of the attachment: no usable credentials")
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	res, gone := r.engine().look(ctx, conn, subject, &state.lineState, state.ownsLine(), state.ownLine(key, state.lineToWrite()), &resp.Diagnostics)
	if gone {
		resp.State.RemoveResource(ctx)
		return
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if res.Found {
		state.Address = types.StringValue(conn.Addr())
	}
	if flag := importFlag(ctx, req.Private); res.Found && flag != "" {
		// An import takes the options as they are, once. It knows no
		// configuration, so it looked with the defaults (and never sent a
		// password to an unpinned host); the plan looks again with the
		// configuration's ssh settings (checkImported).
		state.Options = optionsValue(authorizedkeys.LineOptions(res.Line), state.Options)
		var next []byte
		if flag == importJustDone && state.SSH == nil {
			next = []byte(`"` + importCheckAtPlan + `"`)
		}
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, next)...)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update rewrites the line when options change; other changes are only how
// the device is reached, and a new address is connected to (its host key
// checked) before it is stored.
func (r *deviceKeyAttachmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(state.identity(ctx, resp.Identity)...)
	woKey := writeOnlyKey(ctx, req.Config)
	if resp.Diagnostics.HasError() {
		return
	}
	sameOptions := plan.writtenOptions() == state.writtenOptions()
	reconnect := reachChanged(state.SSH.settings(), plan.SSH.settings())
	state.SSH = plan.SSH
	if sameOptions && !reconnect {
		state.Options, state.ExpiresAt = plan.Options, plan.ExpiresAt
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	r.client(&resp.Diagnostics) // reports a missing or unknown API configuration
	if resp.Diagnostics.HasError() {
		return
	}
	device, err := deviceOf(ctx, r.data, state.DeviceID.ValueString(), state.SSH.settings().UseRootPassword)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("device_id"), "Could not read the device", err.Error())
		return
	}
	key, diags := keyFromState(&state)
	resp.Diagnostics.Append(diags...)
	conn, diags := r.connection(device, &state, woKey, true, false)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	subject := deviceSubject(device)
	state.Address = types.StringValue(conn.Addr())
	old := state.ownLine(key, state.lineToWrite())
	if !sameOptions && !state.ownsLine() {
		resp.Diagnostics.AddAttributeWarning(path.Root("options"), "Options not applied",
			"The key's line was already on the device before this attachment and is not its own, so its options are "+
				"left as they are.")
	}
	state.Options, state.ExpiresAt = plan.Options, plan.ExpiresAt
	ok := false
	if sameOptions || !state.ownsLine() {
		ok = r.engine().reach(ctx, conn, subject, &state.lineState, key, &resp.Diagnostics) // only the way in changed
	} else {
		ok = r.engine().rewrite(ctx, conn, subject, &state.lineState, old, state.lineToWrite(), &resp.Diagnostics)
	}
	if ok {
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	}
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
	r.client(&resp.Diagnostics) // reports a missing or unknown API configuration
	if resp.Diagnostics.HasError() {
		return
	}
	device, err := deviceOf(ctx, r.data, state.DeviceID.ValueString(), state.SSH.settings().UseRootPassword)
	if metal.IsNotFound(err) {
		return // the device and its authorized_keys are gone
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not read the device", err.Error())
		return
	}
	// The key comes from state, never from the API: a key deleted or
	// re-keyed there is still the one on the machine.
	key, diags := keyFromState(&state)
	resp.Diagnostics.Append(diags...)
	conn, diags := r.connection(device, &state, "", true, false)
	if diags.HasError() && state.SSH != nil && !state.SSH.PrivateKeyWOVersion.IsNull() {
		diags.Append(writeOnlyKeyAtDestroy())
	}
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.engine().remove(ctx, conn, deviceSubject(device), state.ownLine(key, state.lineToWrite()), &resp.Diagnostics)
}

// engine is the key-line engine over the provider's pool and pins.
func (r *deviceKeyAttachmentResource) engine() lineEngine { return lineEngine{data: r.data} }

// connection resolves the connection for m on device. reading: plan,
// refresh, import or query (no password to a host not yet pinned).
func (r *deviceKeyAttachmentResource) connection(device *metal.Device, m *attachmentModel, woKey string, needLogin, reading bool) (resolvedConnection, diag.Diagnostics) {
	return resolveConnection(connectionInputs{
		Resource:     m.SSH.settings(),
		Provider:     r.data.ssh,
		WriteOnlyKey: woKey,
		Device:       factsOf(device),
		Pinned:       m.PinnedHostKey.ValueString(),
		NeedLogin:    needLogin,
		KnownPin:     r.data.pins.For,
		Reading:      reading,
	})
}

// apiKeyChange says how the API's key differs from the one on the machine:
// "deleted", "changed", or nil when it is the same key.
func apiKeyChange(onMachine, inAPI *sshkey.Key) []byte {
	switch {
	case inAPI == nil:
		return []byte(`"deleted"`)
	case !bytes.Equal(onMachine.PublicKey().Marshal(), inAPI.PublicKey().Marshal()):
		return []byte(`"changed"`)
	}
	return nil
}

func deviceSubject(d *metal.Device) string { return fmt.Sprintf("Device %s (%s)", d.ID, d.Hostname) }

func factsOf(d *metal.Device) deviceFacts {
	return deviceFacts{ID: d.ID, Hostname: d.Hostname, PublicIPv4: d.PublicIPv4(), SSHPort: d.SSHPort, RootPassword: d.RootPassword}
}

// localFileReadable is FileExists for the plan-time check.
func localFileReadable(p string) error {
	full, err := homedir.Expand(p)
	if err != nil {
		return err
	}
	f, err := os.Open(full) //nolint:gosec // the file the configuration names, checked at plan
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

// writeOnlyKeyAtDestroy explains why a write-only key cannot log in at destroy.
func writeOnlyKeyAtDestroy() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(pathSSHPrivateKeyWO, "The write-only key is not available at destroy",
		"Terraform passes write-only values (ssh.private_key_wo) to create and update only, never to destroy. "+
			"Give another credential for destroy: the provider's ssh block, an ssh-agent, or ssh.private_key_file.")
}

// passwordWithheld explains a check skipped because the password would go
// to a host whose key nobody has checked.
func passwordWithheld(subject string) string {
	return fmt.Sprintf("%s is reached with its root password, and its host key is neither given "+
		"(ssh.host_key, ssh.known_hosts_file) nor pinned yet. A plan, refresh, import or query never sends a password "+
		"to such a host, so it was not looked at. The first apply pins the key and says how to check it; "+
		"or set ssh.host_key now.", subject)
}

func keyFromState(m *attachmentModel) (*sshkey.Key, diag.Diagnostics) {
	var diags diag.Diagnostics
	key, err := sshkey.Parse([]byte(m.PublicKey.ValueString()), sshkey.Options{})
	if err != nil {
		diags.AddAttributeError(path.Root("public_key"), "The attachment's key in state does not parse", err.Error())
	}
	return key, diags
}

func fill(m *attachmentModel, device *metal.Device, key *sshkey.Key) {
	m.ID = types.StringValue(m.DeviceID.ValueString() + "/" + m.SSHKeyID.ValueString())
	m.PublicKey = types.StringValue(key.Line())
	m.setKey(key)
	m.Provisioned = types.BoolValue(provisioned(device, m.SSHKeyID.ValueString()))
}

// provisioned: the API lists the key among those the platform put on the device.
func provisioned(device *metal.Device, keyID string) bool {
	for _, id := range device.SSHKeyIDs {
		if id == keyID {
			return true
		}
	}
	return false
}
