package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ resource.ResourceWithIdentity = (*deviceKeyAttachmentResource)(nil)

// attachmentIdentity names one attachment for Terraform 1.12+ (import
// blocks with `identity`, and list results): the device and the key.
type attachmentIdentity struct {
	DeviceID types.String `tfsdk:"device_id"`
	SSHKeyID types.String `tfsdk:"ssh_key_id"`
}

func (r *deviceKeyAttachmentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"device_id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "UUID of the device.",
			},
			"ssh_key_id": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "UUID of the project or personal key.",
			},
		},
	}
}

// setAttachmentIdentity records the identity of m. State from before
// identity had none; the first Read fills it in.
func setAttachmentIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, deviceID, keyID string) diag.Diagnostics {
	if identity == nil {
		return nil // a Terraform without identity support
	}
	return identity.Set(ctx, attachmentIdentity{DeviceID: types.StringValue(deviceID), SSHKeyID: types.StringValue(keyID)})
}

// identityOf is m's identity.
func (m *attachmentModel) identity(ctx context.Context, identity *tfsdk.ResourceIdentity) diag.Diagnostics {
	return setAttachmentIdentity(ctx, identity, m.DeviceID.ValueString(), m.SSHKeyID.ValueString())
}
