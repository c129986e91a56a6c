package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/testutil"
)

func TestMain(m *testing.M) { acctest.Main(m) }

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

// mockProvider is the provider block for the mock. Retries are short so
// fault tests stay fast.
func mockProvider(mock *mockapi.Server) acctest.ProviderBlock {
	return acctest.ProviderBlock{AuthToken: mockapi.DefaultToken, APIURL: mock.URL(), MaxRetries: 5}
}

// providerBlock renders mockProvider.
func providerBlock(mock *mockapi.Server) string { return mockProvider(mock).String() }

// sshBlock is the body of a provider's ssh block that logs in with pem and no agent.
func sshBlock(pem string) string { return fmt.Sprintf("private_key = %q\nagent = false", pem) }

// errorLike matches text in Terraform's error output, which wraps long
// lines: every run of spaces in text matches any whitespace.
func errorLike(text string) *regexp.Regexp {
	words := strings.Fields(text)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(strings.Join(words, `\s+`))
}

// projectKeyWith renders a provider block with these settings (HCL lines) and
// one project key, the first thing most configurations create.
func projectKeyWith(t *testing.T, settings string) string {
	return acctest.ProviderBlock{Settings: settings}.String() + fmt.Sprintf(`
resource "packet_project_ssh_key" "test" {
  project_id = %q
  name       = "laptop"
  public_key = %q
}
`, mockapi.DefaultProjectID, newTestKey(t, "laptop").Line)
}

func TestAccRefusedTokenNamesTheSettingItCameFrom(t *testing.T) {
	mock := testMock(t, mockapi.Options{})
	// Not parallel: the provider runs in this process and reads these.
	t.Setenv(envAuthToken, "wrong-token")
	t.Setenv(envMetalAuthToken, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: projectKeyWith(t, fmt.Sprintf("api_url = %q", mock.URL())),
				ExpectError: errorLike("401 Unauthorized: invalid authentication token. The API at " + mock.URL() + ` from ` +
					`api_url in the provider "packet" block refused the token from the PACKET_AUTH_TOKEN environment variable: ` +
					"against packet-mock or another endpoint that is a token problem, so check that the token is current there"),
			},
			{
				Config:      projectKeyWith(t, fmt.Sprintf("api_url = %q\nauth_token = \"also-wrong\"", mock.URL())),
				ExpectError: errorLike(`refused the token from auth_token in the provider "packet" block: against packet-mock`),
			},
		},
	})
}

func TestAccAPIURLWithoutBasePathSaysItIsProbablyMissing(t *testing.T) {
	t.Parallel()
	mock := testMock(t, mockapi.Options{})
	root := strings.TrimSuffix(mock.URL(), "metal/v1/")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			Config: projectKeyWith(t, fmt.Sprintf("api_url = %q\nauth_token = %q", root, mockapi.DefaultToken)),
			ExpectError: errorLike("404 Not Found: Not found. The API URL " + root + ` from api_url in the provider "packet" ` +
				"block has no /metal/v1/ base path, which is probably missing: use " + mock.URL()),
		}},
	})
}

func TestAccStoppedAPIFailsFastAndSaysWhere(t *testing.T) {
	t.Parallel()
	url := "http://" + testutil.RefusingAddress(t) + "/metal/v1/" // as after packet-mock was stopped
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories,
		Steps: []resource.TestStep{{
			// The default max_retries (10): refused connections must not use them all.
			Config: projectKeyWith(t, fmt.Sprintf("api_url = %q\nauth_token = %q", url, mockapi.DefaultToken)),
			ExpectError: errorLike("connection refused. Nothing accepts connections at " + url + ` from api_url in the ` +
				`provider "packet" block: is the API (or packet-mock) running there, and is that the right URL?`),
		}},
	})
}

func TestSettingsSayWhereTheyCameFrom(t *testing.T) {
	tests := []struct {
		name, configured, packet, metal string
		wantValue, wantSource           string
	}{
		{"block first", "from-block", "from-packet", "from-metal", "from-block", `auth_token in the provider "packet" block`},
		{"then PACKET_AUTH_TOKEN", "", "from-packet", "from-metal", "from-packet", "the PACKET_AUTH_TOKEN environment variable"},
		{"then METAL_AUTH_TOKEN", "", "", "from-metal", "from-metal", "the METAL_AUTH_TOKEN environment variable"},
		{"none", "", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envAuthToken, tt.packet)
			t.Setenv(envMetalAuthToken, tt.metal)
			value, source := fromSetting(tt.configured, "auth_token", envAuthToken, envMetalAuthToken)
			if value != tt.wantValue || source != tt.wantSource {
				t.Errorf("fromSetting(%q) = %q, %q; want %q, %q", tt.configured, value, source, tt.wantValue, tt.wantSource)
			}
		})
	}
}

// providerAddress is where the CLI runs below find the reattached provider.
const providerAddress = "registry.terraform.io/packethost/packet"

// requiredPacketHCL points a bare working directory at this provider. The
// source names its registry: the test serves the provider under that
// address, and OpenTofu would otherwise look for it on its own registry.
const requiredPacketHCL = `
terraform {
  required_providers {
    packet = { source = "` + providerAddress + `" }
  }
}
`

// newTerraformCLI is a CLI working directory whose packet provider is
// this package's, served in the test process at providerAddress.
func newTerraformCLI(t *testing.T, config string) *acctest.Workdir {
	t.Helper()
	acctest.Required(t)
	return acctest.NewWorkdir(t, config, acctest.ServeV6(t, providerAddress, Server("test")))
}

// newCLIRun is newTerraformCLI with these variables (TF_VAR_*), initialised.
func newCLIRun(t *testing.T, config string, vars map[string]string) *acctest.Workdir {
	t.Helper()
	cli := newTerraformCLI(t, config)
	for name, value := range vars {
		cli.Setenv("TF_VAR_"+name, value)
	}
	cli.Run("init", "-backend=false")
	return cli
}

// stateKeys are the key resources of terraform.tfstate.
func stateKeys(w *acctest.Workdir) []stateKey {
	var keys []stateKey
	for _, r := range w.State().Resources {
		if r.Type != "packet_project_ssh_key" && r.Type != "packet_user_ssh_key" {
			continue
		}
		for _, in := range r.Instances {
			str := func(name string) string { v, _ := in.Attributes[name].(string); return v }
			keys = append(keys, stateKey{ID: str("id"), Name: str("name"), Fingerprint: str("fingerprint")})
		}
	}
	return keys
}

type stateKey struct{ ID, Name, Fingerprint string }
