package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// deviceDefaultSSHPort is what ssh_port says when the API names no other port.
const deviceDefaultSSHPort = 22

var (
	_ datasource.DataSourceWithConfigure        = (*deviceDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*deviceDataSource)(nil)
)

// deviceDataSource is the key view of a device: what an attachment or an
// `ssh root@...` needs. The root password is never read into it.
type deviceDataSource struct {
	apiDataSource
}

// NewDeviceDataSource is data "packet_device".
func NewDeviceDataSource() datasource.DataSource { return &deviceDataSource{} }

func (d *deviceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_device"
}

func (d *deviceDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := deviceViewAttributes()
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The device's UUID. Give either `id`, or `project_id` and `hostname`.",
		Optional:            true,
		Computed:            true,
		Validators:          []validator.String{uuidValidator()},
	}
	attrs["project_id"] = schema.StringAttribute{
		MarkdownDescription: "UUID of the device's project. Given with `hostname` to look the device up by name.",
		Optional:            true,
		Computed:            true,
		Validators:          []validator.String{uuidValidator()},
	}
	attrs["hostname"] = schema.StringAttribute{
		MarkdownDescription: "The device's hostname, matched exactly (ignoring case) within `project_id`.",
		Optional:            true,
		Computed:            true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a device (server) for SSH access: its state, public addresses and the SSH keys the " +
			"platform put on it at provisioning. Look it up by `id`, or by `project_id` and `hostname`. The root password " +
			"is never read into state. To list a project's devices, see `packet_devices`.\n\n" +
			"Cost: one listing of the project's devices (one request per 1000 devices), kept for 30 seconds: other lookups " +
			"of the project's devices in that time, by id or by hostname, are answered from it. A lookup by id in a project " +
			"not listed yet costs one request more, which tells the project.\n\n" + needsTheAPI,
		Attributes: attrs,
	}
}

// deviceView is the key view of a device, shared by packet_device and the
// items of packet_devices: what an attachment or an `ssh root@...` needs.
// The root password is deliberately not in it: it would end up in state.
type deviceView struct {
	ID         types.String `tfsdk:"id"`
	ProjectID  types.String `tfsdk:"project_id"`
	Hostname   types.String `tfsdk:"hostname"`
	State      types.String `tfsdk:"state"`
	PublicIPv4 types.String `tfsdk:"public_ipv4"`
	PublicIPv6 types.String `tfsdk:"public_ipv6"`
	SSHKeyIDs  types.List   `tfsdk:"ssh_key_ids"`
	SSHPort    types.Int64  `tfsdk:"ssh_port"`
	Created    types.String `tfsdk:"created"`
}

// deviceViewAttributes is deviceView's schema, all computed.
func deviceViewAttributes() map[string]schema.Attribute {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	return map[string]schema.Attribute{
		"id":          computed("The device's UUID."),
		"project_id":  computed("UUID of the device's project."),
		"hostname":    computed("The device's hostname."),
		"state":       computed("The device's state, such as `provisioning` or `active`."),
		"public_ipv4": computed("The first public IPv4 address; empty when there is none."),
		"public_ipv6": computed("The first public IPv6 address; empty when there is none."),
		"ssh_key_ids": schema.ListAttribute{
			MarkdownDescription: "Ids of the SSH keys the platform put on the device when it was provisioned and that " +
				"still exist, sorted. A key created later is not on the device until it is attached " +
				"(`packet_device_key_attachment`).",
			ElementType: types.StringType,
			Computed:    true,
		},
		"ssh_port": schema.Int64Attribute{
			MarkdownDescription: fmt.Sprintf("The port the device's SSH server listens on: %d unless the API says "+
				"otherwise (`packet-mock` runs its devices on other ports).", deviceDefaultSSHPort),
			Computed: true,
		},
		"created": computed("When the device was created (RFC 3339)."),
	}
}

// newDeviceView maps a device from the API to its view: the one place this
// mapping is written.
func newDeviceView(ctx context.Context, dev *metal.Device) (deviceView, diag.Diagnostics) {
	keyIDs := slices.Sorted(slices.Values(dev.SSHKeyIDs))
	ids, diags := types.ListValueFrom(ctx, types.StringType, nonNilStrings(keyIDs))
	port := dev.SSHPort
	if port == 0 {
		port = deviceDefaultSSHPort
	}
	return deviceView{
		ID:         types.StringValue(dev.ID),
		ProjectID:  types.StringValue(dev.ProjectID),
		Hostname:   types.StringValue(dev.Hostname),
		State:      types.StringValue(dev.State),
		PublicIPv4: types.StringValue(dev.PublicIPv4()),
		PublicIPv6: types.StringValue(dev.PublicIPv6()),
		SSHKeyIDs:  ids,
		SSHPort:    types.Int64Value(int64(port)),
		Created:    types.StringValue(dev.CreatedAt),
	}, diags
}

func (d *deviceDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("hostname")),
		datasourcevalidator.RequiredTogether(path.MatchRoot("project_id"), path.MatchRoot("hostname")),
	}
}

func (d *deviceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m deviceView
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	devices := d.devices(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	var dev *metal.Device
	if !m.ID.IsNull() {
		dev = deviceByID(ctx, devices, m.ID.ValueString(), &resp.Diagnostics)
	} else {
		dev = deviceByHostname(ctx, devices, m.ProjectID.ValueString(), m.Hostname.ValueString(), &resp.Diagnostics)
	}
	if dev == nil {
		return
	}
	view, diags := newDeviceView(ctx, dev)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &view)...)
}

// deviceByID reads the device from its project's snapshot (the first device
// of a project costs a GET and the project's listing, later ones nothing).
func deviceByID(ctx context.Context, devices *metal.DeviceSnapshots, id string, diags *diag.Diagnostics) *metal.Device {
	dev, err := devices.Get(ctx, id)
	switch {
	case metal.IsNotFound(err):
		diags.AddAttributeError(path.Root("id"), "No such device",
			fmt.Sprintf("There is no device with id %s, or this API token cannot see it.", id))
		return nil
	case err != nil:
		diags.AddError("Could not read the device", err.Error())
		return nil
	}
	return dev
}

// deviceByHostname looks the hostname up in the project's snapshot (one
// listing per 1000 devices, shared with every other device lookup in the
// project) and insists on exactly one exact match.
func deviceByHostname(ctx context.Context, devices *metal.DeviceSnapshots, projectID, hostname string, diags *diag.Diagnostics) *metal.Device {
	listed, err := devices.List(ctx, projectID)
	if metal.IsNotFound(err) {
		diags.AddAttributeError(path.Root("project_id"), "No such project",
			fmt.Sprintf("There is no project with id %s, or this API token cannot see it.", projectID))
		return nil
	}
	if err != nil {
		diags.AddError("Could not list the project's devices", err.Error())
		return nil
	}
	var matches, similar []metal.Device
	for _, dev := range listed {
		switch {
		case strings.EqualFold(dev.Hostname, hostname):
			matches = append(matches, dev.Device)
		case strings.Contains(strings.ToLower(dev.Hostname), strings.ToLower(hostname)):
			similar = append(similar, dev.Device)
		}
	}
	switch len(matches) {
	case 1:
		return &matches[0]
	case 0:
		detail := fmt.Sprintf("No device in project %s has hostname %q.", projectID, hostname)
		if len(similar) > 0 {
			detail += " Devices whose hostname contains it (id, hostname, state):\n" + describeDevices(similar)
		}
		diags.AddAttributeError(path.Root("hostname"), "No matching device", detail)
	default:
		diags.AddAttributeError(path.Root("hostname"), "More than one matching device",
			fmt.Sprintf("%d devices in project %s have hostname %q; look the device up by id instead. "+
				"Candidates (id, hostname, state):\n%s", len(matches), projectID, hostname, describeDevices(matches)))
	}
	return nil
}

func describeDevices(devices []metal.Device) string {
	lines := make([]string, 0, len(devices))
	for i, dev := range devices {
		if i == maxCandidatesShown {
			lines = append(lines, fmt.Sprintf("  ... and %d more", len(devices)-i))
			break
		}
		lines = append(lines, fmt.Sprintf("  - id %s, hostname %q, state %s", dev.ID, dev.Hostname, dev.State))
	}
	return strings.Join(lines, "\n")
}
