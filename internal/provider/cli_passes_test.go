package provider

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cliDependentMarkers are what make an acceptance test's outcome depend on
// the CLI version: a version check, import, identity, query, moved. The later
// passes of `make test` (Terraform latest, OpenTofu) run only the tests
// CLI_TESTS selects, so every test that shows one of these must match it.
var cliDependentMarkers = []string{
	"acctest.SkipBelow", "acctest.AtLeast", "acctest.IsOpenTofu", "tfversion.", "ImportState", "ImportBlockWith", "ExpectIdentity",
	"Query:", "moved {", "removed {",
}

// TestCLIPassesRunEveryCLIDependentTest keeps CLI_TESTS (the regexp in
// testdata/cli-dependent-tests.regexp the GNUmakefile reads) honest: a new
// test that checks something the CLI decides is run on every CLI.
func TestCLIPassesRunEveryCLIDependentTest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "cli-dependent-tests.regexp"))
	if err != nil {
		t.Fatal(err)
	}
	cliTests, err := regexp.Compile(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatalf("testdata/cli-dependent-tests.regexp: %v", err)
	}
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var dependent int
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "TestAcc") {
				continue
			}
			body := string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
			marker := firstMarker(body)
			if marker == "" {
				continue
			}
			dependent++
			if !cliTests.MatchString(fn.Name.Name) {
				t.Errorf("%s (%s) uses %q, so it depends on the CLI version, but the later passes skip it: "+
					"add its name to testdata/cli-dependent-tests.regexp", fn.Name.Name, name, marker)
			}
		}
	}
	if dependent == 0 {
		t.Fatal("no CLI-dependent acceptance test found: the markers no longer match the tests")
	}
}

func firstMarker(body string) string {
	for _, m := range cliDependentMarkers {
		if strings.Contains(body, m) {
			return m
		}
	}
	return ""
}
