package mockapi

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Fixed ids of DefaultSeed, so tests and scripts can refer to them.
const (
	DefaultUserID    = "6a8a3a0e-3c2b-4b8e-9d6f-1f0e2d3c4b5a"
	DefaultProjectID = "0b2c4d6e-8f10-4a12-b314-c5d6e7f80912"
	DefaultToken     = "mock-token"

	// A user who is a member of the default project but whose token may only read.
	ReadOnlyUserID = "3f1e2d3c-4b5a-4e6f-8a9b-0c1d2e3f4a5b"
	ReadOnlyToken  = "mock-token-read-only"

	// A second user with a project the default user cannot see.
	OtherUserID    = "9c8b7a6f-5e4d-4c3b-8a29-180f7e6d5c4b"
	OtherProjectID = "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918"
	OtherToken     = "other-token"
)

// Seed is the initial content of the mock. It is JSON-serialisable so the
// binary can read it from a file (--seed).
type Seed struct {
	Users    []SeedUser    `json:"users"`
	Projects []SeedProject `json:"projects"`
	SSHKeys  []SeedSSHKey  `json:"ssh_keys,omitempty"`
	Devices  []SeedDevice  `json:"devices,omitempty"`
}

// SeedUser is an account with its API token.
type SeedUser struct {
	ID       string `json:"id"`
	Email    string `json:"email"`
	FullName string `json:"full_name"`
	Token    string `json:"token"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// SeedProject is a project; Members are user ids.
type SeedProject struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// SeedSSHKey is a key owned by exactly one of ProjectID or UserID.
// An empty ID gets a fresh UUID.
type SeedSSHKey struct {
	ID        string   `json:"id,omitempty"`
	Label     string   `json:"label"`
	Key       string   `json:"key"`
	ProjectID string   `json:"project_id,omitempty"`
	UserID    string   `json:"user_id,omitempty"`
	Tags      []string `json:"tags,omitempty"`
}

// SeedDevice is a device to create; the key fields mean what they mean in
// POST /projects/{id}/devices. A zero CreatedAt means "now" (the Options clock).
type SeedDevice struct {
	ID             string    `json:"id,omitempty"`
	Hostname       string    `json:"hostname"`
	ProjectID      string    `json:"project_id"`
	ProjectSSHKeys []string  `json:"project_ssh_keys,omitempty"`
	UserSSHKeys    []string  `json:"user_ssh_keys,omitempty"`
	NoSSHKeys      bool      `json:"no_ssh_keys,omitempty"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
}

// DefaultSeed returns a fresh copy of the default content: the default user
// (token DefaultToken) in the default project, a read-only member of that
// project, and another user with a project the default user cannot see.
func DefaultSeed() *Seed {
	return &Seed{
		Users: []SeedUser{
			{ID: DefaultUserID, Email: "dev@example.com", FullName: "Dev Eloper", Token: DefaultToken},
			{ID: ReadOnlyUserID, Email: "auditor@example.com", FullName: "Audi Tor", Token: ReadOnlyToken, ReadOnly: true},
			{ID: OtherUserID, Email: "other@example.com", FullName: "Oth Er", Token: OtherToken},
		},
		Projects: []SeedProject{
			{ID: DefaultProjectID, Name: "mock-project", Members: []string{DefaultUserID, ReadOnlyUserID}},
			{ID: OtherProjectID, Name: "other-project", Members: []string{OtherUserID}},
		},
	}
}

// LoadSeed reads a Seed from a JSON file.
func LoadSeed(path string) (*Seed, error) {
	data, err := os.ReadFile(path) //nolint:gosec // the seed file packet-mock's user names
	if err != nil {
		return nil, fmt.Errorf("reading seed: %w", err)
	}
	var s Seed
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("parsing seed %s: %w", path, err)
	}
	return &s, nil
}
