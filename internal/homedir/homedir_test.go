package homedir

import (
	"path/filepath"
	"testing"
)

func TestExpand(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for in, want := range map[string]string{
		"~":                   home,
		"~/.ssh/id_ed25519":   filepath.Join(home, ".ssh", "id_ed25519"),
		"/etc/ssh/known_keys": "/etc/ssh/known_keys",
		"keys/admin.pub":      "keys/admin.pub",
		"~alice/.ssh/key":     "~alice/.ssh/key",
		"":                    "",
	} {
		got, err := Expand(in)
		if err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestExpandWithoutHome(t *testing.T) {
	t.Setenv("HOME", "")
	if _, err := Expand("~/.ssh/key"); err == nil {
		t.Error("Expand with no home directory: want an error")
	}
	if got, err := Expand("/abs"); err != nil || got != "/abs" {
		t.Errorf("Expand(/abs) without HOME = %q, %v", got, err)
	}
}
