package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

var (
	_ datasource.DataSourceWithConfigure        = (*sshKeyLookupDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*sshKeyLookupDataSource)(nil)
)

// sshKeyLookupDataSource finds one existing key by exactly one of id, name,
// fingerprint or public key. The project and the personal variant differ
// only in owner, as the key resources do.
type sshKeyLookupDataSource struct {
	owner sshKeyOwner
	apiDataSource
}

// NewProjectSSHKeyDataSource is data "packet_project_ssh_key".
func NewProjectSSHKeyDataSource() datasource.DataSource {
	return &sshKeyLookupDataSource{owner: projectKeyOwner}
}

// NewUserSSHKeyDataSource is data "packet_user_ssh_key".
func NewUserSSHKeyDataSource() datasource.DataSource {
	return &sshKeyLookupDataSource{owner: userKeyOwner}
}

func (d *sshKeyLookupDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + d.owner.typeName
}

func (d *sshKeyLookupDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	const pickOne = " Exactly one of `id`, `name`, `fingerprint` and `public_key` is given; the others are computed."
	attrs := keyItemAttributes()
	// What the key is looked up by: given or computed.
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "The key's UUID." + pickOne,
		Optional:            true,
		Computed:            true,
		Validators:          []validator.String{uuidValidator()},
	}
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "Name of the key (the API's `label`), matched exactly (case-sensitive)." + pickOne,
		Optional:            true,
		Computed:            true,
	}
	attrs["fingerprint"] = schema.StringAttribute{
		MarkdownDescription: "To look up by: the MD5 fingerprint in colon-hex form (`aa:bb:...`, as the portal shows it; " +
			"an `MD5:` prefix is allowed) or the SHA256 form `ssh-keygen -l` prints (`SHA256:...`); the form is detected." +
			pickOne + " Read back, it is always the MD5 form, as on the key resources.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{fingerprintLookupValidator()},
	}
	attrs["public_key"] = schema.StringAttribute{
		MarkdownDescription: "To look up by: the public key in any form `packet_ssh_public_key` reads that holds no " +
			"secret (OpenSSH line, RFC 4716 block, PEM public key). Matched by key, not by text: another comment or " +
			"form of the same key matches." + pickOne + " Read back, it is the key as the API stores it.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{publicKeyLookupValidator()},
	}
	withProjectID(d.owner, attrs, schema.Attribute(schema.StringAttribute{
		MarkdownDescription: "UUID of the project whose keys are searched.",
		Required:            true,
		Validators:          []validator.String{uuidValidator()},
	}))
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up one existing " + d.owner.one + " by exactly one of `id`, `name`, `fingerprint` (MD5 or SHA256 form) or " +
			"`public_key`, and reads all its attributes. No match, or more than one, is an error that lists the " +
			"candidates (id, name, fingerprint).\n\nCost: a lookup by `id` is one request; by `name`, an MD5 " +
			"`fingerprint` or `public_key` one search request; by a SHA256 `fingerprint` one request per " +
			"1000 keys (the API cannot search by it).\n\n" + needsTheAPI,
		Attributes: attrs,
	}
}

func (d *sshKeyLookupDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(
			path.MatchRoot("id"), path.MatchRoot("name"), path.MatchRoot("fingerprint"), path.MatchRoot("public_key"),
		),
	}
}

func (d *sshKeyLookupDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m keyItemModel
	resp.Diagnostics.Append(req.Config.Get(ctx, d.owner.scoped(&m, &m.keyItem))...)
	client := d.client(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	owner := metal.Owner{Kind: d.owner.kind, ID: m.ProjectID.ValueString()}

	var found *metal.SSHKey
	if !m.ID.IsNull() {
		found = d.byID(ctx, client, owner, m.ID.ValueString(), &resp.Diagnostics)
	} else {
		query, err := d.queryFrom(m.keyItem)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(query.attr), "Invalid lookup value", err.Error())
			return
		}
		found = d.search(ctx, client, owner, query, &resp.Diagnostics)
	}
	if found == nil {
		return
	}

	facts := newKeyFacts(*found)
	if facts.parsed == nil {
		resp.Diagnostics.AddWarning("The API's key does not parse",
			fmt.Sprintf("Key %s is stored in a form this provider cannot read, so fingerprint_sha256 and algorithm are null: %v",
				found.ID, facts.parseErr))
	}
	item, diags := facts.attributes(m.ProjectID).item(ctx)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(resp.State.Set(ctx, d.owner.scoped(&item, &item.keyItem))...)
}

// byID reads the key directly (one request) and checks it is the kind of
// key, and in the project, this data source is about.
func (d *sshKeyLookupDataSource) byID(ctx context.Context, client *metal.Client, owner metal.Owner, id string, diags *diag.Diagnostics) *metal.SSHKey {
	got, err := client.GetSSHKey(ctx, id)
	switch {
	case metal.IsNotFound(err):
		diags.AddAttributeError(path.Root("id"), "No such "+d.owner.noun,
			fmt.Sprintf("There is no key with id %s, or this API token cannot see it.", id))
		return nil
	case err != nil:
		diags.AddError("Could not read the "+d.owner.noun, err.Error())
		return nil
	}
	if got.Owner.Kind != d.owner.kind {
		hint := "look it up with data \"" + d.owner.otherType + "\""
		if got.Owner.Kind == metal.OwnerProject {
			hint += fmt.Sprintf(" (project_id = %q)", got.Owner.ID)
		}
		diags.AddAttributeError(path.Root("id"), "Wrong data source for this key",
			fmt.Sprintf("Key %s (%q) is a %s, not a %s: %s instead of data \"packet_%s\".",
				got.ID, got.Label, ownerNoun(got.Owner.Kind), d.owner.noun, hint, d.owner.typeName))
		return nil
	}
	if owner.ID != "" && got.Owner.ID != owner.ID { // a project key of another project
		diags.AddAttributeError(path.Root("id"), "Key belongs to another project",
			fmt.Sprintf("Key %s (%q) belongs to project %s, not to project %s (project_id).",
				got.ID, got.Label, got.Owner.ID, owner.ID))
		return nil
	}
	return got
}

// keyQuery is a lookup by anything but id: what to ask the API to search
// for (narrowing the list) and the exact test applied to what comes back.
type keyQuery struct {
	attr     string // the attribute looked up by
	describe string // for messages, e.g. `name "deploy"`
	search   string // the API's search term; "" lists all keys
	matches  func(keyFacts) bool
}

func (d *sshKeyLookupDataSource) queryFrom(m keyItem) (keyQuery, error) {
	switch {
	case !m.Name.IsNull():
		name := m.Name.ValueString()
		return keyQuery{
			attr: "name", describe: fmt.Sprintf("name %q", name), search: name,
			matches: func(k keyFacts) bool { return k.api.Label == name },
		}, nil
	case !m.Fingerprint.IsNull():
		fp, err := sshkey.ParseFingerprint(m.Fingerprint.ValueString())
		if err != nil {
			return keyQuery{attr: "fingerprint"}, err
		}
		q := keyQuery{attr: "fingerprint", describe: "fingerprint " + fp.Value}
		if fp.SHA256 {
			// The API knows only MD5 fingerprints: compare locally over all keys.
			q.matches = func(k keyFacts) bool { return fp.Matches(k.parsed) }
		} else {
			q.search = fp.Value
			q.matches = func(k keyFacts) bool { return k.md5() == fp.Value }
		}
		return q, nil
	default:
		wanted, err := parseLookupPublicKey(m.PublicKey.ValueString())
		if err != nil {
			return keyQuery{attr: "public_key"}, err
		}
		return keyQuery{
			attr:     "public_key",
			describe: fmt.Sprintf("public key %s (%s)", wanted.FingerprintSHA256(), wanted.FingerprintMD5()),
			search:   wanted.FingerprintMD5(),
			matches:  func(k keyFacts) bool { return k.parsed != nil && k.parsed.Equal(wanted) },
		}, nil
	}
}

// search makes one list call (more only past 1000 keys) and filters exactly.
func (d *sshKeyLookupDataSource) search(ctx context.Context, client *metal.Client, owner metal.Owner, q keyQuery, diags *diag.Diagnostics) *metal.SSHKey {
	keys, err := client.ListSSHKeys(ctx, owner, metal.ListOptions{Search: q.search})
	if err != nil {
		diags.AddError("Could not list the "+d.owner.noun+"s", err.Error())
		return nil
	}
	var matches []metal.SSHKey
	for _, k := range keys {
		if q.matches(newKeyFacts(k)) {
			matches = append(matches, k)
		}
	}
	where := d.owner.where + owner.ID
	switch len(matches) {
	case 1:
		return &matches[0]
	case 0:
		detail := fmt.Sprintf("No %s %s has %s.", d.owner.noun, where, q.describe)
		if len(keys) == 0 {
			detail += " The search found no similar keys either."
		} else {
			detail += " Keys the search considered (id, name, fingerprint):\n" + describeKeyCandidates(keys)
		}
		diags.AddAttributeError(path.Root(q.attr), "No matching "+d.owner.noun, detail)
	default:
		diags.AddAttributeError(path.Root(q.attr), "More than one matching "+d.owner.noun,
			fmt.Sprintf("%d %ss %s have %s; look the key up by id (or fingerprint) instead. Candidates (id, name, fingerprint):\n%s",
				len(matches), d.owner.noun, where, q.describe, describeKeyCandidates(matches)))
	}
	return nil
}

// maxCandidatesShown keeps an error readable when a search matched many keys.
const maxCandidatesShown = 20

// describeKeyCandidates lists keys one a line, sorted like the list data
// sources, so people can pick the one they meant.
func describeKeyCandidates(keys []metal.SSHKey) string {
	sorted := sortedKeys(keys)
	var sb strings.Builder
	for i, k := range sorted {
		if i == maxCandidatesShown {
			fmt.Fprintf(&sb, "  ... and %d more\n", len(sorted)-i)
			break
		}
		fmt.Fprintf(&sb, "  - id %s, name %q, fingerprint %s\n", k.ID, k.Label, newKeyFacts(k).md5())
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

// parseLookupPublicKey reads the key to look up. Private key material is
// refused (it does not belong in a configuration); errors never quote it.
func parseLookupPublicKey(s string) (*sshkey.Key, error) {
	if sshkey.LooksPrivate([]byte(s)) {
		return nil, errPrivateLookupKey
	}
	key, err := sshkey.Parse([]byte(s), sshkey.Options{})
	if err != nil {
		return nil, err
	}
	if key.FromPrivate() {
		return nil, errPrivateLookupKey
	}
	return key, nil
}

var errPrivateLookupKey = errors.New("public_key holds a private key; give only its public half " +
	"(data \"packet_ssh_public_key\" derives it from a private key file)")

// fingerprintLookupValidator checks the fingerprint form at plan time.
func fingerprintLookupValidator() validator.String {
	return stringCheck{
		description: "value must be an MD5 (aa:bb:...) or SHA256 (SHA256:...) SSH key fingerprint",
		summary:     "Invalid fingerprint",
		check: func(s string) error {
			_, err := sshkey.ParseFingerprint(s)
			return err
		},
	}
}

// publicKeyLookupValidator checks at plan time that the key parses.
func publicKeyLookupValidator() validator.String {
	return stringCheck{
		description: "value must be an SSH public key (OpenSSH line, RFC 4716 block or PEM public key)",
		summary:     "Invalid SSH public key",
		check: func(s string) error {
			_, err := parseLookupPublicKey(s)
			return err
		},
	}
}
