package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// moveSource is a resource type of an earlier provider whose state a
// `moved` block may bring to one of ours.
type moveSource struct {
	provider string // the provider's type: the last part of its address
	typeName string
}

func (m moveSource) String() string { return m.typeName + " (" + m.provider + " provider)" }

// MoveState takes over the state of the earlier providers' key resources.
// Only what identifies the key and what the user wrote is carried (id,
// name, public_key, project_id); everything else comes from the API in the
// refresh that follows, so their quirks (equinix v4 wrote created/updated
// as Go time.Date(...) values, keys may end in a newline, hrefs may lack
// /metal/v1) never reach our state.
func (r *sshKeyResource) MoveState(context.Context) []resource.StateMover {
	if r.owner.deprecation != "" {
		return nil // the alias is a source, never a target
	}
	return []resource.StateMover{{StateMover: r.moveState}}
}

func (r *sshKeyResource) moveState(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
	target := "packet_" + r.owner.typeName
	if !r.acceptsMoveFrom(req.SourceProviderAddress, req.SourceTypeName) {
		supported := make([]string, 0, len(r.owner.moveSources))
		for _, src := range r.owner.moveSources {
			supported = append(supported, src.String())
		}
		resp.Diagnostics.AddError("Cannot move this resource to "+target,
			fmt.Sprintf("A moved block leads from %s of %s to %s, but %s takes state only from: %s.",
				req.SourceTypeName, req.SourceProviderAddress, target, target, strings.Join(supported, ", ")))
		return
	}
	if req.SourceSchemaVersion != 0 {
		resp.Diagnostics.AddError("Unknown state version",
			fmt.Sprintf("The state of %s has schema version %d; this provider knows how to move version 0, which every "+
				"released version of %s wrote. Move it with that provider's latest v0 release, or remove it from state and import it.",
				req.SourceTypeName, req.SourceSchemaVersion, req.SourceProviderAddress))
		return
	}
	if req.SourceRawState == nil {
		resp.Diagnostics.AddError("No state to move", "Terraform sent no state for "+req.SourceTypeName+".")
		return
	}
	var raw map[string]any
	if err := json.Unmarshal(req.SourceRawState.JSON, &raw); err != nil {
		resp.Diagnostics.AddError("Unreadable state", fmt.Sprintf("The state of %s is not a JSON object: %v", req.SourceTypeName, err))
		return
	}
	wanted := []string{"id", "name", "public_key"}
	if r.owner.inProject() {
		wanted = append(wanted, "project_id")
	}
	values := map[string]string{}
	for _, name := range wanted {
		v, ok := raw[name].(string)
		if !ok || v == "" {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Incomplete state",
				fmt.Sprintf("The state of %s has no %s, which moving it to %s needs.", req.SourceTypeName, name, target))
			continue
		}
		values[name] = v
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// The rest stays null (the zero value) until the refresh.
	var m sshKeyModel
	m.ID, m.Name = types.StringValue(values["id"]), types.StringValue(values["name"])
	// file("key.pub") leaves a newline, which is no part of the key.
	m.PublicKey = newPublicKeyValue(strings.TrimRight(values["public_key"], "\r\n"))
	m.Tags = types.SetNull(types.StringType)
	if project, ok := values["project_id"]; ok {
		m.ProjectID = types.StringValue(project)
	}
	resp.Diagnostics.Append(r.set(ctx, &resp.TargetState, m)...)
}

func (r *sshKeyResource) acceptsMoveFrom(providerAddress, typeName string) bool {
	providerType := providerAddress[strings.LastIndex(providerAddress, "/")+1:]
	for _, src := range r.owner.moveSources {
		if src.typeName == typeName && src.provider == providerType {
			return true
		}
	}
	return false
}
