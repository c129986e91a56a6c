package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTrimKeepsServedPathsAndWhatTheyReference(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	top := "openapi: 3.0.0\ncomponents:\n  schemas:\n    Used:\n      $ref: './components/schemas/Used.yaml'\n" +
		"    Unused:\n      $ref: './components/schemas/Unused.yaml'\npaths:\n"
	for i, p := range servedPaths {
		file := "paths/served" + string(rune('a'+i)) + ".yaml"
		top += "  " + p + ":\n    $ref: ./" + file + "\n"
		write(t, src, file, "get:\n  schema:\n    $ref: '../components/schemas/Used.yaml'\n")
	}
	top += "  /other:\n    $ref: ./paths/other.yaml\ntags: []\n"
	write(t, src, "openapi3.yaml", top)
	write(t, src, "paths/other.yaml", "get:\n  schema:\n    $ref: '../components/schemas/Unused.yaml'\n")
	write(t, src, "components/schemas/Used.yaml", "type: object\nproperties:\n  href:\n    $ref: './Href.yaml'\n")
	write(t, src, "components/schemas/Href.yaml", "type: string\n")
	write(t, src, "components/schemas/Unused.yaml", "type: object\n")

	if err := trim(src, dst); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"paths/serveda.yaml", "components/schemas/Used.yaml", "components/schemas/Href.yaml"} {
		if _, err := os.Stat(filepath.Join(dst, f)); err != nil {
			t.Errorf("%s not copied: %v", f, err)
		}
	}
	for _, f := range []string{"paths/other.yaml", "components/schemas/Unused.yaml"} {
		if _, err := os.Stat(filepath.Join(dst, f)); err == nil {
			t.Errorf("%s copied, but nothing served needs it", f)
		}
	}
	got, err := os.ReadFile(filepath.Join(dst, "openapi3.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"/other:", "Unused"} {
		if strings.Contains(string(got), gone) {
			t.Errorf("top file still has %q:\n%s", gone, got)
		}
	}
	for _, kept := range []string{"  /ssh-keys/{id}:", "    Used:", "tags: []"} {
		if !strings.Contains(string(got), kept) {
			t.Errorf("top file lost %q:\n%s", kept, got)
		}
	}
}

func TestTrimFailsWhenAServedPathIsMissing(t *testing.T) {
	src := t.TempDir()
	write(t, src, "openapi3.yaml", "openapi: 3.0.0\npaths:\n  /user:\n    $ref: ./paths/user.yaml\n")
	write(t, src, "paths/user.yaml", "get: {}\n")
	if err := trim(src, filepath.Join(t.TempDir(), "out")); err == nil || !strings.Contains(err.Error(), "is not in the spec") {
		t.Fatalf("trim = %v, want an error naming the missing path", err)
	}
}
