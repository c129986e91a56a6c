package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

var _ list.ListResourceWithConfigure = (*sshKeyListResource)(nil)

// sshKeyListResource is `list "packet_project_ssh_key"` / `list
// "packet_user_ssh_key"` for `terraform query` (Terraform 1.14+): it finds
// keys made in the portal so they can be imported. It embeds the resource
// for its name, its Configure and its API→state mapping, so a listed key
// is exactly what importing it would put in state.
type sshKeyListResource struct{ *sshKeyResource }

// NewProjectSSHKeyListResource is list "packet_project_ssh_key".
func NewProjectSSHKeyListResource() list.ListResource {
	return sshKeyListResource{&sshKeyResource{owner: projectKeyOwner}}
}

// NewUserSSHKeyListResource is list "packet_user_ssh_key".
func NewUserSSHKeyListResource() list.ListResource {
	return sshKeyListResource{&sshKeyResource{owner: userKeyOwner}}
}

func (l sshKeyListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	attrs := map[string]schema.Attribute{
		"fingerprint": schema.StringAttribute{
			MarkdownDescription: "Keep only the key with this fingerprint, in any form people paste: MD5 colon hex " +
				"(`aa:bb:...`, as the portal shows it, either case, with or without `MD5:` or colons) or SHA256 " +
				"(`SHA256:...`, as `ssh-keygen -l` prints it).",
			Optional:   true,
			Validators: []validator.String{fingerprintLookupValidator()},
		},
		"tag": schema.StringAttribute{
			MarkdownDescription: "Keep only keys that have this tag (exact match).",
			Optional:            true,
			Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
		},
	}
	for name, f := range l.owner.listFilters() {
		attrs[name] = schema.StringAttribute{
			MarkdownDescription: f.doc, Required: f.required, Optional: !f.required, Validators: f.validators,
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the " + l.owner.all + " for `terraform query` (Terraform 1.14+), so keys made in the portal can be " +
			"imported: each result has the key's identity, its name (with its fingerprint) as display name and, with " +
			"`include_resource = true`, every attribute. Filters combine (a key must pass all). All pages are read: one " +
			"request per 1000 keys, whatever the filters.\n\n" + needsTheAPI,
		Attributes: attrs,
	}
}

type sshKeyListConfig struct {
	ProjectID, NameRegex, Algorithm, Fingerprint, Tag types.String
}

// keyFilter is a list block's filters, parsed.
type keyFilter struct {
	nameRegex   *regexp.Regexp
	algorithm   string
	fingerprint *sshkey.Fingerprint
	tag         string
}

func newKeyFilter(c sshKeyListConfig) (keyFilter, error) {
	f := keyFilter{algorithm: c.Algorithm.ValueString(), tag: c.Tag.ValueString()}
	if !c.NameRegex.IsNull() {
		re, err := regexp.Compile(c.NameRegex.ValueString())
		if err != nil {
			return f, err
		}
		f.nameRegex = re
	}
	if !c.Fingerprint.IsNull() {
		fp, err := sshkey.ParseFingerprint(c.Fingerprint.ValueString())
		if err != nil {
			return f, err
		}
		f.fingerprint = &fp
	}
	return f, nil
}

// keeps reports whether a key passes every filter. A key the API stores in
// a form that does not parse has no algorithm and no SHA256 fingerprint, so
// only the name, tag and MD5 filters can keep it.
func (f keyFilter) keeps(k keyFacts) bool {
	switch {
	case f.nameRegex != nil && !f.nameRegex.MatchString(k.api.Label):
		return false
	case f.algorithm != "" && (k.parsed == nil || !strings.EqualFold(k.parsed.Algorithm(), f.algorithm)):
		return false
	case f.tag != "" && !slices.Contains(k.api.Tags, f.tag):
		return false
	case f.fingerprint == nil:
		return true
	case f.fingerprint.SHA256:
		return f.fingerprint.Matches(k.parsed)
	default:
		return k.md5() == f.fingerprint.Value
	}
}

func (l sshKeyListResource) readConfig(ctx context.Context, req list.ListRequest) (sshKeyListConfig, diag.Diagnostics) {
	var c sshKeyListConfig
	var diags diag.Diagnostics
	attrs := withProjectID(l.owner, map[string]*types.String{
		"name_regex": &c.NameRegex, "algorithm": &c.Algorithm, "fingerprint": &c.Fingerprint, "tag": &c.Tag,
	}, &c.ProjectID)
	for name, target := range attrs {
		diags.Append(req.Config.GetAttribute(ctx, path.Root(name), target)...)
	}
	return c, diags
}

func (l sshKeyListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	config, diags := l.readConfig(ctx, req)
	client := l.client(&diags)
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	filter, err := newKeyFilter(config)
	if err != nil { // the validators report it at validate time
		diags.AddError("Invalid filter", err.Error())
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	owner := metal.Owner{Kind: l.owner.kind, ID: config.ProjectID.ValueString()}
	keys, err := client.ListSSHKeys(ctx, owner, metal.ListOptions{})
	if err != nil {
		diags.AddError("Could not list the "+l.owner.noun+"s", err.Error())
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		var sent int64
		for _, k := range sortedKeys(keys) {
			facts := newKeyFacts(k)
			if !filter.keeps(facts) {
				continue
			}
			if req.Limit > 0 && sent == req.Limit {
				return
			}
			sent++
			if !push(l.result(ctx, req, config.ProjectID, facts)) {
				return
			}
		}
	}
}

// result is one listed key: its identity and display name, and the state
// importing it would give (Read's mapping) when the resource is asked for.
func (l sshKeyListResource) result(ctx context.Context, req list.ListRequest, project types.String, k keyFacts) list.ListResult {
	res := req.NewListResult(ctx)
	m := l.fromAPI(ctx, sshKeyModel{sshKeyFields: sshKeyFields{Tags: types.SetNull(types.StringType)}, ProjectID: project}, &k.api, &res.Diagnostics)
	m.PublicKey = newPublicKeyValue(k.api.Key)
	res.DisplayName = fmt.Sprintf("%s (%s)", k.api.Label, m.FingerprintSHA256.ValueString())
	if m.FingerprintSHA256.IsNull() {
		res.DisplayName = fmt.Sprintf("%s (%s)", k.api.Label, m.Fingerprint.ValueString())
	}
	res.Diagnostics.Append(l.setIdentity(ctx, res.Identity, m.identity())...)
	if req.IncludeResource {
		res.Diagnostics.Append(l.set(ctx, res.Resource, m)...)
	}
	return res
}
