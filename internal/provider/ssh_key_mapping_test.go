package provider

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// TestKeyAttributes: the one API → state mapping the key resources, the
// lookup and the list data sources share: fingerprint lower-cased (or
// computed when the API sent none), project_id from the owner.
func TestKeyAttributes(t *testing.T) {
	key := newTestKey(t, "map")
	const project = "0b2c4d6e-8f10-4a12-b314-c5d6e7f80912"
	base := metal.SSHKey{ID: "id", Label: "l", Key: key.Line + "\n", CreatedAt: "c", UpdatedAt: "u"}
	for _, tc := range []struct {
		name              string
		edit              func(*metal.SSHKey)
		configured        types.String
		wantFP, wantOwner string
		wantProject       types.String
	}{
		{"project key, upper-case fingerprint", func(k *metal.SSHKey) {
			k.Fingerprint = strings.ToUpper(key.MD5)
			k.Owner = metal.Owner{Kind: metal.OwnerProject, ID: project}
		}, types.StringNull(), key.MD5, project, types.StringValue(project)},
		{"user key, no fingerprint sent", func(k *metal.SSHKey) {
			k.Owner = metal.Owner{Kind: metal.OwnerUser, ID: "user"}
		}, types.StringNull(), key.MD5, "user", types.StringNull()},
		{"no owner named: the configured project", func(*metal.SSHKey) {}, types.StringValue(project), key.MD5, project, types.StringValue(project)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := base
			tc.edit(&k)
			a := newKeyFacts(k).attributes(tc.configured)
			if a.Fingerprint.ValueString() != tc.wantFP || a.OwnerID.ValueString() != tc.wantOwner || !a.ProjectID.Equal(tc.wantProject) {
				t.Errorf("fingerprint %s owner %s project %s; want %s %s %s", a.Fingerprint, a.OwnerID, a.ProjectID, tc.wantFP, tc.wantOwner, tc.wantProject)
			}
			if a.FingerprintSHA256.ValueString() != key.SHA256 || a.Algorithm.ValueString() != "ED25519" || a.PublicKey.ValueString() != key.Line+"\n" {
				t.Errorf("sha256 %s algorithm %s key %q", a.FingerprintSHA256, a.Algorithm, a.PublicKey.ValueString())
			}
			if a.Tags == nil {
				t.Error("tags nil, want empty")
			}
		})
	}
	unreadable := newKeyFacts(metal.SSHKey{Key: "not a key", Fingerprint: "AA:BB"}).attributes(types.StringNull())
	if !unreadable.FingerprintSHA256.IsNull() || !unreadable.Algorithm.IsNull() || unreadable.Fingerprint.ValueString() != "aa:bb" {
		t.Errorf("unparseable key: %+v", unreadable)
	}
}

// TestKeyComputedIsDeclaredOnce: a computed key attribute is a keyComputed
// field, a keyComputedAttributes line (every key schema takes it from there)
// and a mapping line; forgetting the schema line or the mapping fails here.
func TestKeyComputedIsDeclaredOnce(t *testing.T) {
	described := map[string]bool{}
	for _, a := range keyComputedAttributes {
		described[a.name] = true
	}
	key := newTestKey(t, "computed")
	mapped := reflect.ValueOf(newKeyFacts(metal.SSHKey{
		ID: "id", Label: "l", Key: key.Line, CreatedAt: "c", UpdatedAt: "u",
		Owner: metal.Owner{Kind: metal.OwnerUser, ID: "user"},
	}).attributes(types.StringNull()).keyComputed)
	fields := mapped.Type()
	for i := range fields.NumField() {
		name := fields.Field(i).Tag.Get("tfsdk")
		if !described[name] {
			t.Errorf("keyComputed.%s (%s) has no line in keyComputedAttributes", fields.Field(i).Name, name)
		}
		delete(described, name)
		if v, ok := mapped.Field(i).Interface().(types.String); !ok || v.IsNull() || v.IsUnknown() {
			t.Errorf("keyComputed.%s is not mapped from the API: %v", fields.Field(i).Name, mapped.Field(i).Interface())
		}
	}
	for name := range described {
		t.Errorf("keyComputedAttributes describes %s, which keyComputed lacks", name)
	}
}

// TestKeySchemasReadEarlierState: state written by the earlier providers
// (schema version 0, the attributes below) reads without an upgrade only
// while the schema stays version 0 and keeps those attributes. A schema
// change that bumps the version must come with UpgradeState from every
// earlier version, 0 included.
func TestKeySchemasReadEarlierState(t *testing.T) {
	legacy := []string{"created", "fingerprint", "id", "name", "owner_id", "public_key", "updated"}
	for _, tc := range []struct {
		new   func() resource.Resource
		extra []string
	}{
		{NewProjectSSHKeyResource, []string{"project_id"}},
		{NewUserSSHKeyResource, nil},
		{NewLegacySSHKeyResource, nil},
	} {
		r := tc.new()
		var meta resource.MetadataResponse
		r.Metadata(context.Background(), resource.MetadataRequest{ProviderTypeName: "packet"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(context.Background(), resource.SchemaRequest{}, &resp)
		for _, name := range append(legacy, tc.extra...) {
			if _, ok := resp.Schema.Attributes[name]; !ok {
				t.Errorf("%s: attribute %s of the earlier providers' state is gone", meta.TypeName, name)
			}
		}
		if v := resp.Schema.Version; v != 0 {
			up, ok := r.(resource.ResourceWithUpgradeState)
			if !ok {
				t.Fatalf("%s: schema version %d without UpgradeState", meta.TypeName, v)
			}
			upgraders := up.UpgradeState(context.Background())
			for from := range v {
				if _, ok := upgraders[from]; !ok {
					t.Errorf("%s: schema version %d has no upgrade from version %d", meta.TypeName, v, from)
				}
			}
		}
	}
}
