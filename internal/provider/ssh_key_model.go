package provider

import (
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// The one key model. A computed key attribute is a field of keyComputed, a
// line of keyComputedAttributes and a line of keyFacts.attributes; the key
// resources, the lookup and the list data sources and the list resources
// all take it from there.

// keyComputed are the attributes the API or the key itself determine:
// computed in every key schema.
type keyComputed struct {
	ID                types.String `tfsdk:"id"`
	Fingerprint       types.String `tfsdk:"fingerprint"`
	FingerprintSHA256 types.String `tfsdk:"fingerprint_sha256"`
	Algorithm         types.String `tfsdk:"algorithm"`
	OwnerID           types.String `tfsdk:"owner_id"`
	Created           types.String `tfsdk:"created"`
	Updated           types.String `tfsdk:"updated"`
}

// keyComputedAttribute describes one keyComputed attribute for every key schema.
type keyComputedAttribute struct {
	name string
	doc  string // what it is; the ending follows
	// How the description ends on the key resources and on the data
	// sources, which may read keys the API stores in a form that does not parse.
	onResource, onData string
	// changesInPlace: an update changes it, so plans do not keep the prior value.
	changesInPlace bool
}

var keyComputedAttributes = []keyComputedAttribute{
	{name: "id", doc: "The key's UUID."},
	{
		name: "fingerprint", doc: "MD5 fingerprint in colon-hex form, as the API and the portal show it",
		onResource: ". Known at plan time.", onData: ".",
	},
	{
		name: "fingerprint_sha256", doc: "SHA256 fingerprint as `ssh-keygen -l` prints it (`SHA256:...`)",
		onResource: ". Known at plan time.", onData: "; null if the stored key does not parse.",
	},
	{
		name: "algorithm", doc: "Key algorithm as `ssh-keygen -l` names it: `RSA`, `ED25519`, `ECDSA`, `ECDSA-SK`, `ED25519-SK`",
		onResource: ".", onData: "; null if the stored key does not parse.",
	},
	{name: "owner_id", doc: "UUID of the key's owner: the project for a project key, the user for a personal key."},
	{name: "created", doc: "When the key was created (RFC 3339)."},
	{name: "updated", doc: "When the key was last changed (RFC 3339).", changesInPlace: true},
}

// computedKeyResourceAttributes are keyComputed's attributes in a key resource's schema.
func computedKeyResourceAttributes() map[string]rschema.Attribute {
	attrs := map[string]rschema.Attribute{}
	for _, a := range keyComputedAttributes {
		s := rschema.StringAttribute{MarkdownDescription: a.doc + a.onResource, Computed: true}
		if !a.changesInPlace {
			s.PlanModifiers = []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
		}
		attrs[a.name] = s
	}
	return attrs
}

// keyItem is a key as the data sources show it: the lookup's result and one
// element of the list data sources' keys.
type keyItem struct {
	keyComputed
	Name      types.String `tfsdk:"name"`
	PublicKey types.String `tfsdk:"public_key"`
	Tags      types.Set    `tfsdk:"tags"`
}

// keyItemModel is a keyItem with the project of a project key; see sshKeyOwner.scoped.
type keyItemModel struct {
	keyItem
	ProjectID types.String `tfsdk:"project_id"`
}

// keyItemAttributes are keyItem's attributes, all computed; the lookup makes
// some of them its inputs.
func keyItemAttributes() map[string]dsschema.Attribute {
	attrs := map[string]dsschema.Attribute{
		"name":       dsschema.StringAttribute{MarkdownDescription: "Name of the key (the API's `label`).", Computed: true},
		"public_key": dsschema.StringAttribute{MarkdownDescription: "The public key as the API stores it (one OpenSSH line).", Computed: true},
		"tags": dsschema.SetAttribute{
			MarkdownDescription: "Tags of the key (empty when it has none).",
			ElementType:         types.StringType,
			Computed:            true,
		},
	}
	for _, a := range keyComputedAttributes {
		attrs[a.name] = dsschema.StringAttribute{MarkdownDescription: a.doc + a.onData, Computed: true}
	}
	return attrs
}

// stringAttributeSpec is a string attribute of a key list's configuration,
// which the list data sources and the list resources declare alike in
// their own schema packages.
type stringAttributeSpec struct {
	doc        string
	required   bool
	validators []validator.String
}

// keyAlgorithms are the names ssh-keygen -l (and the algorithm attribute) uses.
var keyAlgorithms = []string{"RSA", "ED25519", "ECDSA", "ED25519-SK", "ECDSA-SK", "DSA"}

// listFilters are the configuration the list data sources and the list
// resources share: the owner's project and the name and algorithm filters.
func (o sshKeyOwner) listFilters() map[string]stringAttributeSpec {
	return withProjectID(o, map[string]stringAttributeSpec{
		"name_regex": {doc: regexpFilterDescription("keys whose name"), validators: []validator.String{regexpValidator()}},
		"algorithm": {
			doc: "Keep only keys of this algorithm, as `ssh-keygen -l` names it: `" +
				strings.Join(keyAlgorithms, "`, `") + "` (case-insensitive).",
			validators: []validator.String{stringvalidator.OneOfCaseInsensitive(keyAlgorithms...)},
		},
	}, stringAttributeSpec{
		doc: "UUID of the project whose keys are listed.", required: true, validators: []validator.String{uuidValidator()},
	})
}

// sshKeyOwner is the kind of key a resource or data source is about: what
// differs between project and personal keys is decided here, once.
type sshKeyOwner struct {
	kind      metal.OwnerKind
	typeName  string // resource type without the provider prefix
	noun      string // for messages: "project key" or "personal key"
	summary   string // first sentence of the resource's docs
	otherType string // the resource to use for the other kind of key
	// one and all name the keys in the data sources' docs: one of them, all of them.
	one, all string
	// where names the searched keys in messages, followed by the project's id
	// (empty for personal keys).
	where string
	// moveSources are the earlier providers' types whose state a moved
	// block may bring here. The provider is matched by its type only, so a
	// mirror or another registry host works too. All of them wrote schema
	// version 0.
	moveSources []moveSource
	// deprecation, when set, marks the resource type deprecated (the alias).
	deprecation string
}

var (
	projectKeyOwner = sshKeyOwner{
		kind:      metal.OwnerProject,
		typeName:  "project_ssh_key",
		noun:      "project key",
		summary:   "A project SSH key: put on the new servers of one project (not on servers that already run: see `packet_device_key_attachment`).",
		otherType: "packet_user_ssh_key",
		one:       "SSH key of a project",
		all:       "SSH keys of a project",
		where:     "in project ",
		moveSources: []moveSource{
			{provider: "equinix", typeName: "equinix_metal_project_ssh_key"},
		},
	}
	userKeyOwner = sshKeyOwner{
		kind:      metal.OwnerUser,
		typeName:  "user_ssh_key",
		noun:      "personal key",
		summary:   "A personal (user) SSH key: put on new servers in every project the token's user owns or collaborates on (not on servers that already run: see `packet_device_key_attachment`).",
		otherType: "packet_project_ssh_key",
		one:       "personal (user) SSH key of the token's user",
		all:       "personal (user) SSH keys of the token's user",
		where:     "of this token's user",
		moveSources: []moveSource{
			{provider: "packet", typeName: "packet_ssh_key"},         // packethost/packet, and our own alias
			{provider: "equinix", typeName: "equinix_metal_ssh_key"}, // equinix/equinix up to v4
		},
	}
	keyOwners = map[metal.OwnerKind]sshKeyOwner{metal.OwnerProject: projectKeyOwner, metal.OwnerUser: userKeyOwner}
)

// inProject: project keys belong to a project, which their schemas name in
// project_id; personal keys have no such attribute.
func (o sshKeyOwner) inProject() bool { return o.kind == metal.OwnerProject }

// scoped is what crosses the framework for a model that embeds the part
// every kind has (without) and adds project_id (whole): whole for project
// keys, without for personal keys, whose ProjectID then stays null.
func (o sshKeyOwner) scoped(whole, without any) any {
	if o.inProject() {
		return whole
	}
	return without
}

// withProjectID adds a project_id attribute to a project key's schema.
func withProjectID[A any](o sshKeyOwner, attrs map[string]A, projectID A) map[string]A {
	if o.inProject() {
		attrs["project_id"] = projectID
	}
	return attrs
}

// ownerNoun names a key of the given kind in messages.
func ownerNoun(kind metal.OwnerKind) string { return keyOwners[kind].noun }
