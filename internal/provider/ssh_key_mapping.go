package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
	"github.com/packethost/terraform-provider-packet/internal/sshkey"
)

// keyFacts is an API key with what the provider derives from it. Its
// attributes method is the one mapping from the API to the attributes the
// key resources, the lookup and the list data sources share.
type keyFacts struct {
	api      metal.SSHKey
	parsed   *sshkey.Key // nil when the stored key does not parse
	parseErr error
}

func newKeyFacts(k metal.SSHKey) keyFacts {
	parsed, err := sshkey.Parse([]byte(k.Key), sshkey.Options{})
	return keyFacts{api: k, parsed: parsed, parseErr: err}
}

// keyAttributes are the API-derived attributes, as they go into state.
type keyAttributes struct {
	keyComputed
	Name, PublicKey, ProjectID types.String
	Tags                       []string // never nil
}

// attributes maps the key. ProjectID is the owning project for a project
// key (the configured one when the API named no owner) and null for others.
func (k keyFacts) attributes(configuredProject types.String) keyAttributes {
	a := keyAttributes{
		keyComputed: keyComputed{
			ID:                types.StringValue(k.api.ID),
			Fingerprint:       types.StringValue(k.md5()),
			FingerprintSHA256: types.StringNull(),
			Algorithm:         types.StringNull(),
			OwnerID:           types.StringValue(k.api.Owner.ID),
			Created:           types.StringValue(k.api.CreatedAt),
			Updated:           types.StringValue(k.api.UpdatedAt),
		},
		Name:      types.StringValue(k.api.Label),
		PublicKey: types.StringValue(k.api.Key),
		ProjectID: types.StringNull(),
		Tags:      nonNilStrings(k.api.Tags),
	}
	if k.parsed != nil {
		a.FingerprintSHA256 = types.StringValue(k.parsed.FingerprintSHA256())
		a.Algorithm = types.StringValue(k.parsed.Algorithm())
	}
	switch {
	case k.api.Owner.Kind == metal.OwnerProject:
		a.ProjectID = a.OwnerID
	case k.api.Owner.Kind == "" && !configuredProject.IsNull():
		a.ProjectID, a.OwnerID = configuredProject, configuredProject
	}
	return a
}

// item is the key as the data sources show it; its tags are never null.
func (a keyAttributes) item(ctx context.Context) (keyItemModel, diag.Diagnostics) {
	tags, diags := types.SetValueFrom(ctx, types.StringType, a.Tags)
	return keyItemModel{
		keyItem:   keyItem{keyComputed: a.keyComputed, Name: a.Name, PublicKey: a.PublicKey, Tags: tags},
		ProjectID: a.ProjectID,
	}, diags
}

// md5 is the API's fingerprint, lower-cased; computed when the API sent none.
func (k keyFacts) md5() string {
	if k.api.Fingerprint == "" && k.parsed != nil {
		return k.parsed.FingerprintMD5()
	}
	return strings.ToLower(k.api.Fingerprint)
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
