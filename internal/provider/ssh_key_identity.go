package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// Resource identity (Terraform 1.12+, OpenTofu 1.12+): what an import block's
// `identity = {...}` and `terraform query` name a key by.
//
// The key's UUID alone finds it (GET /ssh-keys/{id}), so `id` is the one
// attribute an import needs. A project key's identity also carries its
// `project_id`, optional on import, as AWS carries account_id and region:
// it says where the key lives, it never changes for the resource's life
// (changing it replaces the key), and on import it is a guard: a key of
// another project is refused instead of being adopted and then replaced,
// which would delete that project's key.

var _ resource.ResourceWithIdentity = (*sshKeyResource)(nil)

// sshKeyIdentity is a key resource's identity; see sshKeyOwner.scoped.
type sshKeyIdentity struct {
	keyID
	ProjectID types.String `tfsdk:"project_id"`
}

type keyID struct {
	ID types.String `tfsdk:"id"`
}

func (r *sshKeyResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	attrs := map[string]identityschema.Attribute{
		"id": identityschema.StringAttribute{
			RequiredForImport: true,
			Description:       "The key's UUID.",
		},
	}
	withProjectID(r.owner, attrs, identityschema.Attribute(identityschema.StringAttribute{
		OptionalForImport: true,
		Description:       "UUID of the project the key belongs to; when given on import, a key of another project is refused.",
	}))
	// Version 0. A change to these attributes bumps it and adds an
	// UpgradeIdentity step; identity absent from older state needs none:
	// Read sets it.
	resp.IdentitySchema = identityschema.Schema{Attributes: attrs}
}

// importDoc is the resource description's paragraph on import.
func (r *sshKeyResource) importDoc() string {
	doc := "Import by the key's id, or (Terraform and OpenTofu 1.12+) by its identity."
	if r.owner.deprecation == "" {
		doc += " To find keys made in the portal and adopt them, use the list resource of the same name with " +
			"`terraform query -generate-config-out` (Terraform 1.14+): it writes a resource and an import block for each."
	}
	return doc
}

// setIdentity writes the key's identity; identity is nil when the resource
// is served without identity support.
func (r *sshKeyResource) setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id sshKeyIdentity) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.Set(ctx, r.owner.scoped(&id, &id.keyID))
}

func (m sshKeyModel) identity() sshKeyIdentity {
	return sshKeyIdentity{keyID: keyID{ID: m.ID}, ProjectID: m.ProjectID}
}

func (r *sshKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id := sshKeyIdentity{keyID: keyID{ID: types.StringValue(req.ID)}}
	if req.ID == "" && req.Identity != nil { // import block with identity
		resp.Diagnostics.Append(req.Identity.Get(ctx, r.owner.scoped(&id, &id.keyID))...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	if !isUUID(id.ID.ValueString()) {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%q is not a key id: import a %s by its UUID, as shown in the portal or by the API.", id.ID.ValueString(), r.owner.noun))
		return
	}
	if !id.ProjectID.IsNull() && !isUUID(id.ProjectID.ValueString()) {
		resp.Diagnostics.AddAttributeError(path.Root("project_id"), "Invalid import identity",
			fmt.Sprintf("The identity's project_id %q is not a project UUID.", id.ProjectID.ValueString()))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id.ID)...)
	if !id.ProjectID.IsNull() {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("project_id"), id.ProjectID)...)
	}
	// What is known now; the Read that follows an import fills in the
	// project when the import named none.
	resp.Diagnostics.Append(r.setIdentity(ctx, resp.Identity, id)...)
}

// checkProject refuses a project key whose project is not the one state
// names (personal keys name none). Refresh never trips it (a key cannot
// change projects); an import whose identity named another project does.
func (r *sshKeyResource) checkProject(state sshKeyModel, got *metal.SSHKey, diags *diag.Diagnostics) bool {
	want := state.ProjectID.ValueString()
	if want == "" || got.Owner.Kind != metal.OwnerProject || got.Owner.ID == want {
		return true
	}
	diags.AddAttributeError(path.Root("project_id"), "Key belongs to another project",
		fmt.Sprintf("Key %s is a key of project %s, not of project %s: import it into a configuration of that project, "+
			"or check the id.", got.ID, got.Owner.ID, want))
	return false
}
