package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/packethost/terraform-provider-packet/internal/machine"
	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

const (
	defaultSSHUser            = "root"
	defaultSSHPort            = 22
	defaultAuthorizedKeysPath = ".ssh/authorized_keys"
	sshOperationTimeout       = 2 * time.Minute
)

var (
	_ resource.ResourceWithConfigure   = (*deviceKeyAttachmentResource)(nil)
	_ resource.ResourceWithImportState = (*deviceKeyAttachmentResource)(nil)
)

// deviceKeyAttachmentResource puts an API key into the authorized_keys of a
// device that already runs, which cloud-init never does after provisioning.
type deviceKeyAttachmentResource struct {
	apiResource
}

// NewDeviceKeyAttachmentResource is packet_device_key_attachment.
func NewDeviceKeyAttachmentResource() resource.Resource { return &deviceKeyAttachmentResource{} }

type attachmentModel struct {
	ID                types.String     `tfsdk:"id"`
	DeviceID          types.String     `tfsdk:"device_id"`
	SSHKeyID          types.String     `tfsdk:"ssh_key_id"`
	SSH               *connectionModel `tfsdk:"ssh"`
	PublicKey         types.String     `tfsdk:"public_key"`
	Fingerprint       types.String     `tfsdk:"fingerprint"`
	FingerprintSHA256 types.String     `tfsdk:"fingerprint_sha256"`
	Provisioned       types.Bool       `tfsdk:"provisioned"`
}

type connectionModel struct {
	Host                  types.String `tfsdk:"host"`
	Port                  types.Int64  `tfsdk:"port"`
	User                  types.String `tfsdk:"user"`
	PrivateKeyFile        types.String `tfsdk:"private_key_file"`
	Agent                 types.Bool   `tfsdk:"agent"`
	UseRootPassword       types.Bool   `tfsdk:"use_root_password"`
	HostKey               types.String `tfsdk:"host_key"`
	KnownHostsFile        types.String `tfsdk:"known_hosts_file"`
	InsecureIgnoreHostKey types.Bool   `tfsdk:"insecure_ignore_host_key"`
	AuthorizedKeysPath    types.String `tfsdk:"authorized_keys_path"`
}

func (r *deviceKeyAttachmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_device_key_attachment"
}

func (r *deviceKeyAttachmentResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Puts an SSH key into the `authorized_keys` of a device that already runs, and takes it out " +
			"again on destroy. The platform copies keys onto a server only when it is provisioned; this resource does " +
			"what its guide says to do by hand (log in, append the key), over SSH/SFTP, keeping every other line of the " +
			"file as it is.\n\nCredentials are never stored in state. They are tried in this order: the provider's " +
			"`ssh { private_key }`, the ssh-agent, a private key file (this resource's `ssh.private_key_file`, then the " +
			"provider's `ssh { private_key_file }`), and the device's root password read from the API at the moment of use " +
			"(`ssh.use_root_password`; the API shows it for 24 hours after provisioning).\n\n" +
			"Import by `<device_id>/<ssh_key_id>`.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "`<device_id>/<ssh_key_id>`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"device_id": schema.StringAttribute{
				MarkdownDescription: "UUID of the device. Changing it replaces the attachment.",
				Required:            true,
				Validators:          []validator.String{uuidValidator()},
				PlanModifiers:       replace,
			},
			"ssh_key_id": schema.StringAttribute{
				MarkdownDescription: "UUID of the project or personal key to put on the device. Changing it replaces the attachment.",
				Required:            true,
				Validators:          []validator.String{uuidValidator()},
				PlanModifiers:       replace,
			},
			"ssh": connectionSchema(),
			"public_key": schema.StringAttribute{
				MarkdownDescription: "The key line written to `authorized_keys`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"fingerprint": schema.StringAttribute{
				MarkdownDescription: "MD5 fingerprint of the key (colon hex, as the API shows it).",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"fingerprint_sha256": schema.StringAttribute{
				MarkdownDescription: "SHA256 fingerprint of the key, as `ssh-keygen -l` prints it.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"provisioned": schema.BoolAttribute{
				MarkdownDescription: "Whether the API lists the key among the keys the platform put on the device when it " +
					"was provisioned. Information only: the attachment works either way.",
				Computed: true,
			},
		},
	}
}

func connectionSchema() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "How to reach the device over SSH (the design called this `connection`; Terraform reserves " +
			"that name for provisioners). Everything is optional; the defaults reach a device by its public IPv4 as " +
			"`root` with the provider's `ssh` block credentials, checking its host key.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"host": schema.StringAttribute{
				MarkdownDescription: "Host to connect to. Default: the device's public IPv4 from the API.",
				Optional:            true,
			},
			"port": schema.Int64Attribute{
				MarkdownDescription: "SSH port. Default 22 (or the port the API reports, as `packet-mock` does).",
				Optional:            true,
				Validators:          []validator.Int64{int64validator.Between(1, 65535)},
			},
			"user": schema.StringAttribute{
				MarkdownDescription: "User whose `authorized_keys` is edited. Default: the provider's `ssh { user }`, else `root`.",
				Optional:            true,
			},
			"private_key_file": schema.StringAttribute{
				MarkdownDescription: "Private key file to log in with (`~` is expanded). The path is kept in state, never the key.",
				Optional:            true,
			},
			"agent": schema.BoolAttribute{
				MarkdownDescription: "Use the ssh-agent at `SSH_AUTH_SOCK`. Default: the provider's `ssh { agent }`, else whether `SSH_AUTH_SOCK` is set.",
				Optional:            true,
			},
			"use_root_password": schema.BoolAttribute{
				MarkdownDescription: "Log in with the device's root password, read from the API at the moment of use and " +
					"never stored. The API shows it only for 24 hours after provisioning.",
				Optional: true,
			},
			"host_key": schema.StringAttribute{
				MarkdownDescription: "The device's SSH host key (an OpenSSH public key line). Default: the host key the " +
					"API reports, else `known_hosts_file`.",
				Optional: true,
			},
			"known_hosts_file": schema.StringAttribute{
				MarkdownDescription: "A `known_hosts` file to check the host key against. Default: the provider's `ssh { known_hosts_file }`.",
				Optional:            true,
			},
			"insecure_ignore_host_key": schema.BoolAttribute{
				MarkdownDescription: "Skip the host key check. Anyone between you and the device could then read the " +
					"session; use it only on networks you trust. A warning says it is on.",
				Optional: true,
			},
			"authorized_keys_path": schema.StringAttribute{
				MarkdownDescription: "The file to edit, relative to the user's home. Default `.ssh/authorized_keys`.",
				Optional:            true,
			},
		},
	}
}

func (r *deviceKeyAttachmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	client := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	device, key, diags := r.lookUp(ctx, client, plan.DeviceID.ValueString(), plan.SSHKeyID.ValueString())
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if device.State != "active" {
		resp.Diagnostics.AddAttributeError(path.Root("device_id"), "Device is not active",
			fmt.Sprintf("Device %s (%s) is %q; a key can be attached once it is active.", device.ID, device.Hostname, device.State))
		return
	}
	target, policy, creds, diags := r.session(device, plan.SSH, true)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	if _, err := machine.AddKey(ctx, target, policy, creds, key.Line(), key.PublicKey()); err != nil {
		resp.Diagnostics.AddError("Could not add the key to the device", describeMachineError(device, err))
		return
	}
	r.fill(&plan, device, key)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *deviceKeyAttachmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state attachmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	client := r.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	device, key, diags := r.lookUp(ctx, client, state.DeviceID.ValueString(), state.SSHKeyID.ValueString())
	if device == nil || key == nil {
		if !diags.HasError() { // gone: forget it, the plan shows it again if configured
			resp.State.RemoveResource(ctx)
			return
		}
		resp.Diagnostics.Append(diags...)
		return
	}
	r.fill(&state, device, key)

	target, policy, creds, diags := r.session(device, state.SSH, false)
	if diags.HasError() || !hasCredentials(creds) {
		// No way to look at the machine now (e.g. the root password is no
		// longer shown): keep what state says rather than guess.
		tflog.Info(ctx, "skipping the on-machine check of the attachment: no usable credentials")
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	present, err := machine.HasKey(ctx, target, policy, creds, key.PublicKey())
	switch {
	case err != nil:
		resp.Diagnostics.AddWarning("Could not check the device",
			describeMachineError(device, err)+"\n\nThe attachment is kept in state as it was.")
	case !present:
		tflog.Warn(ctx, "key line no longer on the device; removing the attachment from state", map[string]any{"id": state.ID.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update only changes how the device is reached; the key stays as it is.
func (r *deviceKeyAttachmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.SSH = plan.SSH
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *deviceKeyAttachmentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state attachmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
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
	key, err := sshkey.Parse([]byte(state.PublicKey.ValueString()), sshkey.Options{})
	if err != nil {
		resp.Diagnostics.AddError("The attachment's key in state does not parse", err.Error())
		return
	}
	target, policy, creds, diags := r.session(device, state.SSH, true)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	if _, err := machine.RemoveKey(ctx, target, policy, creds, key.PublicKey()); err != nil {
		resp.Diagnostics.AddError("Could not remove the key from the device", describeMachineError(device, err))
	}
}

func (r *deviceKeyAttachmentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	deviceID, keyID, ok := strings.Cut(req.ID, "/")
	if !ok || !isUUID(deviceID) || !isUUID(keyID) {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not <device_id>/<ssh_key_id>: import an attachment by the device's UUID and the key's "+
				"UUID joined by a slash, e.g. 6f1c.../0b7a....", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("device_id"), deviceID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ssh_key_id"), keyID)...)
}

// lookUp reads the device and the key. A 404 of either comes back as a nil
// value with no error diagnostic; callers decide what "gone" means.
func (r *deviceKeyAttachmentResource) lookUp(ctx context.Context, client *metal.Client, deviceID, keyID string) (*metal.Device, *sshkey.Key, diag.Diagnostics) {
	var diags diag.Diagnostics
	device, err := client.GetDevice(ctx, deviceID)
	if err != nil {
		if metal.IsNotFound(err) {
			diags.AddAttributeWarning(path.Root("device_id"), "Device not found", fmt.Sprintf("Device %s does not exist or this token cannot see it.", deviceID))
		} else {
			diags.AddError("Could not read the device", err.Error())
		}
		return nil, nil, diags
	}
	apiKey, err := client.GetSSHKey(ctx, keyID)
	if err != nil {
		if metal.IsNotFound(err) {
			diags.AddAttributeWarning(path.Root("ssh_key_id"), "SSH key not found", fmt.Sprintf("Key %s does not exist or this token cannot see it.", keyID))
		} else {
			diags.AddError("Could not read the SSH key", err.Error())
		}
		return device, nil, diags
	}
	key, err := sshkey.Parse([]byte(apiKey.Key), sshkey.Options{})
	if err != nil {
		diags.AddError("The API returned a key that does not parse", err.Error())
		return device, nil, diags
	}
	return device, key, diags
}

func (r *deviceKeyAttachmentResource) fill(m *attachmentModel, device *metal.Device, key *sshkey.Key) {
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

// session resolves where and how to connect: the resource's connection
// settings first, then the provider's ssh block, then what the API says.
func (r *deviceKeyAttachmentResource) session(device *metal.Device, conn *connectionModel, strict bool) (machine.Target, machine.HostKeyPolicy, machine.Credentials, diag.Diagnostics) {
	var diags diag.Diagnostics
	if conn == nil {
		conn = &connectionModel{}
	}
	defaults := r.data.ssh

	target := machine.Target{
		Host:               firstNonEmpty(conn.Host.ValueString(), device.PublicIPv4()),
		Port:               defaultSSHPort,
		User:               firstNonEmpty(conn.User.ValueString(), defaults.User, defaultSSHUser),
		AuthorizedKeysPath: firstNonEmpty(conn.AuthorizedKeysPath.ValueString(), defaultAuthorizedKeysPath),
		Timeout:            30 * time.Second,
	}
	switch {
	case !conn.Port.IsNull():
		target.Port = int(conn.Port.ValueInt64())
	case device.SSHPort != 0 && conn.Host.IsNull():
		target.Port = device.SSHPort
	}
	if target.Host == "" {
		diags.AddError("No address for the device",
			fmt.Sprintf("Device %s (%s) has no public IPv4 address: set ssh.host.", device.ID, device.Hostname))
	}

	policy := machine.HostKeyPolicy{
		HostKey:        firstNonEmpty(conn.HostKey.ValueString(), device.SSHHostKey),
		KnownHostsFile: firstNonEmpty(conn.KnownHostsFile.ValueString(), defaults.KnownHostsFile),
		InsecureIgnore: conn.InsecureIgnoreHostKey.ValueBool(),
	}
	if policy.InsecureIgnore {
		diags.AddWarning("Host key check is off",
			"ssh.insecure_ignore_host_key is true: the device's identity is not checked, so anyone between "+
				"Terraform and the device could take over the session. Set ssh.host_key or known_hosts_file instead.")
	}

	creds := machine.Credentials{
		PrivateKeyPEM:  []byte(defaults.PrivateKey),
		PrivateKeyFile: firstNonEmpty(conn.PrivateKeyFile.ValueString(), defaults.PrivateKeyFile),
		UseAgent:       os.Getenv("SSH_AUTH_SOCK") != "",
	}
	if defaults.Agent != nil {
		creds.UseAgent = *defaults.Agent
	}
	if !conn.Agent.IsNull() {
		creds.UseAgent = conn.Agent.ValueBool()
	}
	if conn.UseRootPassword.ValueBool() {
		if device.RootPassword == "" {
			if strict {
				diags.AddAttributeError(path.Root("ssh").AtName("use_root_password"), "Root password not available",
					fmt.Sprintf("The API no longer shows the root password of device %s (%s): it does so only for 24 hours "+
						"after provisioning. Log in with a key instead (ssh.private_key_file, the ssh-agent, or the "+
						"provider's ssh block).", device.ID, device.Hostname))
			}
		} else {
			creds.Password = device.RootPassword
		}
	}
	if strict && !hasCredentials(creds) && !diags.HasError() {
		diags.AddError("No SSH credentials",
			"Nothing to log in to the device with: set private_key or private_key_file in the provider's ssh block, "+
				"this resource's ssh.private_key_file, run an ssh-agent (SSH_AUTH_SOCK), or set ssh.use_root_password "+
				"within 24 hours of provisioning.")
	}
	return target, policy, creds, diags
}

// describeMachineError adds the device to the machine package's message,
// which already says what failed and never carries a secret.
func describeMachineError(device *metal.Device, err error) string {
	msg := fmt.Sprintf("Device %s (%s): %v", device.ID, device.Hostname, err)
	var mismatch *machine.HostKeyMismatchError
	if errors.As(err, &mismatch) {
		msg += "\n\nNothing was written. If the device was reinstalled, update ssh.host_key or known_hosts_file."
	}
	return msg
}

func hasCredentials(c machine.Credentials) bool {
	return len(c.PrivateKeyPEM) > 0 || c.PrivateKeyFile != "" || c.UseAgent || c.Password != ""
}
