package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// importWithIdentity runs ImportState with an import block's identity.
func importWithIdentity(t *testing.T, deviceID, keyID string) (*resource.ImportStateResponse, attachmentModel) {
	t.Helper()
	ctx := context.Background()
	r := NewDeviceKeyAttachmentResource().(*deviceKeyAttachmentResource)
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	var ir resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &ir)
	identity := &tfsdk.ResourceIdentity{Schema: ir.IdentitySchema,
		Raw: tftypes.NewValue(ir.IdentitySchema.Type().TerraformType(ctx), nil)}
	if d := identity.Set(ctx, attachmentIdentity{DeviceID: types.StringValue(deviceID), SSHKeyID: types.StringValue(keyID)}); d.HasError() {
		t.Fatal(d)
	}
	resp := &resource.ImportStateResponse{
		State:    tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)},
		Identity: &tfsdk.ResourceIdentity{Schema: ir.IdentitySchema, Raw: identity.Raw.Copy()},
	}
	r.ImportState(ctx, resource.ImportStateRequest{Identity: identity}, resp)
	var m attachmentModel
	if !resp.Diagnostics.HasError() {
		if d := resp.State.Get(ctx, &m); d.HasError() {
			t.Fatal(d)
		}
	}
	return resp, m
}

func TestImportByIdentitySetsIDsAndPreExisting(t *testing.T) {
	const dev, key = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", "0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11"
	resp, m := importWithIdentity(t, dev, key)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	if m.ID.ValueString() != dev+"/"+key || m.DeviceID.ValueString() != dev || m.SSHKeyID.ValueString() != key {
		t.Fatalf("imported %s, %s, %s", m.ID, m.DeviceID, m.SSHKeyID)
	}
	if !m.PreExisting.ValueBool() || m.ownsLine() {
		t.Fatal("an imported line would be removed on destroy")
	}
}

func TestImportByIdentityRefusesWhatIsNotAUUID(t *testing.T) {
	resp, _ := importWithIdentity(t, "web-1", "0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11")
	if !resp.Diagnostics.HasError() {
		t.Fatal("a hostname was taken as a device id")
	}
	if d := resp.Diagnostics[0]; d.Summary() != "Invalid import identity" || !strings.Contains(d.Detail(), `"web-1"`) {
		t.Fatalf("diagnostic %q: %s", d.Summary(), d.Detail())
	}
}
