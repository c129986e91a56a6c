package provider

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

var _ datasource.DataSourceWithConfigure = (*devicesDataSource)(nil)

// devicesDataSource lists a project's devices, so one key can be attached
// to "all of them" with for_each. Output order is stable (hostname, then id)
// whatever order the API pages come in.
type devicesDataSource struct {
	apiDataSource
}

// NewDevicesDataSource is data "packet_devices".
func NewDevicesDataSource() datasource.DataSource { return &devicesDataSource{} }

type devicesDataModel struct {
	ProjectID     types.String `tfsdk:"project_id"`
	HostnameRegex types.String `tfsdk:"hostname_regex"`
	Tag           types.String `tfsdk:"tag"`
	State         types.String `tfsdk:"state"`
	IDs           types.List   `tfsdk:"ids"`
	Devices       types.List   `tfsdk:"devices"`
}

// deviceListItem is one element of devices: the shared device view and
// the device's tags, which only the project listing gives.
type deviceListItem struct {
	deviceView
	Tags types.Set `tfsdk:"tags"`
}

// deviceStates are the states the API spec lists for a device.
var deviceStates = []string{
	"queued", "provisioning", "deprovisioning", "reinstalling", "active", "inactive", "failed",
	"powering_on", "powering_off", "deleted",
}

func (d *devicesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_devices"
}

func (d *devicesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	item := deviceViewAttributes()
	item["tags"] = schema.SetAttribute{
		MarkdownDescription: "Tags of the device (empty when it has none).",
		ElementType:         types.StringType,
		Computed:            true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the devices (servers) of a project, optionally filtered by hostname, tag and state, " +
			"with what an SSH key attachment needs of each: put one key on \"all of them\" with " +
			"`for_each = toset(data.packet_devices.x.ids)`. The root password is never read into state.\n\n" +
			"Cost: all pages are read, one request per 1000 devices. The listing is kept for 30 seconds: `packet_device` " +
			"lookups of the project's devices in that time are answered from it.\n\n" + needsTheAPI,
		Attributes: map[string]schema.Attribute{
			"project_id": schema.StringAttribute{
				MarkdownDescription: "UUID of the project whose devices are listed.",
				Required:            true,
				Validators:          []validator.String{uuidValidator()},
			},
			"hostname_regex": schema.StringAttribute{
				MarkdownDescription: regexpFilterDescription("devices whose hostname"),
				Optional:            true,
				Validators:          []validator.String{regexpValidator()},
			},
			"tag": schema.StringAttribute{
				MarkdownDescription: "Keep only devices that have this tag (exact match).",
				Optional:            true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"state": schema.StringAttribute{
				MarkdownDescription: "Keep only devices in this state, for instance `active` for devices an attachment " +
					"can log in to. One of the API's states: `" + strings.Join(deviceStates, "`, `") + "`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(deviceStates...)},
			},
			"ids": schema.ListAttribute{
				MarkdownDescription: "The ids of the devices in `devices`, in the same order.",
				ElementType:         types.StringType,
				Computed:            true,
			},
			"devices": schema.ListNestedAttribute{
				MarkdownDescription: "The devices, sorted by hostname and then id so the order only changes when the devices do.",
				Computed:            true,
				NestedObject:        schema.NestedAttributeObject{Attributes: item},
			},
		},
	}
}

func (d *devicesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m devicesDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	devices := d.devices(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var hostnameRegex *regexp.Regexp
	if !m.HostnameRegex.IsNull() {
		hostnameRegex = regexp.MustCompile(m.HostnameRegex.ValueString()) // checked by regexpValidator
	}
	projectID, tag := m.ProjectID.ValueString(), m.Tag.ValueString()

	// The whole project, filtered here: the same listing then answers every
	// attachment's lookup of these devices in this run.
	listed, err := devices.List(ctx, projectID)
	if metal.IsNotFound(err) {
		resp.Diagnostics.AddAttributeError(path.Root("project_id"), "No such project",
			"There is no project with id "+projectID+", or this API token cannot see it.")
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Could not list the project's devices", err.Error())
		return
	}

	var schemaResp datasource.SchemaResponse
	d.Schema(ctx, datasource.SchemaRequest{}, &schemaResp)
	itemType, ok := schemaResp.Schema.Attributes["devices"].(schema.ListNestedAttribute).NestedObject.Type().(types.ObjectType)
	if !ok {
		resp.Diagnostics.AddError("Provider bug", "the devices attribute is not a list of objects")
		return
	}

	items, ids := []attr.Value{}, []attr.Value{}
	for _, dev := range sortedDevices(listed) {
		switch {
		case hostnameRegex != nil && !hostnameRegex.MatchString(dev.Hostname),
			tag != "" && !slices.Contains(dev.Tags, tag),
			!m.State.IsNull() && dev.State != m.State.ValueString():
			continue
		}
		view, diags := newDeviceView(ctx, &dev.Device)
		resp.Diagnostics.Append(diags...)
		tags, diags := types.SetValueFrom(ctx, types.StringType, nonNilStrings(dev.Tags))
		resp.Diagnostics.Append(diags...)
		item, diags := types.ObjectValueFrom(ctx, itemType.AttributeTypes(), deviceListItem{deviceView: view, Tags: tags})
		resp.Diagnostics.Append(diags...)
		items = append(items, item)
		ids = append(ids, view.ID)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	list, diags := types.ListValue(itemType, items)
	resp.Diagnostics.Append(diags...)
	idList, diags := types.ListValue(types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	m.Devices, m.IDs = list, idList
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// sortedDevices orders devices by hostname, then id (byte order, so the
// result does not depend on the locale).
func sortedDevices(devices []metal.ProjectDevice) []metal.ProjectDevice {
	out := slices.Clone(devices)
	slices.SortFunc(out, func(a, b metal.ProjectDevice) int {
		return cmp.Or(cmp.Compare(a.Hostname, b.Hostname), cmp.Compare(a.ID, b.ID))
	})
	return out
}
