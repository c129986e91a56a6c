// Command trim-openapi copies the part of the platform's OpenAPI spec that
// packet-mock serves into the repository, so the mock's conformance test
// runs on any clone. It keeps the listed paths, every file they reference
// (transitively), and the entries of the top-level components that point at
// a kept file; the rest of the ~370-file spec is left out.
//
//	go run ./internal/cmd/trim-openapi -src ../shared/api/metal-v1-openapi \
//	  -dst internal/mockapi/testdata/metal-v1-openapi
//
// It reads the spec's layout as it is (a top file of `$ref`s to one file per
// path and component), not arbitrary YAML.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// servedPaths are the spec paths of the endpoints internal/mockapi serves.
var servedPaths = []string{
	"/user",
	"/projects", "/projects/{id}", "/projects/{id}/ssh-keys", "/projects/{id}/devices", "/projects/{id}/bgp-config",
	"/ssh-keys", "/ssh-keys/{id}",
	"/devices/{id}", "/devices/{id}/ssh-keys",
}

var refPattern = regexp.MustCompile(`\$ref:\s*['"]?([^'"#\s]+)`)

func main() {
	src := flag.String("src", "", "directory of the spec (holds openapi3.yaml)")
	dst := flag.String("dst", "", "directory to write the trimmed spec to (replaced)")
	flag.Parse()
	if *src == "" || *dst == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := trim(*src, *dst); err != nil {
		fmt.Fprintln(os.Stderr, "trim-openapi:", err)
		os.Exit(1)
	}
}

func trim(src, dst string) error {
	// Every read goes through the spec's folder: a $ref cannot lead outside it.
	spec, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer spec.Close()
	top, err := spec.ReadFile("openapi3.yaml")
	if err != nil {
		return err
	}
	lines := strings.Split(string(top), "\n")

	// Files the served paths need, found by following $ref from each.
	var roots []string
	for _, p := range servedPaths {
		ref, ok := pathRef(lines, p)
		if !ok {
			return fmt.Errorf("path %s is not in the spec", p)
		}
		roots = append(roots, ref)
	}
	keep, err := closure(spec, roots)
	if err != nil {
		return err
	}

	out := filterTop(lines, keep)
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	for f := range keep {
		data, err := spec.ReadFile(f)
		if err != nil {
			return err
		}
		// The trimmed spec is committed: readable by all, like every source file.
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755); err != nil { //nolint:gosec // see above
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, 0o644); err != nil { //nolint:gosec // see above
			return err
		}
	}
	fmt.Printf("kept %d paths and %d files\n", len(servedPaths), len(keep))
	return os.WriteFile(filepath.Join(dst, "openapi3.yaml"), []byte(out), 0o644) //nolint:gosec // see above
}

// pathRef finds "  /path:\n    $ref: file" under the top file's paths.
func pathRef(lines []string, path string) (string, bool) {
	for i, l := range lines[:len(lines)-1] {
		if l == "  "+path+":" {
			if m := refPattern.FindStringSubmatch(lines[i+1]); m != nil {
				return filepath.Clean(m[1]), true
			}
		}
	}
	return "", false
}

// closure is every file reachable from roots by $ref, relative to the spec folder.
func closure(spec *os.Root, roots []string) (map[string]bool, error) {
	seen := map[string]bool{}
	todo := slices.Clone(roots)
	for len(todo) > 0 {
		f := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[f] {
			continue
		}
		seen[f] = true
		data, err := spec.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range refPattern.FindAllStringSubmatch(string(data), -1) {
			todo = append(todo, filepath.Clean(filepath.Join(filepath.Dir(f), m[1])))
		}
	}
	return seen, nil
}

// filterTop keeps the top file's lines except two-line "name:\n  $ref: file"
// entries whose file is not kept (paths not served, unused components).
func filterTop(lines []string, keep map[string]bool) string {
	var b strings.Builder
	w := bufio.NewWriter(&b)
	for i := 0; i < len(lines); i++ {
		if i+1 < len(lines) && strings.HasSuffix(lines[i], ":") {
			if m := refPattern.FindStringSubmatch(lines[i+1]); m != nil && !keep[filepath.Clean(m[1])] {
				i++ // skip the entry and its $ref line
				continue
			}
		}
		fmt.Fprintln(w, lines[i])
	}
	_ = w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}
