package metal

import (
	"context"
	"net/http"
)

// User is the account the token belongs to.
type User struct {
	ID, Email, FullName string
}

// Project is the part of a project the provider uses.
type Project struct {
	ID, Name string
}

// CurrentUser returns the caller (GET /users/me).
func (c *Client) CurrentUser(ctx context.Context) (*User, error) {
	var out struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		FullName string `json:"full_name"`
	}
	if err := c.call(ctx, http.MethodGet, "users/me", nil, &out); err != nil {
		return nil, err
	}
	return &User{ID: out.ID, Email: out.Email, FullName: out.FullName}, nil
}

// GetProject reads one project; a project the caller may not see is a 404.
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
