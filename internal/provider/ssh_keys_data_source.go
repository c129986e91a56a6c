package provider

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
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

type sshKeyListModel struct {
	NameRegex types.String `tfsdk:"name_regex"`
	Algorithm types.String `tfsdk:"algorithm"`
	IDs       types.List   `tfsdk:"ids"`
	Keys      types.List   `tfsdk:"keys"`
}

type projectSSHKeyListModel struct {
	sshKeyListModel
	ProjectID types.String `tfsdk:"project_id"`
}

// keyAlgorithms are the names ssh-keygen -l (and the algorithm attribute) uses.
var keyAlgorithms = []string{"RSA", "ED25519", "ECDSA", "ED25519-SK", "ECDSA-SK", "DSA"}

// algorithmFilterDescription documents an algorithm filter: the key list
// data sources' and the key list resources'.
var algorithmFilterDescription = "Keep only keys of this algorithm, as `ssh-keygen -l` names it: `" +
	strings.Join(keyAlgorithms, "`, `") + "` (case-insensitive)."

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
		"name_regex": schema.StringAttribute{
			MarkdownDescription: regexpFilterDescription("keys whose name"),
			Optional:            true,
			Validators:          []validator.String{regexpValidator()},
		},
		"algorithm": schema.StringAttribute{
			MarkdownDescription: algorithmFilterDescription,
			Optional:            true,
			Validators:          []validator.String{stringvalidator.OneOfCaseInsensitive(keyAlgorithms...)},
		},
		"ids": schema.ListAttribute{
			MarkdownDescription: "The ids of the keys in `keys`, in the same order.",
			ElementType:         types.StringType,
			Computed:            true,
		},
		"keys": schema.ListNestedAttribute{
			MarkdownDescription: "The keys, sorted by name and then id so the order only changes when the keys do.",
			Computed:            true,
			NestedObject:        schema.NestedAttributeObject{Attributes: d.itemAttributes()},
		},
	}
	summary := "Lists the personal (user) SSH keys of the token's user"
	if d.owner.kind == metal.OwnerProject {
		summary = "Lists the SSH keys of a project"
		attrs["project_id"] = schema.StringAttribute{
			MarkdownDescription: "UUID of the project whose keys are listed.",
			Required:            true,
			Validators:          []validator.String{uuidValidator()},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: summary + ", optionally filtered by name and algorithm, with every attribute of each " +
			"key. All pages are read: one request per 1000 keys.\n\n" + needsTheAPI,
		Attributes: attrs,
	}
}

// itemAttributes are the key attributes of the key resources, all computed.
func (d *sshKeyListDataSource) itemAttributes() map[string]schema.Attribute {
	str := func(desc string) schema.Attribute {
		return schema.StringAttribute{MarkdownDescription: desc, Computed: true}
	}
	attrs := map[string]schema.Attribute{
		"id":                 str("The key's UUID."),
		"name":               str("Name of the key (the API's `label`)."),
		"public_key":         str("The public key as the API stores it (one OpenSSH line)."),
		"fingerprint":        str("MD5 fingerprint in colon-hex form, as the API and the portal show it."),
		"fingerprint_sha256": str("SHA256 fingerprint as `ssh-keygen -l` prints it (`SHA256:...`); null if the stored key does not parse."),
		"algorithm":          str("Key algorithm as `ssh-keygen -l` names it; null if the stored key does not parse."),
		"owner_id":           str("UUID of the key's owner: the project for a project key, the user for a personal key."),
		"created":            str("When the key was created (RFC 3339)."),
		"updated":            str("When the key was last changed (RFC 3339)."),
		"tags": schema.SetAttribute{
			MarkdownDescription: "Tags of the key (empty when it has none).",
			ElementType:         types.StringType,
			Computed:            true,
		},
	}
	if d.owner.kind == metal.OwnerProject {
		attrs["project_id"] = str("UUID of the project the key belongs to.")
	}
	return attrs
}

// itemTypes mirrors itemAttributes for building the list's object values.
func (d *sshKeyListDataSource) itemTypes() map[string]attr.Type {
	attrTypes := map[string]attr.Type{
		"tags": types.SetType{ElemType: types.StringType},
	}
	for _, name := range []string{"id", "name", "public_key", "fingerprint", "fingerprint_sha256", "algorithm", "owner_id", "created", "updated"} {
		attrTypes[name] = types.StringType
	}
	if d.owner.kind == metal.OwnerProject {
		attrTypes["project_id"] = types.StringType
	}
	return attrTypes
}

func (d *sshKeyListDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m projectSSHKeyListModel
	if d.owner.kind == metal.OwnerProject {
		resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	} else {
		resp.Diagnostics.Append(req.Config.Get(ctx, &m.sshKeyListModel)...)
	}
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

	itemType := types.ObjectType{AttrTypes: d.itemTypes()}
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
		item, diags := d.item(ctx, facts, m.ProjectID)
		resp.Diagnostics.Append(diags...)
		items = append(items, item)
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

	list, diags := types.ListValue(itemType, items)
	resp.Diagnostics.Append(diags...)
	idList, diags := types.ListValue(types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	m.Keys, m.IDs = list, idList
	if d.owner.kind == metal.OwnerProject {
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	} else {
		resp.Diagnostics.Append(resp.State.Set(ctx, &m.sshKeyListModel)...)
	}
}

func (d *sshKeyListDataSource) item(ctx context.Context, k keyFacts, project types.String) (attr.Value, diag.Diagnostics) {
	a := k.attributes(project)
	tags, diags := a.tagSet(ctx)
	values := map[string]attr.Value{
		"id":                 a.ID,
		"name":               a.Name,
		"public_key":         a.PublicKey,
		"fingerprint":        a.Fingerprint,
		"fingerprint_sha256": a.FingerprintSHA256,
		"algorithm":          a.Algorithm,
		"owner_id":           a.OwnerID,
		"created":            a.Created,
		"updated":            a.Updated,
		"tags":               tags,
	}
	if d.owner.kind == metal.OwnerProject {
		values["project_id"] = a.ProjectID
	}
	obj, objDiags := types.ObjectValue(d.itemTypes(), values)
	diags.Append(objDiags...)
	return obj, diags
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
