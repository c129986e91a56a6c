package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// providerData is what Configure hands to every resource and data source.
type providerData struct {
	version       string
	client        *metal.Client
	unknownConfig bool
	ssh           sshDefaults
}

// apiClient returns the API client, or an error diagnostic that tells the
// user how to configure one. Only callers that really need the API call it,
// so key parsing works without a token.
func (d *providerData) apiClient() (*metal.Client, diag.Diagnostics) {
	var diags diag.Diagnostics
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
		return d.client, nil
	}
	return nil, diags
}

// providerDataFrom converts the untyped value the framework passes to
// Configure methods; nil means "not configured yet" and is not an error.
func providerDataFrom(v any) (*providerData, diag.Diagnostics) {
	var diags diag.Diagnostics
	if v == nil {
		return nil, nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", v))
		return nil, diags
	}
	return data, nil
}
