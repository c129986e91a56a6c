package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// testProviderFactories serve the provider in-process over protocol 6 to the
// real terraform (or tofu) CLI that terraform-plugin-testing drives.
var testProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"packet": func() (tfprotov6.ProviderServer, error) { return Server("test")(), nil },
}

// functionsNeedTerraform18 skips function tests on CLIs older than 1.8,
// which have no provider-defined functions; CI runs 1.11, where they run.
var functionsNeedTerraform18 = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)}

// testMock is an in-process mock API for one test, with the default seed
// unless opts says otherwise; it is closed when the test ends.
func testMock(t *testing.T, opts mockapi.Options) *mockapi.Server {
	t.Helper()
	return mockapi.NewTestServer(t, opts)
}

// providerBlock renders a provider block pointing at the mock. Retries are
// short so fault tests stay fast.
func providerBlock(mock *mockapi.Server) string {
	return fmt.Sprintf(`
provider "packet" {
  auth_token  = %q
  api_url     = %q
  max_retries = 5
}
`, mockapi.DefaultToken, mock.URL())
}

// errorLike matches text in Terraform's error output, which wraps long
// lines: every run of spaces in text matches any whitespace.
func errorLike(text string) *regexp.Regexp {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}
