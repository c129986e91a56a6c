package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
)

var (
	_ resource.ResourceWithConfigure      = (*deviceKeyAttachmentResource)(nil)
	_ resource.ResourceWithImportState    = (*deviceKeyAttachmentResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*deviceKeyAttachmentResource)(nil)
	_ resource.ResourceWithValidateConfig = (*deviceKeyAttachmentResource)(nil)
)

// deviceKeyAttachmentResource puts an API key into the authorized_keys of a
// device that already runs, which cloud-init never does after provisioning.
// Its jobs live in device_key_attachment_*.go (schema, plan-time checks,
// create/read/update/delete, diagnostics) and connection_settings.go.
type deviceKeyAttachmentResource struct {
	apiResource
}

// NewDeviceKeyAttachmentResource is packet_device_key_attachment.
func NewDeviceKeyAttachmentResource() resource.Resource { return &deviceKeyAttachmentResource{} }

type attachmentModel struct {
	ID          types.String     `tfsdk:"id"`
	DeviceID    types.String     `tfsdk:"device_id"`
	SSHKeyID    types.String     `tfsdk:"ssh_key_id"`
	SSH         *connectionModel `tfsdk:"ssh"`
	PublicKey   types.String     `tfsdk:"public_key"`
	Provisioned types.Bool       `tfsdk:"provisioned"`
	Address     types.String     `tfsdk:"ssh_address"`
	lineState
}

type connectionModel struct {
	Host                  types.String `tfsdk:"host"`
	Port                  types.Int64  `tfsdk:"port"`
	User                  types.String `tfsdk:"user"`
	PrivateKeyFile        types.String `tfsdk:"private_key_file"`
	PrivateKeyWO          types.String `tfsdk:"private_key_wo"`
	PrivateKeyWOVersion   types.Int64  `tfsdk:"private_key_wo_version"`
	Agent                 types.Bool   `tfsdk:"agent"`
	UseRootPassword       types.Bool   `tfsdk:"use_root_password"`
	HostKey               types.String `tfsdk:"host_key"`
	KnownHostsFile        types.String `tfsdk:"known_hosts_file"`
	InsecureIgnoreHostKey types.Bool   `tfsdk:"insecure_ignore_host_key"`
	AuthorizedKeysPath    types.String `tfsdk:"authorized_keys_path"`
	Jump                  *jumpModel   `tfsdk:"jump"`
}

// settings is the plain-Go view of the `ssh` attribute.
func (c *connectionModel) settings() connectionSettings {
	if c == nil {
		return connectionSettings{}
	}
	s := connectionSettings{
		Host:               c.Host.ValueString(),
		Port:               int(c.Port.ValueInt64()),
		User:               c.User.ValueString(),
		PrivateKeyFile:     c.PrivateKeyFile.ValueString(),
		UseRootPassword:    c.UseRootPassword.ValueBool(),
		HostKey:            c.HostKey.ValueString(),
		KnownHostsFile:     c.KnownHostsFile.ValueString(),
		InsecureIgnore:     c.InsecureIgnoreHostKey.ValueBool(),
		AuthorizedKeysPath: c.AuthorizedKeysPath.ValueString(),
	}
	if !c.Agent.IsNull() && !c.Agent.IsUnknown() {
		v := c.Agent.ValueBool()
		s.Agent = &v
	}
	for _, v := range []interface{ IsUnknown() bool }{c.Host, c.Port, c.User, c.PrivateKeyFile, c.PrivateKeyWO,
		c.Agent, c.UseRootPassword, c.HostKey, c.KnownHostsFile, c.InsecureIgnoreHostKey, c.AuthorizedKeysPath} {
		s.Unknown = s.Unknown || v.IsUnknown()
	}
	var jumpUnknown bool
	s.Jump, jumpUnknown = c.Jump.settings()
	s.Unknown = s.Unknown || jumpUnknown
	return s
}

// lineToWrite is the authorized_keys line this attachment writes for its
// options and key.
func (m *attachmentModel) lineToWrite() string {
	return authorizedkeys.FormatLine(m.writtenOptions(), m.PublicKey.ValueString())
}

// ownsLine: the line is the attachment's to change and remove. State from
// before pre_existing existed takes it from provisioned.
func (m *attachmentModel) ownsLine() bool {
	if m.PreExisting.IsNull() || m.PreExisting.IsUnknown() {
		return !m.Provisioned.ValueBool()
	}
	return !m.PreExisting.ValueBool()
}

func (r *deviceKeyAttachmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_device_key_attachment"
}

func (r *deviceKeyAttachmentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var conn *connectionModel
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, pathSSH, &conn)...)
	if conn == nil || resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(conflictingHostKeySettings(conn.InsecureIgnoreHostKey, conn.HostKey, conn.KnownHostsFile)...)
}

// conflictingHostKeySettings: insecure_ignore_host_key with a strict setting.
func conflictingHostKeySettings(insecure types.Bool, hostKey, knownHosts types.String) diag.Diagnostics {
	var diags diag.Diagnostics
	if !insecure.ValueBool() {
		return nil
	}
	for _, p := range []struct {
		name string
		v    types.String
	}{{"host_key", hostKey}, {"known_hosts_file", knownHosts}} {
		if !p.v.IsNull() {
			diags.AddAttributeError(pathSSHInsecure, "Conflicting host key settings",
				fmt.Sprintf("ssh.insecure_ignore_host_key = true turns the host key check off, while ssh.%s asks for a "+
					"strict check. Keep one of them.", p.name))
		}
	}
	return diags
}

// ImportState takes `<device_id>/<ssh_key_id>`, or the identity of an
// import block. An imported line counts as pre-existing: this state did not
// write it, so destroy leaves it on the device.
func (r *deviceKeyAttachmentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	deviceID, keyID, ok := strings.Cut(req.ID, "/")
	if req.ID == "" && req.Identity != nil {
		var id attachmentIdentity
		resp.Diagnostics.Append(req.Identity.Get(ctx, &id)...)
		if resp.Diagnostics.HasError() {
			return
		}
		deviceID, keyID, ok = id.DeviceID.ValueString(), id.SSHKeyID.ValueString(), true
		if !isUUID(deviceID) || !isUUID(keyID) {
			resp.Diagnostics.AddError("Invalid import identity",
				fmt.Sprintf("identity = { device_id = %q, ssh_key_id = %q }: both must be UUIDs, the device's and the key's.",
					deviceID, keyID))
			return
		}
	}
	if !ok || !isUUID(deviceID) || !isUUID(keyID) {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not <device_id>/<ssh_key_id>: import an attachment by the device's UUID and the key's "+
				"UUID joined by a slash, e.g. 6f1c.../0b7a....", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), deviceID+"/"+keyID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("device_id"), deviceID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ssh_key_id"), keyID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("pre_existing"), true)...)
	if resp.Private != nil { // always set by the framework
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, []byte(`"`+importJustDone+`"`))...)
	}
	resp.Diagnostics.Append(setAttachmentIdentity(ctx, resp.Identity, deviceID, keyID)...)
}

// privateImported marks an attachment whose first look at the device after
// import is still to come: that look takes the line's options as they are.
// importJustDone is set by ImportState; the Read that follows without the
// configuration's ssh settings leaves importCheckAtPlan for the plan.
const (
	privateImported   = "imported"
	importJustDone    = "true"
	importCheckAtPlan = "check-at-plan"
)

// importFlag is the state of the look after import, "" once done.
func importFlag(ctx context.Context, private interface {
	GetKey(context.Context, string) ([]byte, diag.Diagnostics)
},
) string {
	if private == nil {
		return ""
	}
	v, _ := private.GetKey(ctx, privateImported)
	return strings.Trim(string(v), `"`)
}

// authorizedKeysOptionsValidator checks `options` as sshd would parse them.
type authorizedKeysOptionsValidator struct{}

func (authorizedKeysOptionsValidator) Description(context.Context) string {
	return "authorized_keys options, as sshd(8) parses them"
}

func (v authorizedKeysOptionsValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (authorizedKeysOptionsValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	opts, err := authorizedkeys.ParseOptions(req.ConfigValue.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid authorized_keys options",
			err.Error()+". Write them as in authorized_keys, e.g. from=\"10.0.0.0/8\",no-pty.")
		return
	}
	for _, o := range opts {
		if o.Name == "expiry-time" {
			resp.Diagnostics.AddAttributeError(req.Path, "Set the expiry with expires_at",
				"options holds expiry-time; give the time as expires_at (RFC 3339) instead: it is written as expiry-time "+
					"beside the other options, and the plan warns once it has passed.")
		}
	}
}
