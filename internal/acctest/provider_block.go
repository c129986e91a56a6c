package acctest

import (
	"fmt"
	"strings"
)

// ProviderBlock is a provider "packet" block; empty fields are left out.
type ProviderBlock struct {
	AuthToken, APIURL string // quoted in the block
	MaxRetries        int
	// Settings are more HCL lines as written, e.g. an expression for auth_token.
	Settings string
	// SSH is the body of the ssh block, HCL lines such as `agent = false`;
	// empty leaves the block out.
	SSH string
}

func (p ProviderBlock) String() string {
	var b strings.Builder
	b.WriteString("\nprovider \"packet\" {\n")
	if p.AuthToken != "" {
		fmt.Fprintf(&b, "  auth_token  = %q\n", p.AuthToken)
	}
	if p.APIURL != "" {
		fmt.Fprintf(&b, "  api_url     = %q\n", p.APIURL)
	}
	if p.MaxRetries != 0 {
		fmt.Fprintf(&b, "  max_retries = %d\n", p.MaxRetries)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(p.Settings), "\n") {
		if line != "" {
			b.WriteString("  " + strings.TrimSpace(line) + "\n")
		}
	}
	if p.SSH != "" {
		b.WriteString("  ssh {\n")
		for line := range strings.SplitSeq(strings.TrimSpace(p.SSH), "\n") {
			b.WriteString("    " + strings.TrimSpace(line) + "\n")
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}
