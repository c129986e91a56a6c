package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/packethost/terraform-provider-packet/internal/rpcctx"
)

// Server is the provider's protocol 6 server as Terraform talks to it: main
// serves it, and the acceptance tests drive the same one. rpcctx keeps the
// framework from holding every RPC's context for the life of the process.
func Server(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		return rpcctx.Wrap(providerserver.NewProtocol6(New(version)())())
	}
}
