package provider

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// moveInto runs the resource's state mover as the framework would.
func moveInto(t *testing.T, r *sshKeyResource, req resource.MoveStateRequest) (*resource.MoveStateResponse, sshKeyModel) {
	t.Helper()
	ctx := context.Background()
	var sch resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sch)
	resp := &resource.MoveStateResponse{TargetState: tfsdk.State{
		Schema: sch.Schema,
		Raw:    tftypes.NewValue(sch.Schema.Type().TerraformType(ctx), nil),
	}}
	movers := r.MoveState(ctx)
	if len(movers) != 1 {
		t.Fatalf("%d state movers, want 1", len(movers))
	}
	movers[0].StateMover(ctx, req, resp)
	var m sshKeyModel
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(r.get(ctx, resp.TargetState, &m)...)
	}
	return resp, m
}

func rawState(t *testing.T, attrs map[string]any) *tfprotov6.RawState {
	t.Helper()
	data, err := json.Marshal(attrs)
	if err != nil {
		t.Fatal(err)
	}
	return &tfprotov6.RawState{JSON: data}
}

// TestMoveState carries id, name, key (without file()'s newline) and
// project, and nothing of the rest: equinix v4's Go-formatted times stay
// behind, and the refresh fills them from the API.
func TestMoveState(t *testing.T) {
	key := newTestKey(t, "moved")
	const id, project = "5d0c3e3f-2a4b-4e8d-9d1c-7a6b5c4d3e2f", "0b2c4d6e-8f10-4a12-b314-c5d6e7f80912"
	equinixV4 := map[string]any{
		"id": id, "name": "deploy", "public_key": key.Line + "\n", "project_id": project, "owner_id": project,
		"fingerprint": key.MD5, "created": "time.Date(2026, time.December, 1, 7, 44, 5, 0, time.UTC)",
		"updated": "time.Date(2026, time.December, 1, 7, 44, 5, 0, time.UTC)",
	}
	resp, m := moveInto(t, &sshKeyResource{owner: projectKeyOwner}, resource.MoveStateRequest{
		SourceProviderAddress: "registry.terraform.io/equinix/equinix",
		SourceTypeName:        "equinix_metal_project_ssh_key",
		SourceRawState:        rawState(t, equinixV4),
	})
	if resp.Diagnostics.HasError() {
		t.Fatalf("move: %v", resp.Diagnostics)
	}
	if m.ID.ValueString() != id || m.Name.ValueString() != "deploy" || m.PublicKey.ValueString() != key.Line ||
		m.ProjectID.ValueString() != project || !m.Created.IsNull() || !m.Updated.IsNull() || !m.Fingerprint.IsNull() {
		t.Errorf("moved state %+v", m)
	}

	for _, tc := range []struct {
		name string
		r    *sshKeyResource
		req  resource.MoveStateRequest
		want string
	}{
		{"unknown source", &sshKeyResource{owner: userKeyOwner}, resource.MoveStateRequest{
			SourceProviderAddress: "registry.terraform.io/equinix/equinix", SourceTypeName: "equinix_metal_device",
			SourceRawState: rawState(t, equinixV4),
		}, "packet_user_ssh_key takes state only from: packet_ssh_key (packet provider), equinix_metal_ssh_key (equinix provider)"},
		{"right type, other provider", &sshKeyResource{owner: userKeyOwner}, resource.MoveStateRequest{
			SourceProviderAddress: "registry.terraform.io/acme/packet2", SourceTypeName: "packet_ssh_key",
			SourceRawState: rawState(t, equinixV4),
		}, "takes state only from"},
		{"newer schema version", &sshKeyResource{owner: projectKeyOwner}, resource.MoveStateRequest{
			SourceProviderAddress: "registry.terraform.io/equinix/equinix", SourceTypeName: "equinix_metal_project_ssh_key",
			SourceSchemaVersion: 1, SourceRawState: rawState(t, equinixV4),
		}, "schema version 1"},
		{"no project_id", &sshKeyResource{owner: projectKeyOwner}, resource.MoveStateRequest{
			SourceProviderAddress: "registry.terraform.io/equinix/equinix", SourceTypeName: "equinix_metal_project_ssh_key",
			SourceRawState: rawState(t, map[string]any{"id": id, "name": "deploy", "public_key": key.Line}),
		}, "has no project_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := moveInto(t, tc.r, tc.req)
			if !resp.Diagnostics.HasError() {
				t.Fatal("moved, want an error")
			}
			var text strings.Builder
			for _, d := range resp.Diagnostics.Errors() {
				text.WriteString(d.Summary() + ": " + d.Detail() + "\n")
			}
			if !strings.Contains(text.String(), tc.want) {
				t.Errorf("errors %q do not say %q", text.String(), tc.want)
			}
		})
	}
}
