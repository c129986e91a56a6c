// Command terraform-provider-packet serves the packet Terraform provider.
package main

import (
	"flag"
	"log"
	"os"
	"runtime/debug"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/packethost/terraform-provider-packet/internal/provider"
)

// version is set at build time by goreleaser or the GNUmakefile through -ldflags.
var version = "dev"

//go:generate go tool tfplugindocs generate --provider-name packet

const address = "registry.terraform.io/packethost/packet"

// The garbage collector's settings unless the user gives theirs (tuneGC).
const (
	gcPercent     = 400
	gcMemoryLimit = 24 << 20
)

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()

	quietSDKLogs()
	tuneGC()
	var opts []tf6server.ServeOpt
	if debug {
		opts = append(opts, tf6server.WithManagedDebug())
	}
	err := tf6server.Serve(address, provider.Server(version), opts...)
	if err != nil {
		log.Fatal(err)
	}
}

// quietSDKLogs turns the plugin SDK's and the provider's logs off when
// Terraform shows no provider logs (neither TF_LOG nor TF_LOG_PROVIDER is
// set). Their default level is TRACE: every RPC would be encoded as JSON,
// written to stderr and parsed by Terraform only to be dropped, which is a
// third of a no-change plan's CPU at 1,000 resources. A level set
// explicitly is kept.
func quietSDKLogs() {
	if os.Getenv("TF_LOG") != "" || os.Getenv("TF_LOG_PROVIDER") != "" {
		return
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER_PACKET"} {
		if _, set := os.LookupEnv(name); !set {
			_ = os.Setenv(name, "OFF")
		}
	}
}

// tuneGC trades memory the provider has to spare for CPU. With GOGC=400 the
// collector runs a quarter as often; the 24 MiB soft limit makes it run
// early again as the heap nears that size, so the heap of a large plan
// stays about that size. In the bench (BENCHMARKS.md) this took a no-change plan's
// provider CPU down 19 % at 1,000 keys and 8 % at 3,000, and peak RSS at
// 3,000 from 40 MB to 39. GOGC or GOMEMLIMIT set by the user is kept.
func tuneGC() {
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if os.Getenv(name) != "" { // empty is unset, as the runtime reads it
			return
		}
	}
	debug.SetGCPercent(gcPercent)
	debug.SetMemoryLimit(gcMemoryLimit)
}
