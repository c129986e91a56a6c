package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/packethost/terraform-provider-packet/internal/acctest"
	"github.com/packethost/terraform-provider-packet/internal/mockapi"
)

// TestAccSSHKeyList_generateConfigAndImport is the adoption of keys made
// in the portal, end to end through the real CLI: `terraform query
// -generate-config-out=keys.tf` writes a resource and an import block (by
// identity) for every key, `terraform apply` imports them all and changes
// nothing, and the next plan is empty. terraform-plugin-testing has no
// generate-config-out for query steps, so the CLI is driven directly.
func TestAccSSHKeyList_generateConfigAndImport(t *testing.T) {
	t.Parallel()
	acctest.Required(t)
	mock := testMock(t, mockapi.Options{})
	putPortalProjectKeys(t, mock, 50)
	for _, label := range []string{"laptop", "desktop"} {
		if _, err := mock.PutSSHKey(mockapi.SSHKey{Label: label, Key: newTestKey(t, label).Line, UserID: mockapi.DefaultUserID}); err != nil {
			t.Fatal(err)
		}
	}
	cli := newTerraformCLI(t, requiredPacketHCL+providerBlock(mock))
	acctest.SkipBelow(t, "1.14.0", "terraform query")
	query := projectList("project", "") + "\n" + listBlock("packet_user_ssh_key", "personal", "")
	if err := os.WriteFile(filepath.Join(cli.Dir, "keys.tfquery.hcl"), []byte(query), 0o600); err != nil {
		t.Fatal(err)
	}
	cli.Run("init", "-input=false", "-no-color")

	mock.ResetRequests()
	cli.Run("query", "-no-color", "-generate-config-out=keys.tf")
	if err := requestsAre(mock, map[string]int{"GET /projects/{id}/ssh-keys": 1, "GET /ssh-keys": 1}); err != nil {
		t.Errorf("terraform query -generate-config-out: %v", err)
	}
	generated, err := os.ReadFile(filepath.Join(cli.Dir, "keys.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(generated), "identity = {"); n != 52 {
		t.Errorf("keys.tf has %d import blocks by identity; want 52", n)
	}
	projectIdentity := regexp.MustCompile(`identity = \{\s+id\s+= "[0-9a-f-]{36}"\s+project_id = "` + mockapi.DefaultProjectID + `"\s+\}`)
	if n := len(projectIdentity.FindAll(generated, -1)); n != 50 {
		t.Errorf("keys.tf has %d identities that name the project; want 50", n)
	}

	mock.ResetRequests()
	apply := cli.Run("apply", "-input=false", "-no-color", "-auto-approve")
	if !strings.Contains(apply, "52 imported, 0 added, 0 changed, 0 destroyed") {
		t.Errorf("apply did not just import the 52 keys:\n%s", apply)
	}
	// The imports' Reads are answered from one listing per owner: the
	// generated identities name the project, so no key is read alone.
	if err := requestsAre(mock, map[string]int{"GET /projects/{id}/ssh-keys": 1, "GET /ssh-keys": 1}); err != nil {
		t.Errorf("importing 52 keys: %v", err)
	}
	if got := len(cli.Identities()); got != 52 {
		t.Errorf("state has %d identities after the import; want 52", got)
	}
	if got := len(mock.SSHKeys()); got != 52 {
		t.Errorf("the API has %d keys after the import; want the 52 it had", got)
	}
	if plan := cli.Run("plan", "-input=false", "-no-color", "-detailed-exitcode"); !strings.Contains(plan, "No changes.") {
		t.Errorf("plan after importing is not empty:\n%s", plan)
	}
}
