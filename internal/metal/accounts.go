package metal

import (
	"context"
	"net/http"
)

// Project is the part of a project the provider uses.
type Project struct {
	ID, Name string
}

// GetProject reads one project; a project the caller may not see is a 404.
// The project key resource uses it to check project_id at plan time.
func (c *Client) GetProject(ctx context.Context, id string) (*Project, error) {
	if err := validateID("project", id); err != nil {
		return nil, err
	}
	var out struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := c.call(ctx, http.MethodGet, "projects/"+id, nil, &out); err != nil {
		return nil, err
	}
	return &Project{ID: out.ID, Name: out.Name}, nil
}
