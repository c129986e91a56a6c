// Package homedir expands a leading "~" in paths users write in HCL, the
// way a shell would ("~/.ssh/id_ed25519"); Terraform itself does not.
package homedir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Expand replaces a leading "~" or "~/" with the current user's home
// directory. Other paths, including "~user/...", are returned unchanged.
func Expand(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot expand ~ in %q: %w", p, err)
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~")), nil
}
