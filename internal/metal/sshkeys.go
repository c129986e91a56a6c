package metal

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// OwnerKind says whether an SSH key belongs to a project or to a user.
type OwnerKind string

const (
	OwnerProject OwnerKind = "project"
	OwnerUser    OwnerKind = "user"
)

// Owner of an SSH key. For user keys ID may be "" when creating or listing:
// the API then uses the caller.
type Owner struct {
	Kind OwnerKind
	ID   string
}

// SSHKey is a key as the API returns it.
type SSHKey struct {
	ID, Label, Key, Fingerprint string
	Tags                        []string // nil when the API sent none
	Owner                       Owner    // zero when the API named no owner
	CreatedAt, UpdatedAt        string   // RFC 3339, as sent
	Href                        string
}

// SSHKeyCreate is the body of a key creation.
type SSHKeyCreate struct {
	Label, Key string
	Tags       []string
}

// SSHKeyUpdate changes the fields that are not nil. A pointer to an empty
// slice removes all tags.
type SSHKeyUpdate struct {
	Label *string
	Tags  *[]string
}

// ListOptions narrow and page a list. PerPage 0 asks for PageSize; all
// pages are fetched either way.
type ListOptions struct {
	Search  string
	PerPage int
}

// sshKeyJSON is the wire form. packngo's SSHKey lacks tags and the spec's
// "entity", so keys are decoded here. The API sends "owner" (packngo) or
// "entity" (the OpenAPI spec); both are read.
type sshKeyJSON struct {
	ID          string    `json:"id"`
	Label       string    `json:"label"`
	Key         string    `json:"key"`
	Fingerprint string    `json:"fingerprint"`
	Tags        []string  `json:"tags"`
	Owner       *hrefJSON `json:"owner"`
	Entity      *hrefJSON `json:"entity"`
	CreatedAt   string    `json:"created_at"`
	UpdatedAt   string    `json:"updated_at"`
	Href        string    `json:"href"`
}

func (k *sshKeyJSON) toSSHKey() SSHKey {
	key := SSHKey{
		ID: k.ID, Label: k.Label, Key: k.Key, Fingerprint: k.Fingerprint, Tags: k.Tags,
		CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt, Href: k.Href,
	}
	for _, link := range []*hrefJSON{k.Owner, k.Entity} {
		if link == nil {
			continue
		}
		if owner, ok := parseOwner(link.Href); ok {
			key.Owner = owner
			break
		}
	}
	return key
}

func toSSHKeys(in []sshKeyJSON) []SSHKey {
	out := make([]SSHKey, 0, len(in))
	for i := range in {
		out = append(out, in[i].toSSHKey())
	}
	return out
}

type sshKeyCreateJSON struct {
	Label string   `json:"label"`
	Key   string   `json:"key"`
	Tags  []string `json:"tags,omitempty"`
}

type sshKeyUpdateJSON struct {
	Label *string   `json:"label,omitempty"`
	Tags  *[]string `json:"tags,omitempty"` // a pointer, so an empty list is still sent
}

// keysPath is the collection an owner's keys live in.
func keysPath(owner Owner) (string, error) {
	switch owner.Kind {
	case OwnerProject:
		if err := validateID("project", owner.ID); err != nil {
			return "", err
		}
		return "projects/" + owner.ID + "/ssh-keys", nil
	case OwnerUser:
		return "ssh-keys", nil // always the caller's own keys
	}
	return "", errors.New("metal: SSH key owner kind must be project or user, got " + strconv.Quote(string(owner.Kind)))
}

// CreateSSHKey creates a project key or a personal key of the caller. A POST
// is never blindly retried on 5xx or a broken connection (see IsAmbiguous):
// see createSSHKeyOnce for how it is made safe to repeat.
func (c *Client) CreateSSHKey(ctx context.Context, owner Owner, in SSHKeyCreate) (*SSHKey, error) {
	path, err := keysPath(owner)
	if err != nil {
		return nil, err
	}
	return c.createSSHKeyOnce(ctx, owner, path, in)
}

// postSSHKey is one POST of a key (retried by the HTTP layer only on 429).
func (c *Client) postSSHKey(ctx context.Context, path string, in SSHKeyCreate) (*SSHKey, error) {
	var out sshKeyJSON
	body := sshKeyCreateJSON(in)
	if err := c.call(ctx, http.MethodPost, path, body, &out); err != nil {
		return nil, err
	}
	key := out.toSSHKey()
	return &key, nil
}

// GetSSHKey reads one key; a missing key is an error for which IsNotFound is true.
func (c *Client) GetSSHKey(ctx context.Context, id string) (*SSHKey, error) {
	if err := validateID("SSH key", id); err != nil {
		return nil, err
	}
	var out sshKeyJSON
	if err := c.call(ctx, http.MethodGet, "ssh-keys/"+id, nil, &out); err != nil {
		return nil, err
	}
	key := out.toSSHKey()
	return &key, nil
}

// UpdateSSHKey changes a key's label and/or tags with PATCH, as packngo does.
func (c *Client) UpdateSSHKey(ctx context.Context, id string, in SSHKeyUpdate) (*SSHKey, error) {
	if err := validateID("SSH key", id); err != nil {
		return nil, err
	}
	if in.Label == nil && in.Tags == nil {
		return nil, errors.New("metal: an SSH key update needs a label or tags")
	}
	var out sshKeyJSON
	body := sshKeyUpdateJSON(in)
	if err := c.call(ctx, http.MethodPatch, "ssh-keys/"+id, body, &out); err != nil {
		return nil, err
	}
	key := out.toSSHKey()
	return &key, nil
}

// DeleteSSHKey deletes a key. A key already gone is an error for which
// IsNotFound is true; callers decide whether that counts as success.
func (c *Client) DeleteSSHKey(ctx context.Context, id string) error {
	if err := validateID("SSH key", id); err != nil {
		return err
	}
	return c.call(ctx, http.MethodDelete, "ssh-keys/"+id, nil, nil)
}

// ListSSHKeys lists a project's keys or the caller's personal keys, all pages.
func (c *Client) ListSSHKeys(ctx context.Context, owner Owner, opts ListOptions) ([]SSHKey, error) {
	path, err := keysPath(owner)
	if err != nil {
		return nil, err
	}
	q := pagingQuery(opts.PerPage)
	if opts.Search != "" {
		// The spec names the filter "search" for /ssh-keys but "query" for a project's keys.
		param := "search"
		if owner.Kind == OwnerProject {
			param = "query"
		}
		q.Set(param, opts.Search)
	}
	keys, err := listAll[sshKeyJSON](ctx, c, path, q, "ssh_keys")
	if err != nil {
		return nil, err
	}
	return toSSHKeys(keys), nil
}
