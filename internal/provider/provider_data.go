package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/packethost/terraform-provider-packet/internal/machine"
	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	client        *metal.Client
	keys          *metal.KeySnapshots    // refresh by list: one listing per owner, shared by every Read
	devices       *metal.DeviceSnapshots // the same for devices: one listing per project
	unknownConfig bool
	ssh           sshDefaults
	knownProjects knownProjects // checked at plan time (ssh_key_project_check.go)
	machines      machine.Pool  // SSH connections to devices, shared by attachments
	pins          machine.Pins  // host keys known in this run: one address, one pin
	clock         func() time.Time
}

// now is the provider's clock (a test's fake one, or the time).
func (d *providerData) now() time.Time {
	if d.clock != nil {
		return d.clock()
	}
	return time.Now()
}

// apiAccess is embedded (through apiResource or apiDataSource) by everything
// that calls the API.
type apiAccess struct {
	data *providerData
}

// client returns the API client, or nil after adding an error diagnostic
// that tells the user how to configure one. Only what really needs the API
// calls it, so key parsing works without a token.
func (a *apiAccess) client(diags *diag.Diagnostics) *metal.Client {
	d := a.data
	switch {
	case d == nil:
		diags.AddError("Provider not configured",
			"The packet provider was not configured before use. This is a bug in the provider; please report it.")
	case d.unknownConfig:
		diags.AddError("Provider configuration not known yet",
			"The packet provider block uses values that are only known after apply (auth_token, api_url, "+
				"max_retries or request_timeout). Set them from known values, or apply the resources they come from first "+
				"(for example with -target).")
	case d.client == nil:
		diags.AddError("No API token",
			fmt.Sprintf("This resource calls the Packet API and needs a token: set auth_token in the provider \"packet\" "+
				"block, or the %s (or %s) environment variable.", envAuthToken, envMetalAuthToken))
	default:
		return d.client
	}
	return nil
}

// keys returns the key snapshots that go with the API client, or nil after
// the diagnostic client adds.
func (a *apiAccess) keys(diags *diag.Diagnostics) *metal.KeySnapshots {
	if a.client(diags) == nil {
		return nil
	}
	return a.data.keys
}

// devices returns the device snapshots that go with the API client, or nil
// after the diagnostic client adds.
func (a *apiAccess) devices(diags *diag.Diagnostics) *metal.DeviceSnapshots {
	if a.client(diags) == nil {
		return nil
	}
	return a.data.devices
}

// configure takes the untyped value the framework passes to Configure
// methods; nil means "not configured yet" and is not an error.
func (a *apiAccess) configure(v any, diags *diag.Diagnostics) {
	if v == nil {
		return
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", v))
		return
	}
	a.data = data
}

// apiResource gives a resource its Configure method.
type apiResource struct{ apiAccess }

func (r *apiResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.configure(req.ProviderData, &resp.Diagnostics)
}

// apiDataSource gives a data source its Configure method.
type apiDataSource struct{ apiAccess }

func (d *apiDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.configure(req.ProviderData, &resp.Diagnostics)
}
