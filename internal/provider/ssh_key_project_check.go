package provider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/packethost/terraform-provider-packet/internal/metal"
)

// knownProjects remembers each project's lookup for the life of one
// configured provider (one terraform command), so planning many keys of a
// project, even in parallel, costs one request, not one per key. The zero
// value is ready.
type knownProjects struct{ lookups sync.Map } // project id → *projectLookup

type projectLookup struct {
	once sync.Once
	err  error
}

// lookUp gets the project once per id; every caller gets that answer.
func (k *knownProjects) lookUp(ctx context.Context, client *metal.Client, id string) error {
	v, _ := k.lookups.LoadOrStore(id, &projectLookup{})
	l := v.(*projectLookup) //nolint:forcetypeassert // only *projectLookup is stored
	l.once.Do(func() { _, l.err = client.GetProject(ctx, id) })
	return l.err
}

// checkProjectExists reports at plan time a project key's project that the
// API does not have (or the token cannot see), before anything is created.
// Personal keys have no project: their projectID is null. It needs a
// configured client. An API that refuses the check (401, 403,
// 410: the retired platform's answers) or cannot be reached at all fails the
// plan too, with the error's own diagnostic: apply would meet the same. Other
// failures (5xx, timeouts) are left to apply, which retries them with the create.
func (r *sshKeyResource) checkProjectExists(ctx context.Context, projectID types.String, diags *diag.Diagnostics) {
	if projectID.IsNull() || projectID.IsUnknown() || r.data == nil || r.data.client == nil {
		return
	}
	id := projectID.ValueString()
	switch err := r.data.knownProjects.lookUp(ctx, r.data.client, id); {
	case metal.IsNotFound(err):
		diags.AddAttributeError(path.Root("project_id"), "Project not found",
			fmt.Sprintf("Project %s was not found, or this API token cannot see it: check project_id (the project's "+
				"UUID, as the portal shows it) and that the token's user is a member of the project.", id))
	case metal.IsRefused(err):
		diags.AddError("Could not check the project", err.Error())
	}
}
