package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// State written before options, pre_existing, pinned_host_key and the
// write-only key existed still reads, and a key the platform provisioned is
// taken as pre-existing, so destroy leaves it.
func TestStateFromBeforeOwnershipStillReads(t *testing.T) {
	ctx := context.Background()
	var sr resource.SchemaResponse
	NewDeviceKeyAttachmentResource().Schema(ctx, resource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx)
	old := []byte(`{
  "id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f/0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11",
  "device_id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
  "ssh_key_id": "0b7a5b2e-6d7c-4f41-9c55-0f6a2f2b8c11",
  "ssh": {"host": null, "port": null, "user": null, "private_key_file": "/id", "agent": null,
          "use_root_password": null, "host_key": null, "known_hosts_file": null,
          "insecure_ignore_host_key": null, "authorized_keys_path": null},
  "public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBQhiU2a4Rj9lsBKdwgdtPaaePKTK1ebC4a4O/QaD5Mh op",
  "fingerprint": "aa:bb",
  "fingerprint_sha256": "SHA256:x",
  "provisioned": true
}`)
	raw, err := tftypes.ValueFromJSONWithOpts(old, typ, tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true})
	if err != nil {
		t.Fatalf("old state does not read: %v", err)
	}
	var m attachmentModel
	if diags := (tfsdk.State{Raw: raw, Schema: sr.Schema}).Get(ctx, &m); diags.HasError() {
		t.Fatalf("old state does not decode: %v", diags)
	}
	if !m.PreExisting.IsNull() || !m.Options.IsNull() || !m.PinnedHostKey.IsNull() || m.SSH.PrivateKeyFile.ValueString() != "/id" {
		t.Fatalf("decoded %+v", m)
	}
	if m.ownsLine() {
		t.Fatal("a key the platform provisioned, in old state, would be removed on destroy")
	}
}
