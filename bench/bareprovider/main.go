// Command bareprovider is the bench's yardstick for what
// terraform-plugin-framework costs by itself: a provider with one resource,
// bare_key, shaped like packet_project_ssh_key (the same attributes, so the
// state is the same size), whose Read does nothing and which calls no API.
// It is the plain framework server (no rpcctx); the bench quiets its logs
// through the environment, as the real provider's main does for itself.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Address is where the bench's CLI config points terraform for this provider.
const Address = "registry.terraform.io/bench/bare"

func main() {
	if err := providerserver.Serve(context.Background(), func() provider.Provider { return bare{} },
		providerserver.ServeOpts{Address: Address, ProtocolVersion: 6}); err != nil {
		log.Fatal(err)
	}
}

type bare struct{}

func (bare) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "bare"
}

func (bare) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (bare) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {}

func (bare) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return key{} }}
}

func (bare) DataSources(context.Context) []func() datasource.DataSource { return nil }

type key struct{}

type keyModel struct {
	ID                types.String `tfsdk:"id"`
	ProjectID         types.String `tfsdk:"project_id"`
	Name              types.String `tfsdk:"name"`
	PublicKey         types.String `tfsdk:"public_key"`
	Tags              types.Set    `tfsdk:"tags"`
	Fingerprint       types.String `tfsdk:"fingerprint"`
	FingerprintSHA256 types.String `tfsdk:"fingerprint_sha256"`
	Algorithm         types.String `tfsdk:"algorithm"`
	OwnerID           types.String `tfsdk:"owner_id"`
	Created           types.String `tfsdk:"created"`
	Updated           types.String `tfsdk:"updated"`
}

func (key) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_key"
}

func (key) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	computed := func() schema.StringAttribute { return schema.StringAttribute{Computed: true, PlanModifiers: keep} }
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":                 computed(),
		"project_id":         schema.StringAttribute{Required: true},
		"name":               schema.StringAttribute{Required: true},
		"public_key":         schema.StringAttribute{Required: true},
		"tags":               schema.SetAttribute{ElementType: types.StringType, Optional: true},
		"fingerprint":        computed(),
		"fingerprint_sha256": computed(),
		"algorithm":          computed(),
		"owner_id":           computed(),
		"created":            computed(),
		"updated":            computed(),
	}}
}

func (key) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m keyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	sum := sha256.Sum256([]byte(m.PublicKey.ValueString()))
	id := hex.EncodeToString(sum[:16])
	m.ID, m.Fingerprint, m.FingerprintSHA256 = types.StringValue(id), types.StringValue(id), types.StringValue(id)
	m.Algorithm, m.OwnerID = types.StringValue("ssh-ed25519"), m.ProjectID
	m.Created, m.Updated = types.StringValue("2026-01-01T00:00:00Z"), types.StringValue("2026-01-01T00:00:00Z")
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

// Read does nothing: the framework already copied the prior state into resp.State.
func (key) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (key) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (key) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
