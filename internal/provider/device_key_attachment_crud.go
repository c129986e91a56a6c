package provider

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
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

// privateAPIKey, set by Read, says the API's key is no longer the one the
// attachment wrote ("changed" or "deleted"): the plan replaces it, and the
// replacement's first step takes the old line off the machine.
const privateAPIKey = "api_key"

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
	conn, diags := r.connection(device, &plan, woKey, true, false)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	line := machine.Line{Text: plan.lineToWrite(), Key: key.PublicKey(), Writer: newWriterID()}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	res, err := r.machines().AddKey(ctx, conn.Target, conn.HostKey, conn.Creds, line)
	plan.File = stringOrNull(res.File)
	if err != nil {
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not add the key to the device", device, conn, err))
		if res.MayHaveWritten {
			// The line may be on the machine: keep it in state (the framework
			// marks it tainted), so the next apply takes it off again.
			plan.recordOwned(line)
			r.pin(&plan, res.Outcome, device, conn, &resp.Diagnostics)
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
			resp.Diagnostics.Append(plan.identity(ctx, resp.Identity)...)
		}
		return
	}
	r.pin(&plan, res.Outcome, device, conn, &resp.Diagnostics)
	plan.PreExisting = types.BoolValue(!res.Owned)
	if res.Owned {
		plan.recordOwned(line)
	} else {
		plan.Line, plan.WriterID = types.StringNull(), types.StringNull()
		resp.Diagnostics.AddWarning("The key was already on the device",
			fmt.Sprintf("Device %s (%s) already has a line with this key in %s (options: %s) that this provider did not "+
				"write. It was left as it is and is not this attachment's: destroy will leave it in place, and `options` "+
				"are not applied to it.",
				device.ID, device.Hostname, res.File, describeOptions(authorizedkeys.LineOptions(res.Existing))))
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

	if importFlag(ctx, req.Private) == importJustDone && state.SSH == nil {
		// An import knows nothing of the configuration's ssh settings yet:
		// the plan checks the device with them (checkImported), never the
		// defaults, which may lead to another host or file.
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, []byte(`"`+importCheckAtPlan+`"`))...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	conn, diags := r.connection(found.device, &state, "", false, true)
	if r.pinConflict(conn, &state, found.device, &resp.Diagnostics) {
		return
	}
	if diags.HasError() || !conn.Creds.Any() {
		// No way to look at the machine now (the root password is no
		// longer shown, or goes only to a known host, or only a write-only
		// key was given): keep state.
		if conn.PasswordWithheld {
			resp.Diagnostics.AddWarning("Device not checked: its host key is not known yet", passwordWithheld(found.device))
		}
		tflog.Info(ctx, "skipping the on-machine check of the attachment: no usable credentials")
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	var (
		res machine.FindResult
		err error
	)
	owned := state.ownsLine()
	if owned {
		res, err = r.machines().FindLine(ctx, conn.Target, conn.HostKey, conn.Creds, state.ownLine(key))
	} else {
		res, err = r.machines().FindKey(ctx, conn.Target, conn.HostKey, conn.Creds, key.PublicKey())
	}
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
		r.pin(&state, res.Outcome, found.device, conn, &resp.Diagnostics)
		if state.File.IsNull() && res.File != "" {
			state.File = types.StringValue(res.File)
		}
		imported := importFlag(ctx, req.Private) != ""
		if owned && !res.Own.Exact {
			// Its own line, with options edited by hand: drift, put back on apply.
			state.Options = optionsValue(authorizedkeys.LineOptions(res.Line), state.Options)
		}
		if imported {
			// An import takes the options as they are, once.
			state.Options = optionsValue(authorizedkeys.LineOptions(res.Line), state.Options)
			resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, nil)...)
		}
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
	sameOptions := plan.Options.ValueString() == state.Options.ValueString()
	oldTarget := state.SSH.settings()
	state.SSH = plan.SSH
	newTarget := state.SSH.settings()
	moved := oldTarget.Host != newTarget.Host || oldTarget.Port != newTarget.Port
	if sameOptions && !moved {
		state.Options = plan.Options
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
	conn, diags := r.connection(device, &state, woKey, true, false)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	if sameOptions || !state.ownsLine() {
		if !sameOptions {
			resp.Diagnostics.AddAttributeWarning(path.Root("options"), "Options not applied",
				"The key's line was already on the device before this attachment and is not its own, so its options are "+
					"left as they are.")
		}
		// Only the way in changed: prove it leads to the same machine first.
		res, err := r.machines().FindKey(ctx, conn.Target, conn.HostKey, conn.Creds, key.PublicKey())
		if err != nil {
			resp.Diagnostics.Append(machineErrorDiagnostic("Could not reach the device at its new address", device, conn, err))
			return
		}
		r.pin(&state, res.Outcome, device, conn, &resp.Diagnostics)
		state.Options = plan.Options
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	old := state.ownLine(key)
	if old.Writer == "" {
		old.Writer = newWriterID() // state from before writers were recorded: record it from now on
	}
	state.Options = plan.Options
	text := state.lineToWrite()
	res, err := r.machines().ReplaceKey(ctx, conn.Target, conn.HostKey, conn.Creds, old, text)
	if err != nil {
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not update the key's line on the device", device, conn, err))
		return
	}
	r.pin(&state, res.Outcome, device, conn, &resp.Diagnostics)
	state.recordOwned(machine.Line{Text: text, Writer: old.Writer})
	state.File = stringOrNull(res.File)
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
	// The key comes from state, never from the API: a key deleted or
	// re-keyed there is still the one on the machine.
	key, diags := keyFromState(&state)
	resp.Diagnostics.Append(diags...)
	conn, diags := r.connection(device, &state, "", true, false)
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
	res, err := r.machines().RemoveKey(ctx, conn.Target, conn.HostKey, conn.Creds, state.ownLine(key))
	if err != nil {
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not remove the key from the device", device, conn, err))
		return
	}
	if res.Shared {
		tflog.Info(ctx, "the line stays: other attachments (other states or workspaces) still use it", map[string]any{"id": state.ID.ValueString()})
	}
}

// recordOwned records line as the attachment's own.
func (m *attachmentModel) recordOwned(line machine.Line) {
	m.Line, m.WriterID, m.PreExisting = types.StringValue(line.Text), types.StringValue(line.Writer), types.BoolValue(false)
}

// newWriterID is a fresh id to record the attachment under on the machine.
func newWriterID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "tf-" + hex.EncodeToString(b)
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

func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

// machines is the provider's pool of device connections.
func (r *deviceKeyAttachmentResource) machines() *machine.Pool { return &r.data.machines }

// connection resolves the connection for m on device. reading: plan,
// refresh, import or query (no password to a host not yet pinned).
func (r *deviceKeyAttachmentResource) connection(device *metal.Device, m *attachmentModel, woKey string, needLogin, reading bool) (resolvedConnection, diag.Diagnostics) {
	pinned := m.PinnedHostKey.ValueString()
	return resolveConnection(connectionInputs{
		Resource:     m.SSH.settings(),
		Provider:     r.data.ssh,
		WriteOnlyKey: woKey,
		AuthSock:     os.Getenv("SSH_AUTH_SOCK"),
		Device:       factsOf(device),
		Pinned:       pinned,
		NeedLogin:    needLogin,
		KnownPin:     r.data.pins.For,
		Reading:      reading,
	})
}

// pinConflict records the pin state holds for the address in this run's
// pins, and reports (as an error) a different pin another attachment holds.
func (r *deviceKeyAttachmentResource) pinConflict(conn resolvedConnection, m *attachmentModel, device *metal.Device, diags *diag.Diagnostics) bool {
	if conn.Target.Host == "" || m.PinnedHostKey.ValueString() == "" || conn.HostKey.Pinned == "" {
		return false
	}
	if err := r.data.pins.Remember(conn.Target.Addr(), m.PinnedHostKey.ValueString()); err != nil {
		diags.Append(machineErrorDiagnostic("Two host keys pinned for one device", device, conn, err))
		return true
	}
	return false
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

// pin records the host key the device presented: in m's state, and in this
// run's pins for its address. The first pin warns, with how to check it.
func (r *deviceKeyAttachmentResource) pin(m *attachmentModel, out machine.Outcome, device *metal.Device, conn resolvedConnection, diags *diag.Diagnostics) {
	switch out.Use {
	case machine.HostKeyFirstUse:
		m.PinnedHostKey = types.StringValue(out.HostKey)
		detail := fmt.Sprintf("Device %s (%s) presented the host key %s; it is now pinned in pinned_host_key and every later "+
			"connection must present it. Compare it with the device's console output (it prints its host key "+
			"fingerprints at boot; or ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub there); to check it from the "+
			"start, set ssh.host_key or ssh.known_hosts_file.", device.ID, device.Hostname, machine.HostKeyFingerprint(out.HostKey))
		if conn.Creds.Password != "" {
			detail += " The root password was sent to this host: if the fingerprint is not the device's, change the " +
				"root password at once."
		}
		diags.AddAttributeWarning(pathPinnedHostKey, "Host key trusted on first use", detail)
	case machine.HostKeyVerified:
		m.PinnedHostKey = types.StringValue(out.HostKey)
	}
	if m.PinnedHostKey.IsUnknown() {
		m.PinnedHostKey = types.StringNull()
	}
	if out.Use != machine.HostKeyUnchecked && out.HostKey != "" {
		_ = r.data.pins.Remember(conn.Target.Addr(), out.HostKey) // a conflict failed the connection already
	}
}

// passwordWithheld explains a check skipped because the password would go
// to a host whose key nobody has checked.
func passwordWithheld(device *metal.Device) string {
	return fmt.Sprintf("Device %s (%s) is reached with its root password, and its host key is neither given "+
		"(ssh.host_key, ssh.known_hosts_file) nor pinned yet. A plan, refresh, import or query never sends a password "+
		"to such a host, so the device was not looked at. The first apply pins the key and says how to check it; "+
		"or set ssh.host_key now.", device.ID, device.Hostname)
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
	m.Provisioned = types.BoolValue(provisioned(device, m.SSHKeyID.ValueString()))
	for _, v := range []*types.String{&m.Line, &m.File, &m.WriterID} {
		if v.IsUnknown() {
			*v = types.StringNull()
		}
	}
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
