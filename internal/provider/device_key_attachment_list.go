package provider

import (
	"context"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/authorizedkeys"
	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

var (
	_ list.ListResource              = (*deviceKeyAttachmentList)(nil)
	_ list.ListResourceWithConfigure = (*deviceKeyAttachmentList)(nil)
)

// deviceKeyAttachmentList finds, for `terraform query` (Terraform 1.14+),
// the lines of a device's authorized_keys whose key is a platform key (one
// of the device's project, or the caller's own), so keys placed by hand can
// be adopted by import. Lines of keys the platform does not know are not
// listed: there is nothing to attach them from.
type deviceKeyAttachmentList struct {
	apiAccess
}

// NewDeviceKeyAttachmentList is the list resource packet_device_key_attachment.
func NewDeviceKeyAttachmentList() list.ListResource { return &deviceKeyAttachmentList{} }

type attachmentListModel struct {
	DeviceID types.String         `tfsdk:"device_id"`
	SSH      *listConnectionModel `tfsdk:"ssh"`
}

// listConnectionModel is connectionModel without the write-only key, which
// a list configuration cannot hold.
type listConnectionModel struct {
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

func (c *listConnectionModel) settings() connectionSettings { return c.asResource().settings() }

// asResource is the resource's `ssh` attribute holding the same settings
// (no write-only key: a list configuration cannot hold one).
func (c *listConnectionModel) asResource() *connectionModel {
	if c == nil {
		return nil
	}
	return &connectionModel{
		Host: c.Host, Port: c.Port, User: c.User, PrivateKeyFile: c.PrivateKeyFile,
		PrivateKeyWO: types.StringNull(), PrivateKeyWOVersion: types.Int64Null(),
		Agent: c.Agent, UseRootPassword: c.UseRootPassword, HostKey: c.HostKey, KnownHostsFile: c.KnownHostsFile,
		InsecureIgnoreHostKey: c.InsecureIgnoreHostKey, AuthorizedKeysPath: c.AuthorizedKeysPath,
	}
}

func (l *deviceKeyAttachmentList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_device_key_attachment"
}

func (l *deviceKeyAttachmentList) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	l.configure(req.ProviderData, &resp.Diagnostics)
}

func (l *deviceKeyAttachmentList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the lines of a device's `authorized_keys` whose key is a platform key — a key of the " +
			"device's project or one of your own — with the attachment's identity, so keys placed by hand can be " +
			"imported. Lines of keys the platform does not know are left out. Logging in works as for the resource " +
			"(the provider's `ssh` block, the agent, a key file, the root password); the host key is checked as " +
			"`ssh` says, else trusted on first use.",
		Attributes: map[string]listschema.Attribute{
			"device_id": listschema.StringAttribute{
				MarkdownDescription: "UUID of the device to look at.",
				Required:            true,
				Validators:          []validator.String{uuidValidator()},
			},
			"ssh": listConnectionSchema(),
		},
	}
}

// listConnectionSchema is the resource's `ssh` attribute, less the
// write-only key: the same names, descriptions and checks.
func listConnectionSchema() listschema.SingleNestedAttribute {
	from := connectionSchema()
	attrs := map[string]listschema.Attribute{}
	for name, a := range from.Attributes {
		switch a := a.(type) {
		case rschema.StringAttribute:
			if !a.WriteOnly {
				attrs[name] = listschema.StringAttribute{MarkdownDescription: a.MarkdownDescription, Optional: true, Validators: a.Validators}
			}
		case rschema.Int64Attribute:
			if name != "private_key_wo_version" {
				attrs[name] = listschema.Int64Attribute{MarkdownDescription: a.MarkdownDescription, Optional: true, Validators: a.Validators}
			}
		case rschema.BoolAttribute:
			attrs[name] = listschema.BoolAttribute{MarkdownDescription: a.MarkdownDescription, Optional: true}
		}
	}
	return listschema.SingleNestedAttribute{MarkdownDescription: from.MarkdownDescription, Optional: true, Attributes: attrs}
}

func (l *deviceKeyAttachmentList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var diags diag.Diagnostics
	var cfg attachmentListModel
	diags.Append(req.Config.Get(ctx, &cfg)...)
	client := l.client(&diags)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	found, diags := l.find(ctx, client, cfg)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		for i, a := range found {
			if req.Limit > 0 && int64(i) >= req.Limit {
				return
			}
			result := req.NewListResult(ctx)
			result.DisplayName = a.displayName()
			if i == 0 {
				result.Diagnostics.Append(diags...) // warnings, once
			}
			result.Diagnostics.Append(setAttachmentIdentity(ctx, result.Identity, a.model.DeviceID.ValueString(), a.model.SSHKeyID.ValueString())...)
			if req.IncludeResource {
				result.Diagnostics.Append(result.Resource.Set(ctx, &a.model)...)
			}
			if !push(result) {
				return
			}
		}
	}
}

// listedAttachment is one line found on the device, as the attachment
// an import of it would read.
type listedAttachment struct {
	model    attachmentModel
	label    string
	hostname string
}

func (a listedAttachment) displayName() string {
	return fmt.Sprintf("%s (%s) on %s", a.label, a.model.FingerprintSHA256.ValueString(), a.hostname)
}

// find reads the device, the platform keys it may hold and its
// authorized_keys, and matches them by key blob.
func (l *deviceKeyAttachmentList) find(ctx context.Context, client *metal.Client, cfg attachmentListModel) ([]listedAttachment, diag.Diagnostics) {
	var diags diag.Diagnostics
	device, err := deviceOf(ctx, l.data, cfg.DeviceID.ValueString(), cfg.SSH.settings().UseRootPassword)
	if metal.IsNotFound(err) {
		diags.AddAttributeError(path.Root("device_id"), "Device not found",
			fmt.Sprintf("There is no device %s, or this API token cannot see it. Check device_id.", cfg.DeviceID.ValueString()))
		return nil, diags
	}
	if err != nil {
		diags.AddAttributeError(path.Root("device_id"), "Could not read the device", err.Error())
		return nil, diags
	}
	keys, err := platformKeys(ctx, client, device.ProjectID)
	if err != nil {
		diags.AddError("Could not list the platform's SSH keys", err.Error())
		return nil, diags
	}

	conn, d := resolveConnection(connectionInputs{
		Resource:   cfg.SSH.settings(),
		Provider:   l.data.ssh,
		Device:     factsOf(device),
		NeedLogin:  true,
		FileExists: localFileReadable,
		KnownPin:   l.data.pins.For,
		Reading:    true, // a query never sends a password to a host not yet pinned
	})
	diags.Append(d...)
	if diags.HasError() {
		return nil, diags
	}
	if !conn.Auth.Any() && conn.PasswordWithheld {
		diags.AddAttributeError(pathSSHHostKey, "Device not read: its host key is not known yet", passwordWithheld(deviceSubject(device)))
		return nil, diags
	}
	ctx, cancel := context.WithTimeout(ctx, sshOperationTimeout)
	defer cancel()
	data, out, err := l.data.machines.ReadKeys(ctx, conn.Endpoint)
	if err != nil {
		diags.Append(machineErrorDiagnostic("Could not read the device's authorized_keys", deviceSubject(device), conn, err))
		return nil, diags
	}
	file := authorizedkeys.Parse(data)

	var found []listedAttachment
	for _, k := range keys {
		parsed, err := sshkey.Parse([]byte(k.Key), sshkey.Options{})
		if err != nil {
			continue // not a key a line could hold
		}
		line, ok := file.Line(parsed.PublicKey())
		if !ok {
			continue
		}
		m := attachmentModel{
			DeviceID: types.StringValue(device.ID),
			SSHKeyID: types.StringValue(k.ID),
			SSH:      cfg.SSH.asResource(), // the generated config reaches the device as the query did
			lineState: lineState{
				Options:       optionsValue(authorizedkeys.LineOptions(line), types.StringNull()),
				PreExisting:   types.BoolValue(true), // imported lines are never removed by destroy
				PinnedHostKey: types.StringNull(),
			},
		}
		fill(&m, device, parsed)
		if out.HostKey != "" && !conn.HostKey.InsecureIgnore {
			m.PinnedHostKey = types.StringValue(out.HostKey)
		}
		found = append(found, listedAttachment{model: m, label: k.Label, hostname: device.Hostname})
	}
	sort.Slice(found, func(i, j int) bool {
		return found[i].label+found[i].model.SSHKeyID.ValueString() < found[j].label+found[j].model.SSHKeyID.ValueString()
	})
	return found, diags
}

// platformKeys are the keys an attachment could name: the project's and the
// caller's own, each once.
func platformKeys(ctx context.Context, client *metal.Client, projectID string) ([]metal.SSHKey, error) {
	var all []metal.SSHKey
	seen := map[string]bool{}
	for _, owner := range []metal.Owner{{Kind: metal.OwnerProject, ID: projectID}, {Kind: metal.OwnerUser}} {
		if owner.Kind == metal.OwnerProject && projectID == "" {
			continue
		}
		keys, err := client.ListSSHKeys(ctx, owner, metal.ListOptions{})
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			if !seen[k.ID] {
				seen[k.ID] = true
				all = append(all, k)
			}
		}
	}
	return all, nil
}
