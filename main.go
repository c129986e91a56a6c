// Command terraform-provider-packet serves the packet Terraform provider.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/packethost/terraform-provider-packet/internal/provider"
)

// version is set at build time by goreleaser or the GNUmakefile through -ldflags.
var version = "dev"

//go:generate go tool tfplugindocs generate --provider-name packet

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/packethost/packet",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
