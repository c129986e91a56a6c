package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	providerschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov5"
	"github.com/packethost/packngo"
)

// The earlier providers cannot be downloaded here, so these test doubles
// stand in for them: the same provider and resource type names, the same
// schemas (all schema version 0) and the state they wrote, quirks included,
// made by talking to the mock through packngo as they did.
//
//   - packethost/packet v3 (archived): packet_ssh_key and
//     packet_project_ssh_key with id, name, public_key, fingerprint,
//     owner_id, created, updated (+ project_id). It writes the API's key
//     back into public_key, and treats a 404 as "gone" only when it carries
//     X-Request-Id, as the real API's do (a proxy's 404 does not).
//   - equinix/equinix v4: equinix_metal_ssh_key and
//     equinix_metal_project_ssh_key with the same attributes; created and
//     updated were written as Go values, time.Date(2026, time.December, ...).
//   - equinix/equinix v5: no Metal resources at all.
type legacyFlavour struct {
	provider  string                  // provider type name
	resources []legacyKeyType         // none for equinix v5
	stamp     func(api string) string // how created/updated go into state
}

type legacyKeyType struct {
	typeName string
	project  bool
}

var (
	legacyPacketV3 = legacyFlavour{provider: "packet", stamp: asSent, resources: []legacyKeyType{
		{typeName: "packet_ssh_key"}, {typeName: "packet_project_ssh_key", project: true},
	}}
	legacyEquinixV4 = legacyFlavour{provider: "equinix", stamp: asGoTime, resources: []legacyKeyType{
		{typeName: "equinix_metal_ssh_key"}, {typeName: "equinix_metal_project_ssh_key", project: true},
	}}
	legacyEquinixV5 = legacyFlavour{provider: "equinix", stamp: asSent}
)

func asSent(s string) string { return s }

// asGoTime is equinix v4's bug: fmt's %#v of the parsed time.
func asGoTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%#v", t.UTC())
}

// factory serves the double over protocol 5, as SDKv2 and muxed providers do.
func (f legacyFlavour) factory() func() (tfprotov5.ProviderServer, error) {
	return providerserver.NewProtocol5WithError(&legacyProvider{flavour: f})
}

type legacyProvider struct{ flavour legacyFlavour }

type legacyProviderModel struct {
	AuthToken types.String `tfsdk:"auth_token"`
}

func (p *legacyProvider) Metadata(_ context.Context, _ fwprovider.MetadataRequest, resp *fwprovider.MetadataResponse) {
	resp.TypeName = p.flavour.provider
}

func (p *legacyProvider) Schema(_ context.Context, _ fwprovider.SchemaRequest, resp *fwprovider.SchemaResponse) {
	resp.Schema = providerschema.Schema{Attributes: map[string]providerschema.Attribute{
		"auth_token": providerschema.StringAttribute{Optional: true, Sensitive: true},
	}}
}

// Configure builds a packngo client for PACKET_API_URL (the mock), as the
// archived provider's packngo did; the token comes from the block.
func (p *legacyProvider) Configure(ctx context.Context, req fwprovider.ConfigureRequest, resp *fwprovider.ConfigureResponse) {
	var cfg legacyProviderModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client, err := packngo.NewClientWithBaseURL("terraform-legacy-test", cfg.AuthToken.ValueString(),
		&http.Client{Timeout: 30 * time.Second}, os.Getenv(envAPIURL))
	if err != nil {
		resp.Diagnostics.AddError("packngo", err.Error())
		return
	}
	resp.ResourceData = client
}

func (p *legacyProvider) Resources(context.Context) []func() resource.Resource {
	var out []func() resource.Resource
	for _, rt := range p.flavour.resources {
		out = append(out, func() resource.Resource { return &legacyKeyResource{kind: rt, stamp: p.flavour.stamp} })
	}
	return out
}

func (p *legacyProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// legacyAPI serializes the doubles' packngo calls: packngo's Client.Do
// records rate-limit headers on the shared client without a lock, which
// -race reports when Terraform runs two resources at once.
var legacyAPI sync.Mutex

type legacyKeyResource struct {
	kind   legacyKeyType
	stamp  func(string) string
	client *packngo.Client
}

type legacyKeyModel struct {
	ID          types.String `tfsdk:"id"`
	Name        types.String `tfsdk:"name"`
	PublicKey   types.String `tfsdk:"public_key"`
	Fingerprint types.String `tfsdk:"fingerprint"`
	OwnerID     types.String `tfsdk:"owner_id"`
	Created     types.String `tfsdk:"created"`
	Updated     types.String `tfsdk:"updated"`
}

type legacyProjectKeyModel struct {
	legacyKeyModel
	ProjectID types.String `tfsdk:"project_id"`
}

func (r *legacyKeyResource) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = r.kind.typeName
}

func (r *legacyKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := schema.StringAttribute{Computed: true}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	attrs := map[string]schema.Attribute{
		"id":          schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"name":        schema.StringAttribute{Required: true},
		"public_key":  schema.StringAttribute{Required: true, PlanModifiers: replace},
		"fingerprint": computed, "owner_id": computed, "created": computed, "updated": computed,
	}
	if r.kind.project {
		attrs["project_id"] = schema.StringAttribute{Required: true, PlanModifiers: replace}
	}
	resp.Schema = schema.Schema{Version: 0, Attributes: attrs}
}

func (r *legacyKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*packngo.Client); ok {
		r.client = c
	}
}

func (r *legacyKeyResource) get(ctx context.Context, src interface {
	Get(context.Context, any) diag.Diagnostics
}) (legacyProjectKeyModel, diag.Diagnostics) {
	var m legacyProjectKeyModel
	if r.kind.project {
		return m, src.Get(ctx, &m)
	}
	return m, src.Get(ctx, &m.legacyKeyModel)
}

func (r *legacyKeyResource) set(ctx context.Context, dst interface {
	Set(context.Context, any) diag.Diagnostics
}, m legacyProjectKeyModel) diag.Diagnostics {
	if r.kind.project {
		return dst.Set(ctx, &m)
	}
	return dst.Set(ctx, &m.legacyKeyModel)
}

// fill writes the API's answer as the earlier providers did.
func (r *legacyKeyResource) fill(m *legacyProjectKeyModel, k *packngo.SSHKey) {
	m.ID = types.StringValue(k.ID)
	m.Name = types.StringValue(k.Label)
	m.PublicKey = types.StringValue(k.Key)
	m.Fingerprint = types.StringValue(k.FingerPrint)
	m.OwnerID = types.StringValue(path.Base(k.Owner.Href))
	m.Created = types.StringValue(r.stamp(k.Created))
	m.Updated = types.StringValue(r.stamp(k.Updated))
}

func (r *legacyKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	legacyAPI.Lock()
	defer legacyAPI.Unlock()
	m, diags := r.get(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	k, _, err := r.client.SSHKeys.Create(&packngo.SSHKeyCreateRequest{
		Label: m.Name.ValueString(), Key: m.PublicKey.ValueString(), ProjectID: m.ProjectID.ValueString(),
	})
	if err != nil {
		resp.Diagnostics.AddError("Error creating SSH key", err.Error())
		return
	}
	r.fill(&m, k)
	resp.Diagnostics.Append(r.set(ctx, &resp.State, m)...)
}

func (r *legacyKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	legacyAPI.Lock()
	defer legacyAPI.Unlock()
	m, diags := r.get(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	k, _, err := r.client.SSHKeys.Get(m.ID.ValueString(), nil)
	if legacyIsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Error reading SSH key", err.Error())
		return
	}
	r.fill(&m, k)
	resp.Diagnostics.Append(r.set(ctx, &resp.State, m)...)
}

// legacyIsNotFound is the archived provider's test: a 404 means the key is
// gone only when the API (not a proxy in between) said so.
func legacyIsNotFound(err error) bool {
	var e *packngo.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound &&
		e.Response.Header.Get("X-Request-Id") != ""
}

func (r *legacyKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	legacyAPI.Lock()
	defer legacyAPI.Unlock()
	m, diags := r.get(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	label := m.Name.ValueString()
	k, _, err := r.client.SSHKeys.Update(m.ID.ValueString(), &packngo.SSHKeyUpdateRequest{Label: &label})
	if err != nil {
		resp.Diagnostics.AddError("Error updating SSH key", err.Error())
		return
	}
	r.fill(&m, k)
	resp.Diagnostics.Append(r.set(ctx, &resp.State, m)...)
}

func (r *legacyKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	legacyAPI.Lock()
	defer legacyAPI.Unlock()
	m, diags := r.get(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if _, err := r.client.SSHKeys.Delete(m.ID.ValueString()); err != nil && !legacyIsNotFound(err) {
		resp.Diagnostics.AddError("Error deleting SSH key", err.Error())
	}
}
