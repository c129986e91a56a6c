// Command profiledprovider is terraform-provider-packet with a CPU profile:
// each process writes cpu-<pid>.pprof into $PACKET_BENCH_CPUPROFILE_DIR when
// terraform shuts it down. `go run ./bench -cpuprofile FILE` builds and runs
// it; the real main.go stays free of profiling hooks.
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/packethost/terraform-provider-packet/internal/provider"
)

const address = "registry.terraform.io/packethost/packet"

func main() {
	if dir := os.Getenv("PACKET_BENCH_CPUPROFILE_DIR"); dir != "" {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", os.Getpid())))
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer func() {
			pprof.StopCPUProfile()
			_ = f.Close()
		}()
	}
	if err := tf6server.Serve(address, provider.Server("profiled")); err != nil {
		log.Print(err)
	}
}
