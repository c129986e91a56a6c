package provider

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

var _ datasource.DataSourceWithConfigure = (*sshKeyListDataSource)(nil)

// sshKeyListDataSource lists a project's or the user's keys, for for_each
// and audits. Output order is stable (name, then id) whatever order the API
// pages come in.
type sshKeyListDataSource struct {
	owner sshKeyOwner
	apiDataSource
}

// NewProjectSSHKeysDataSource is data "packet_project_ssh_keys".
func NewProjectSSHKeysDataSource() datasource.DataSource {
	return &sshKeyListDataSource{owner: projectKeyOwner}
}

// NewUserSSHKeysDataSource is data "packet_user_ssh_keys".
func NewUserSSHKeysDataSource() datasource.DataSource {
	return &sshKeyListDataSource{owner: userKeyOwner}
}

// sshKeyListModel is the list data source's data; see sshKeyOwner.scoped.
type sshKeyListModel struct {
	sshKeyListFields
	ProjectID types.String `tfsdk:"project_id"`
}

// sshKeyListFields are the attributes both kinds of key list have.
type sshKeyListFields struct {
	NameRegex types.String `tfsdk:"name_regex"`
	Algorithm types.String `tfsdk:"algorithm"`
	IDs       types.List   `tfsdk:"ids"`
	Keys      types.List   `tfsdk:"keys"`
}

// regexpFilterDescription documents a regular-expression filter on what.
func regexpFilterDescription(what string) string {
	return "Keep only " + what + " matches this regular expression " +
		"([RE2 syntax](https://github.com/google/re2/wiki/Syntax); unanchored: use `^...$` for a whole-name match)."
}

func (d *sshKeyListDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + d.owner.typeName + "s"
}

func (d *sshKeyListDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := map[string]schema.Attribute{
		"ids": schema.ListAttribute{
			MarkdownDescription: "The ids of the keys in `keys`, in the same order.",
			ElementType:         types.StringType,
			Computed:            true,
		},
		"keys": schema.ListNestedAttribute{
			MarkdownDescription: "The keys, sorted by name and then id so the order only changes when the keys do.",
			Computed:            true,
			NestedObject:        d.item(),
		},
	}
	for name, f := range d.owner.listFilters() {
		attrs[name] = schema.StringAttribute{
			MarkdownDescription: f.doc, Required: f.required, Optional: !f.required, Validators: f.validators,
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the " + d.owner.all + ", optionally filtered by name and algorithm, with every " +
			"attribute of each key. All pages are read: one request per 1000 keys.\n\n" + needsTheAPI,
		Attributes: attrs,
	}
}

// item is one element of keys: a keyItemModel.
func (d *sshKeyListDataSource) item() schema.NestedAttributeObject {
	return schema.NestedAttributeObject{Attributes: withProjectID(d.owner, keyItemAttributes(), schema.Attribute(
		schema.StringAttribute{MarkdownDescription: "UUID of the project the key belongs to.", Computed: true},
	))}
}

func (d *sshKeyListDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m sshKeyListModel
	resp.Diagnostics.Append(req.Config.Get(ctx, d.owner.scoped(&m, &m.sshKeyListFields))...)
	snapshots := d.keys(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	filter, err := newKeyFilter(sshKeyListConfig{NameRegex: m.NameRegex, Algorithm: m.Algorithm}) // the list resource's filters
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("name_regex"), "Invalid name_regex", err.Error())
		return
	}

	owner := metal.Owner{Kind: d.owner.kind, ID: m.ProjectID.ValueString()}
	keys, err := snapshots.List(ctx, owner) // the snapshot the key resources' Reads share
	if err != nil {
		resp.Diagnostics.AddError("Could not list the "+d.owner.noun+"s", err.Error())
		return
	}

	itemTypes := map[string]attr.Type{}
	for name, a := range d.item().Attributes {
		itemTypes[name] = a.GetType()
	}
	items := []attr.Value{}
	ids := []attr.Value{}
	var unreadable []string
	for _, k := range sortedKeys(keys) {
		facts := newKeyFacts(k)
		if facts.parsed == nil {
			unreadable = append(unreadable, k.ID)
		}
		if !filter.keeps(facts) {
			continue
		}
		item, diags := facts.attributes(m.ProjectID).item(ctx)
		resp.Diagnostics.Append(diags...)
		value, diags := types.ObjectValueFrom(ctx, itemTypes, d.owner.scoped(&item, &item.keyItem))
		resp.Diagnostics.Append(diags...)
		items = append(items, value)
		ids = append(ids, types.StringValue(k.ID))
	}
	if len(unreadable) > 0 {
		resp.Diagnostics.AddWarning("Some keys do not parse",
			fmt.Sprintf("The API stores %d key(s) in a form this provider cannot read; their fingerprint_sha256 and "+
				"algorithm are null and an algorithm filter skips them: %s", len(unreadable), strings.Join(unreadable, ", ")))
	}
	if resp.Diagnostics.HasError() {
		return
	}

	list, diags := types.ListValue(types.ObjectType{AttrTypes: itemTypes}, items)
	resp.Diagnostics.Append(diags...)
	idList, diags := types.ListValue(types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	m.Keys, m.IDs = list, idList
	resp.Diagnostics.Append(resp.State.Set(ctx, d.owner.scoped(&m, &m.sshKeyListFields))...)
}

// sortedKeys returns the keys ordered by name, then id (byte order, so the
// result does not depend on the locale).
func sortedKeys(keys []metal.SSHKey) []metal.SSHKey {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b metal.SSHKey) int {
		return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// regexpValidator accepts Go (RE2) regular expressions.
func regexpValidator() validator.String {
	return stringCheck{
		description: "value must be a regular expression in RE2 syntax",
		summary:     "Invalid regular expression",
		check: func(s string) error {
			_, err := regexp.Compile(s)
			return err
		},
	}
}
