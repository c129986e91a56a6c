// Package provider is the Terraform surface of the packet provider: schemas,
// plan/state mapping and diagnostics. It never builds HTTP requests or SSH
// sessions itself; internal/metal, internal/sshkey and internal/machine do.
package provider

import (
	"context"
	"net"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// Environment variables read when the provider block leaves a value out.
const (
	envAuthToken      = "PACKET_AUTH_TOKEN" //nolint:gosec // the variable's name, not a token
	envMetalAuthToken = "METAL_AUTH_TOKEN"  //nolint:gosec // the variable's name, not a token
	envAPIURL         = "PACKET_API_URL"

	defaultMaxRetries     = 10
	defaultRequestTimeout = 60 * time.Second

	// needsTheAPI ends the description of everything that calls the API.
	needsTheAPI = "Calls the API. Equinix Metal (formerly Packet) reached its end of life on 2026-06-30, so this " +
		"works only against `packet-mock` or another endpoint that serves `/metal/v1`: see " +
		"[The platform's end](../index.md#the-platforms-end) and " +
		"[Leaving the retired platform](../guides/leaving-the-platform.md)."
)

var (
	_ provider.Provider                  = (*packetProvider)(nil)
	_ provider.ProviderWithFunctions     = (*packetProvider)(nil)
	_ provider.ProviderWithListResources = (*packetProvider)(nil)
)

type packetProvider struct {
	version string
	clock   func() time.Time // nil: the time; tests give a fake one
	// dial, when set, opens the API connections (metal.Config.Dial): tests
	// reach the default api_url's host with it without any network.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// New returns a constructor of the provider for providerserver.Serve and tests.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &packetProvider{version: version}
	}
}

type providerModel struct {
	AuthToken      types.String `tfsdk:"auth_token"`
	APIURL         types.String `tfsdk:"api_url"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
	SSH            *sshModel    `tfsdk:"ssh"`
}

func (p *packetProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "packet"
	resp.Version = p.version
}

func (p *packetProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Declare SSH access to Packet (Equinix Metal) bare-metal servers: project and personal " +
			"keys, keys attached to servers that already run, and keys read from the files people have.",
		Attributes: map[string]schema.Attribute{
			"auth_token": schema.StringAttribute{
				MarkdownDescription: "API token. Falls back to the `" + envAuthToken + "` and then the `" +
					envMetalAuthToken + "` environment variable. Only needed by resources and data sources that " +
					"call the API: key parsing works without it. Prefer the environment variable or a variable marked " +
					"`sensitive`: a literal token in the configuration is copied into plan files and `TF_LOG` output by " +
					"Terraform itself.",
				Optional:  true,
				Sensitive: true,
			},
			"api_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the API. Falls back to the `" + envAPIURL + "` environment variable, " +
					"then `" + metal.DefaultBaseURL + "`, the API of Equinix Metal, which reached its end of life on " +
					"2026-06-30 (that API is reported to answer 401 to every request since). Point it at `packet-mock` " +
					"(or another endpoint that serves `/metal/v1`).",
				Optional: true,
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a request that failed with 429, 5xx or a network error is retried " +
					"(with backoff, honouring `Retry-After` and `X-RateLimit-*`). A create (POST) is never blindly retried: " +
					"after an uncertain failure the key is looked up by fingerprint, adopted when it exists, and sent " +
					"again only once it is proven absent. Default 10.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 100)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "Timeout of one HTTP request as a Go duration such as `30s` or `2m`. Default `60s`.",
				Optional:            true,
				Validators:          []validator.String{durationValidator()},
			},
		},
		Blocks: map[string]schema.Block{
			"ssh": sshProviderBlock(),
		},
	}
}

func (p *packetProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	data := &providerData{ssh: cfg.SSH.defaults(), clock: p.clock}
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.ListResourceData = data

	// Values that come from other resources are unknown while planning; the
	// client is built in a later Configure call, when they are known.
	if cfg.AuthToken.IsUnknown() || cfg.APIURL.IsUnknown() || cfg.MaxRetries.IsUnknown() || cfg.RequestTimeout.IsUnknown() {
		data.unknownConfig = true
		tflog.Debug(ctx, "provider configuration has unknown values; API client deferred")
		return
	}

	token, tokenSource := fromSetting(cfg.AuthToken.ValueString(), "auth_token", envAuthToken, envMetalAuthToken)
	if token == "" {
		// Not an error yet: parsing keys needs no API. Resources that call
		// the API report it when they need the client.
		return
	}

	maxRetries := int64(defaultMaxRetries)
	if !cfg.MaxRetries.IsNull() {
		maxRetries = cfg.MaxRetries.ValueInt64()
	}
	timeout := defaultRequestTimeout
	if !cfg.RequestTimeout.IsNull() {
		timeout, _ = time.ParseDuration(cfg.RequestTimeout.ValueString()) // validated by the schema
	}

	apiURL, apiURLSource := fromSetting(cfg.APIURL.ValueString(), "api_url", envAPIURL)
	client, err := metal.New(metal.Config{
		Token:          token,
		TokenSource:    tokenSource,
		BaseURL:        firstNonEmpty(apiURL, metal.DefaultBaseURL),
		BaseURLSource:  apiURLSource,
		Version:        p.version,
		MaxRetries:     int(maxRetries),
		RequestTimeout: timeout,
		Dial:           p.dial,
	})
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("api_url"), "Invalid API configuration", err.Error())
		return
	}
	data.client = client
	data.keys = metal.NewKeySnapshots(client, 0)
	data.devices = metal.NewDeviceSnapshots(client, 0)
}

func (p *packetProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewProjectSSHKeyResource,
		NewUserSSHKeyResource,
		NewLegacySSHKeyResource,
		NewDeviceKeyAttachmentResource,
		NewAuthorizedKeyResource,
	}
}

func (p *packetProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewSSHPublicKeyDataSource,
		NewProjectSSHKeyDataSource,
		NewUserSSHKeyDataSource,
		NewProjectSSHKeysDataSource,
		NewUserSSHKeysDataSource,
		NewDeviceDataSource,
		NewDevicesDataSource,
		NewAuthorizedKeysDataSource,
	}
}

// ListResources are for `terraform query` (Terraform 1.14+).
func (p *packetProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{NewProjectSSHKeyListResource, NewUserSSHKeyListResource, NewDeviceKeyAttachmentList, NewAuthorizedKeyList}
}

func (p *packetProvider) Functions(_ context.Context) []func() function.Function {
	return []func() function.Function{
		NewNormalizePublicKeyFunction,
		NewPublicKeyFingerprintFunction,
	}
}

// fromSetting picks a value the way the attributes' descriptions say: the
// attribute, else the first environment variable that is set. source names
// the one that supplied it, so an error about the value can say where to fix it.
func fromSetting(configured, attribute string, envs ...string) (value, source string) {
	if configured != "" {
		return configured, attribute + ` in the provider "packet" block`
	}
	for _, env := range envs {
		if v := os.Getenv(env); v != "" {
			return v, "the " + env + " environment variable"
		}
	}
	return "", ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
