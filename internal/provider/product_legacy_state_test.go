package provider

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov5"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
	"github.com/packethost/terraform-provider-packet/internal/tfcli"
)

// These tests drive the CLI themselves (newTerraformCLI, the acctest
// harness), so that they can start from a state file shaped as the earlier
// providers wrote it, under their real registry addresses, and choose which
// providers Terraform can install.

// equinixAddress is where the CLI looks for equinix/equinix: the state file
// names registry.terraform.io, which OpenTofu reads as its own registry
// (TF_ACC_PROVIDER_HOST=registry.opentofu.org in its test pass).
func equinixAddress() string {
	return tfcli.ProviderHost() + "/equinix/equinix"
}

// legacyStateKey is one key as a state file template needs it.
type legacyStateKey struct{ ID, Key, Fingerprint, Created, Updated string }

type legacyStateData struct {
	UserID, ProjectID       string
	PersonalKey, ProjectKey legacyStateKey
}

// seedLegacyKeys puts the two keys of a legacy configuration into the mock
// as the earlier providers uploaded them: read with file(), so with the
// trailing newline, which the API keeps.
func seedLegacyKeys(t *testing.T, mock *mockapi.Server, personal, project testKey) legacyStateData {
	t.Helper()
	put := func(k mockapi.SSHKey) legacyStateKey {
		got, err := mock.PutSSHKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return legacyStateKey{ID: got.ID, Key: got.Key, Fingerprint: got.Fingerprint,
			Created: got.CreatedAt.UTC().Format(time.RFC3339), Updated: got.UpdatedAt.UTC().Format(time.RFC3339)}
	}
	return legacyStateData{
		UserID: mockapi.DefaultUserID, ProjectID: mockapi.DefaultProjectID,
		PersonalKey: put(mockapi.SSHKey{Label: "laptop", Key: personal.Line + "\n", UserID: mockapi.DefaultUserID}),
		ProjectKey:  put(mockapi.SSHKey{Label: "deploy", Key: project.Line + "\n", ProjectID: mockapi.DefaultProjectID}),
	}
}

// writeLegacyState renders testdata/legacy-state/<name> into dir/terraform.tfstate.
func writeLegacyState(t *testing.T, dir, name string, data legacyStateData) {
	t.Helper()
	tmpl, err := template.New(name).Funcs(template.FuncMap{
		"json": func(s string) (string, error) {
			b, err := json.Marshal(s)
			return string(b), err
		},
		"goTime": asGoTime,
	}).ParseFiles(filepath.Join("testdata", "legacy-state", name))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out.Bytes()) {
		t.Fatalf("%s renders to invalid JSON:\n%s", name, out.String())
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfstate"), out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newMigrationCLI is a terraform working directory whose CLI can reach
// exactly the providers given (served in this process under their real
// addresses) and install nothing else: the CLI config's only installation
// source is an empty local mirror.
func newMigrationCLI(t *testing.T, config string, equinix *legacyFlavour) *acctest.Workdir {
	t.Helper()
	cli := newTerraformCLI(t, config) // serves this provider at providerAddress
	mirror := filepath.Join(cli.Dir, "empty-mirror")
	if err := os.Mkdir(mirror, 0o700); err != nil {
		t.Fatal(err)
	}
	cli.WriteCLIConfig("provider_installation {\n  filesystem_mirror {\n    path = \"" + filepath.ToSlash(mirror) + "\"\n  }\n}\n")
	if equinix != nil {
		addEquinix(t, cli, *equinix)
	}
	return cli
}

// addEquinix serves an equinix double over protocol 5 at equinixAddress
// and lets the CLI reach it.
func addEquinix(t *testing.T, cli *acctest.Workdir, flavour legacyFlavour) {
	t.Helper()
	server, err := flavour.factory()()
	if err != nil {
		t.Fatal(err)
	}
	cli.AddProvider(acctest.ServeV5(t, equinixAddress(), func() tfprotov5.ProviderServer { return server }))
}

// TestMigrate_legacyStateFilePlansEmpty starts from terraform.tfstate as
// the archived packethost/packet v3 wrote it (schema 0, Terraform 1.0,
// keys with their trailing newline) and the legacy HCL unchanged: with
// this provider in its place, the plan is empty, and packet_ssh_key's
// deprecation gives the moved block to write.
func TestMigrate_legacyStateFilePlansEmpty(t *testing.T) {
	mock := testMock(t, mockapi.Options{})
	t.Setenv(envAPIURL, mock.URL())
	personal, project := newTestKey(t, "me@laptop"), newTestKey(t, "deploy")
	data := seedLegacyKeys(t, mock, personal, project)
	cli := newMigrationCLI(t, requiredPacketHCL+legacyPacketHCL(personal, project), nil)
	writeLegacyState(t, cli.Dir, "packethost-packet-v3.tfstate", data)

	cli.Run("init", "-input=false", "-no-color")
	plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode") // exit 2 (changes) fails the test
	if !strings.Contains(plan, "No changes.") {
		t.Errorf("plan is not empty:\n%s", plan)
	}
	for _, want := range []string{"Warning: Deprecated", "moved {", "from = packet_ssh_key.NAME", "to   = packet_user_ssh_key.NAME"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan's deprecation warning lacks %q:\n%s", want, plan)
		}
	}
}

// TestMigrate_movedFromEquinixNeedsOnlyTheProviderInstalled starts from
// equinix v4 state (created/updated as Go time.Date values) and a config
// with only this provider and moved blocks. Terraform reads state only to
// hand the raw JSON to MoveResourceState, but `terraform init` must install
// every provider the state names: without equinix/equinix installable, init
// fails; with the Metal-free v5 installed (no equinix_metal_* schema at
// all), the move applies with nothing created or destroyed.
func TestMigrate_movedFromEquinixNeedsOnlyTheProviderInstalled(t *testing.T) {
	mock := testMock(t, mockapi.Options{})
	t.Setenv(envAPIURL, mock.URL())
	personal, project := newTestKey(t, "me@laptop"), newTestKey(t, "deploy")
	data := seedLegacyKeys(t, mock, personal, project)
	config := requiredPacketHCL + acctest.ProviderBlock{AuthToken: mockapi.DefaultToken}.String() + `

resource "packet_user_ssh_key" "laptop" {
  name       = "laptop"
  public_key = ` + quote(personal.Line+"\n") + `
}

resource "packet_project_ssh_key" "deploy" {
  name       = "deploy"
  public_key = ` + quote(project.Line+"\n") + `
  project_id = "` + mockapi.DefaultProjectID + `"
}

moved {
  from = equinix_metal_ssh_key.laptop
  to   = packet_user_ssh_key.laptop
}

moved {
  from = equinix_metal_project_ssh_key.deploy
  to   = packet_project_ssh_key.deploy
}
`
	without := newMigrationCLI(t, config, nil)
	writeLegacyState(t, without.Dir, "equinix-v4.tfstate", data)
	out := without.Fail("init", "-input=false", "-no-color")
	if !strings.Contains(out, "equinix/equinix") {
		t.Errorf("init without equinix installable failed, but not for it:\n%s", out)
	}
	t.Logf("init with equinix/equinix not installable:\n%s", out)

	cli := newMigrationCLI(t, config, &legacyEquinixV5)
	writeLegacyState(t, cli.Dir, "equinix-v4.tfstate", data)
	cli.Run("init", "-input=false", "-no-color")
	apply := cli.Run("apply", "-auto-approve", "-input=false", "-no-color")
	for _, want := range []string{
		"equinix_metal_ssh_key.laptop has moved to packet_user_ssh_key.laptop",
		"equinix_metal_project_ssh_key.deploy has moved to packet_project_ssh_key.deploy",
		"0 added, 0 changed, 0 destroyed",
	} {
		if !strings.Contains(apply, want) {
			t.Errorf("apply output lacks %q:\n%s", want, apply)
		}
	}
	state := cli.Run("state", "list", "-no-color")
	if strings.Contains(state, "equinix_") || !strings.Contains(state, "packet_user_ssh_key.laptop") {
		t.Errorf("state after the move:\n%s", state)
	}
	if keys := stateKeys(cli); len(keys) != 2 || keys[0].ID != data.ProjectKey.ID && keys[0].ID != data.PersonalKey.ID {
		t.Errorf("state keys %+v, want the two existing keys", keys)
	}
	if plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan after the move is not empty:\n%s", plan)
	}
	if n := len(mock.SSHKeys()); n != 2 {
		t.Errorf("%d keys in the API, want the 2 that were there", n)
	}

	// Afterwards equinix is no longer needed: without it and without the
	// moved blocks, init works and the plan is empty.
	withoutMoves, _, _ := strings.Cut(config, "moved {")
	after := newMigrationCLI(t, withoutMoves, nil)
	moved, err := os.ReadFile(filepath.Join(cli.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(after.Dir, "terraform.tfstate"), moved, 0o600); err != nil {
		t.Fatal(err)
	}
	after.Run("init", "-input=false", "-no-color")
	if plan := after.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan without equinix and the moved blocks is not empty:\n%s", plan)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
