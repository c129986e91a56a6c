package provider

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/packethost/terraform-provider-packet/internal/rpcctx"
)

// The attachment has an identity from create on, keeps it through an
// update, and an import block with only that identity imports it with an
// empty plan.
func TestAccDeviceKeyAttachment_identity(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "identity")
	config := f.providerWithKey() + newProjectKeyHCL(added)
	addr := "packet_device_key_attachment.test"
	hasIdentity := []statecheck.StateCheck{
		statecheck.ExpectIdentity(addr, map[string]knownvalue.Check{
			"device_id":  knownvalue.StringExact(f.device.ID),
			"ssh_key_id": knownvalue.StringRegexp(uuidPattern),
		}),
		statecheck.ExpectIdentityValueMatchesState(addr, tfjsonpath.New("ssh_key_id")),
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		TerraformVersionChecks:   identityNeedsTerraform112,
		Steps: []tfresource.TestStep{
			{Config: config + attachmentConfig(f.device.ID, ""), ConfigStateChecks: hasIdentity},
			{
				Config:            config + attachmentConfig(f.device.ID, `options = "no-pty"`),
				ConfigPlanChecks:  tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
				ConfigStateChecks: hasIdentity,
			},
			{
				Config:          config + attachmentConfig(f.device.ID, `options = "no-pty"`),
				ResourceName:    addr,
				ImportState:     true,
				ImportStateKind: tfresource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// State written by a provider without identity gets one at the next
// refresh, with no change planned and nothing said.
func TestAccDeviceKeyAttachment_stateFromBeforeIdentityUpgradesSilently(t *testing.T) {
	t.Parallel()
	f := newDeviceFixture(t)
	added := newTestKey(t, "old state")
	config := f.providerWithKey() + newProjectKeyHCL(added) + attachmentConfig(f.device.ID, "")
	addr := "packet_device_key_attachment.test"
	tfresource.Test(t, tfresource.TestCase{
		TerraformVersionChecks: identityNeedsTerraform112,
		Steps: []tfresource.TestStep{
			{
				ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
					"packet": func() (tfprotov6.ProviderServer, error) {
						p, ok := New("old")().(*packetProvider)
						if !ok {
							return nil, errors.New("New does not make a *packetProvider")
						}
						return rpcctx.Wrap(providerserver.NewProtocol6(withoutAttachmentIdentity{p})()), nil
					},
				},
				Config: config,
			},
			{
				ProtoV6ProviderFactories: testProviderFactories,
				Config:                   config,
				ConfigPlanChecks:         tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(addr, map[string]knownvalue.Check{
						"device_id":  knownvalue.StringExact(f.device.ID),
						"ssh_key_id": knownvalue.StringRegexp(uuidPattern),
					}),
				},
			},
		},
	})
}

// withoutAttachmentIdentity is the provider as it was before the attachment
// had an identity.
type withoutAttachmentIdentity struct{ *packetProvider }

var _ provider.Provider = withoutAttachmentIdentity{}

func (p withoutAttachmentIdentity) Resources(ctx context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, r := range p.packetProvider.Resources(ctx) {
		if _, ok := r().(*deviceKeyAttachmentResource); ok {
			r = func() resource.Resource { return attachmentWithoutIdentity{&deviceKeyAttachmentResource{}} }
		}
		out = append(out, r)
	}
	return out
}

// attachmentWithoutIdentity forwards everything but IdentitySchema.
type attachmentWithoutIdentity struct{ r *deviceKeyAttachmentResource }

func (a attachmentWithoutIdentity) Metadata(ctx context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	a.r.Metadata(ctx, req, resp)
}

func (a attachmentWithoutIdentity) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	a.r.Schema(ctx, req, resp)
}

func (a attachmentWithoutIdentity) Configure(ctx context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	a.r.Configure(ctx, req, resp)
}

func (a attachmentWithoutIdentity) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	a.r.ModifyPlan(ctx, req, resp)
}

func (a attachmentWithoutIdentity) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	a.r.Create(ctx, req, resp)
}

func (a attachmentWithoutIdentity) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	a.r.Read(ctx, req, resp)
}

func (a attachmentWithoutIdentity) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	a.r.Update(ctx, req, resp)
}

func (a attachmentWithoutIdentity) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	a.r.Delete(ctx, req, resp)
}

// importWithIdentity runs ImportState with an import block's identity.
func importWithIdentity(t *testing.T, deviceID, keyID string) (*resource.ImportStateResponse, attachmentModel) {
	t.Helper()
	ctx := context.Background()
	r, ok := NewDeviceKeyAttachmentResource().(*deviceKeyAttachmentResource)
	if !ok {
		t.Fatal("NewDeviceKeyAttachmentResource does not make a *deviceKeyAttachmentResource")
	}
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
