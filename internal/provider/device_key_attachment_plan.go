package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// ModifyPlan checks at plan time what can be checked: that the device and
// the key exist, that there is something to log in with, and that a
// private key file is there. An unknown id or setting skips its check;
// apply checks again.
func (r *deviceKeyAttachmentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil || r.data.unknownConfig || r.data.client == nil {
		return // destroy, or no API to ask (configure reports that)
	}
	var plan attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	creating := req.State.Raw.IsNull()
	if creating {
		planLine(ctx, &plan.lineState, nil, true, r.data.now(), resp)
	} else {
		var state attachmentModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		if resp.Diagnostics.HasError() {
			return
		}
		r.planReplacement(ctx, req, resp, &state, &plan)
		if resp.Diagnostics.HasError() || len(resp.RequiresReplace) > 0 {
			return
		}
	}
	settings := plan.SSH.settings()
	woKey := writeOnlyKey(ctx, req.Config)

	var device *metal.Device
	if creating {
		// Each id that is known is checked; an unknown one waits for apply.
		found := lookUp(ctx, r.data, knownOrEmpty(plan.DeviceID), knownOrEmpty(plan.SSHKeyID), settings.UseRootPassword)
		resp.Diagnostics.Append(found.missingAsErrors()...)
		if resp.Diagnostics.HasError() {
			return
		}
		device = found.device
	}
	if settings.Unknown {
		return
	}
	in := connectionInputs{
		Resource:     settings,
		Provider:     r.data.ssh,
		WriteOnlyKey: woKey,
		FileExists:   localFileReadable,
	}
	if device != nil {
		// Known device: also check the credentials are enough to log in
		// (e.g. that the root password is still shown).
		in.Device, in.NeedLogin = factsOf(device), true
	} else {
		in.Device.PublicIPv4 = "known at apply" // only the local checks
	}
	_, diags := resolveConnection(in)
	for _, d := range diags {
		if d.Severity() == diag.SeverityError { // warnings come again at apply
			resp.Diagnostics.Append(d)
		}
	}
	if !creating && plan.SSH != nil && importFlag(ctx, req.Private) != "" {
		r.checkImported(ctx, &plan, resp)
	}
}

// planReplacement decides what an existing attachment's plan must replace:
// a key changed or deleted in the API since it was attached (the old line
// is taken off first), or another file (a new login user or path).
func (r *deviceKeyAttachmentResource) planReplacement(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse,
	state, plan *attachmentModel,
) {
	if movedAddress(state.SSH.settings(), plan.SSH.settings()) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("ssh_address"), types.StringUnknown())...)
	}
	planLine(ctx, &plan.lineState, &state.lineState, state.ownsLine(), r.data.now(), resp)
	change, _ := req.Private.GetKey(ctx, privateAPIKey)
	if what := strings.Trim(string(change), `"`); what != "" {
		// Terraform replaces only for a path whose value changes: the key
		// written (public_key) is what changes.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("public_key"), types.StringUnknown())...)
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root("public_key"))
		detail := fmt.Sprintf("SSH key %s was %s in the API after it was put on device %s.", state.SSHKeyID.ValueString(), what,
			state.DeviceID.ValueString())
		if state.ownsLine() {
			detail += " The attachment is replaced: its line (the old key) is taken off the machine first."
		}
		if what == "deleted" {
			detail += " Creating it again then fails, since the key is gone: remove the attachment from the " +
				"configuration to revoke the key for good."
		}
		resp.Diagnostics.AddAttributeWarning(path.Root("public_key"), "The attached key changed in the API", detail)
	}
	oldS, newS := state.SSH.settings(), plan.SSH.settings()
	if newS.Unknown || (state.SSH == nil && importFlag(ctx, req.Private) != "") {
		return // an import knows no ssh settings yet: the configuration's are the first
	}
	user := func(s connectionSettings) string { return firstNonEmpty(s.User, r.data.ssh.User, defaultSSHUser) }
	file := func(s connectionSettings) string {
		return firstNonEmpty(s.AuthorizedKeysPath, defaultAuthorizedKeysPath)
	}
	if user(oldS) != user(newS) {
		resp.RequiresReplace = append(resp.RequiresReplace, pathSSH.AtName("user"))
	}
	if file(oldS) != file(newS) {
		resp.RequiresReplace = append(resp.RequiresReplace, pathSSHAuthorizedKeys)
	}
}

// checkImported looks, with the configuration's ssh settings, for the
// imported line: an import reads the device where the configuration says,
// never with defaults that may lead elsewhere.
func (r *deviceKeyAttachmentResource) checkImported(ctx context.Context, plan *attachmentModel, resp *resource.ModifyPlanResponse) {
	found := lookUp(ctx, r.data, plan.DeviceID.ValueString(), plan.SSHKeyID.ValueString(), plan.SSH.settings().UseRootPassword)
	resp.Diagnostics.Append(found.missingAsErrors()...)
	if resp.Diagnostics.HasError() {
		return
	}
	conn, diags := r.connection(found.device, plan, "", false, true)
	if diags.HasError() || !conn.Auth.Any() {
		if conn.PasswordWithheld {
			resp.Diagnostics.AddWarning("Device not checked: its host key is not known yet", passwordWithheld(deviceSubject(found.device)))
		}
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	res, err := r.data.machines.FindKey(ctx, conn.Endpoint, found.key.PublicKey())
	switch {
	case err != nil:
		resp.Diagnostics.Append(machineErrorDiagnostic("Could not check the imported attachment", deviceSubject(found.device), conn, err))
	case !res.Found:
		resp.Diagnostics.AddError("Nothing to import",
			fmt.Sprintf("Device %s (%s) has no line with key %s in %s on %s: there is no attachment to import there.",
				found.device.ID, found.device.Hostname, plan.SSHKeyID.ValueString(), res.File, conn.Addr()))
	}
}

// lookedUp is the device and key an attachment names; a nil one was not
// found (404), diags holds other failures.
type lookedUp struct {
	deviceID, keyID string
	device          *metal.Device
	key             *sshkey.Key
	diags           diag.Diagnostics
}

// lookUp reads the device and the key; an empty id is not looked up. The
// device comes from its project's device snapshot and the key from the
// project's key snapshot, so attachments across a project's fleet cost a
// listing each, not GETs (a personal key is not in it and costs the one GET
// that confirms it). fresh reads the device with a GET of its own: its
// root password, which a listing never holds, is about to be used.
func lookUp(ctx context.Context, data *providerData, deviceID, keyID string, fresh bool) lookedUp {
	out := lookedUp{deviceID: deviceID, keyID: keyID}
	client, keys := data.client, data.keys
	if deviceID != "" {
		device, err := deviceOf(ctx, data, deviceID, fresh)
		switch {
		case metal.IsNotFound(err):
			return out
		case err != nil:
			out.diags.AddAttributeError(path.Root("device_id"), "Could not read the device", err.Error())
			return out
		}
		out.device = device
	}
	if keyID == "" {
		return out
	}
	var apiKey *metal.SSHKey
	var err error
	if out.device != nil && out.device.ProjectID != "" {
		apiKey, err = keys.Get(ctx, metal.Owner{Kind: metal.OwnerProject, ID: out.device.ProjectID}, keyID)
	} else {
		apiKey, err = client.GetSSHKey(ctx, keyID)
	}
	switch {
	case metal.IsNotFound(err):
		return out
	case err != nil:
		out.diags.AddAttributeError(path.Root("ssh_key_id"), "Could not read the SSH key", err.Error())
		return out
	}
	key, err := sshkey.Parse([]byte(apiKey.Key), sshkey.Options{})
	if err != nil {
		out.diags.AddAttributeError(path.Root("ssh_key_id"), "The API returned a key that does not parse", err.Error())
		return out
	}
	out.key = key
	return out
}

// deviceOf reads a device through the device snapshots, or with a GET of
// its own when fresh (or when there are no snapshots).
func deviceOf(ctx context.Context, data *providerData, id string, fresh bool) (*metal.Device, error) {
	switch {
	case data.devices == nil:
		return data.client.GetDevice(ctx, id)
	case fresh:
		return data.devices.GetFresh(ctx, id)
	}
	return data.devices.Get(ctx, id)
}

// missingAsErrors is diags plus an error for whichever of the two is missing.
func (l lookedUp) missingAsErrors() diag.Diagnostics {
	diags := l.diags
	if diags.HasError() {
		return diags
	}
	if l.device == nil && l.deviceID != "" {
		diags.AddAttributeError(path.Root("device_id"), "Device not found",
			fmt.Sprintf("There is no device %s, or this API token cannot see it. Check device_id.", l.deviceID))
	} else if l.key == nil && l.keyID != "" {
		diags.AddAttributeError(path.Root("ssh_key_id"), "SSH key not found",
			fmt.Sprintf("There is no SSH key %s, or this API token cannot see it. Check ssh_key_id.", l.keyID))
	}
	return diags
}

func knownOrEmpty(v types.String) string {
	if v.IsUnknown() {
		return ""
	}
	return v.ValueString()
}
