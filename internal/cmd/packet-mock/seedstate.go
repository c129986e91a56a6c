package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// seedFromStates seeds srv from each Terraform state file in turn and says
// on stderr what each gave, skipped and could not reproduce: a resource
// type the mock does not read is listed, never guessed at.
func seedFromStates(srv *mockapi.Server, files []string, stderr io.Writer) error {
	for _, file := range files {
		data, err := os.ReadFile(file) //nolint:gosec // the user names the state files on the command line
		if err != nil {
			return fmt.Errorf("--seed-from-state: %w", err)
		}
		sum, err := srv.SeedFromState(data)
		if err != nil {
			return fmt.Errorf("--seed-from-state %s: %w", file, err)
		}
		fmt.Fprintf(stderr, "packet-mock: %s: seeded %d project(s), %d SSH key(s), %d device(s), %d key attachment(s)\n",
			file, sum.Projects, sum.SSHKeys, sum.Devices, sum.Attachments)
		if len(sum.Skipped) > 0 {
			fmt.Fprintf(stderr, "packet-mock: %s: skipped (packet-mock does not read these types): %s\n", file, strings.Join(sum.Skipped, ", "))
		}
		for _, n := range sum.Notes {
			fmt.Fprintf(stderr, "packet-mock: %s: note: %s\n", file, n)
		}
	}
	return nil
}
