// Command packet-mock runs the mock Packet API (internal/mockapi) on loopback
// for demos, acceptance tests and offline work with your own modules.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return fmt.Sprint(*l) }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// run serves until ctx ends; it returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("packet-mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (use port 0 for any free port)")
	token := fs.String("token", "", "API token of the seed's first user. With the built-in seed it is then the only token: "+
		"the built-in read-only and other users are left out (default: "+mockapi.DefaultToken+", plus "+
		mockapi.ReadOnlyToken+" and "+mockapi.OtherToken+")")
	seedFile := fs.String("seed", "", "JSON seed file (users with their tokens, projects, ssh_keys, devices); the only way to more users. "+
		"Default: the built-in seed (a user in a project, a read-only member of it, another user with a project the first cannot see)")
	stateFile := fs.String("state", "", "JSON state file: loaded at start if it exists (then --seed, --token and --device are ignored) and rewritten on every change")
	errorRate := fs.Float64("error-rate", 0, "fraction (0..1) of requests answered with 500/502/503")
	latency := fs.String("latency", "", "delay per request: a duration (50ms) or a random range (0-200ms)")
	dropRate := fs.Float64("drop-rate", 0, "fraction (0..1) of requests whose connection is closed without an answer")
	quiet := fs.Bool("quiet", false, "do not log requests to stderr")
	retired := fs.Bool("retired", false, "answer every API call 401, as the retired platform does since its end of life (2026-06-30); the admin endpoints keep working")
	noHostKey := fs.Bool("no-host-key-extension", false, "leave the mock-only ssh_host_key out of device JSON, as the real API has no host key field")
	var devices, states stringList
	fs.Var(&devices, "device", "create a device with this hostname in the first project (repeatable)")
	fs.Var(&states, "seed-from-state", "Terraform state file (terraform.tfstate) of this provider, the archived packethost/packet provider or equinix <= v4: "+
		"serve its projects, SSH keys and devices as it has them, so its configuration plans with no changes; the token's user takes the id of "+
		"the state's user. Resource types it does not read are listed on stderr. Repeatable; applied after --state is loaded too")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: packet-mock [flags]\n\nRuns an in-memory Packet API under /metal/v1 until SIGINT/SIGTERM.\nPrints api_url=, user_id= (the first user), read_only_user_id=, other_user_id=,\nproject_id=, other_project_id=, device_id= and device_hostname= lines on start.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}

	opts, err := options(*seedFile, *stateFile, *token, devices)
	if err != nil {
		fmt.Fprintf(stderr, "packet-mock: %v\n", err)
		return 2
	}
	opts.Retired = *retired
	if *noHostKey {
		opts.Provisioner = mockapi.SSHProvisionerConfig{NoHostKeyExtension: true}.Provisioner()
	}
	faults := mockapi.Faults{ErrorRate: *errorRate, DropRate: *dropRate, Seed: time.Now().UnixNano()}
	if faults.LatencyMin, faults.LatencyMax, err = mockapi.ParseLatency(*latency); err != nil {
		fmt.Fprintf(stderr, "packet-mock: %v\n", err)
		return 2
	}
	if !*quiet {
		opts.Logger = log.New(stderr, "packet-mock: ", log.LstdFlags)
	}

	srv, err := mockapi.New(opts)
	if err != nil {
		fmt.Fprintf(stderr, "packet-mock: %v\n", err)
		return 1
	}
	if err := seedFromStates(srv, states, stderr); err != nil {
		srv.Close()
		fmt.Fprintf(stderr, "packet-mock: %v\n", err)
		return 2
	}
	srv.SetFaults(faults)
	if err := srv.Listen(*listen); err != nil {
		srv.Close()
		fmt.Fprintf(stderr, "packet-mock: %v\n", err)
		return 1
	}
	for _, line := range srv.Summary() {
		fmt.Fprintln(stdout, line)
	}

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "packet-mock: shutdown: %v\n", err)
		return 1
	}
	return 0
}

func options(seedFile, stateFile, token string, devices []string) (mockapi.Options, error) {
	var seed *mockapi.Seed
	var err error
	switch {
	case seedFile != "":
		if seed, err = mockapi.LoadSeed(seedFile); err == nil && token != "" {
			err = seed.SetDefaultToken(token)
		}
	case token != "":
		seed, err = mockapi.SingleUserSeed(token)
	default:
		seed = mockapi.DefaultSeed()
	}
	if err != nil {
		return mockapi.Options{}, err
	}
	for _, hostname := range devices {
		if err := seed.AddDevice(hostname); err != nil {
			return mockapi.Options{}, err
		}
	}
	return mockapi.Options{Seed: seed, StatePath: stateFile, Provisioner: provisioner}, nil
}
