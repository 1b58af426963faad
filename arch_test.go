package llink_test

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/llink-go/llink"

// packageRows reads the package table of docs/ARCHITECTURE.md: each
// package (as its path in the module; "" for the root) with its row.
func packageRows(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "## Packages")
	if !ok {
		t.Fatal("docs/ARCHITECTURE.md has no ## Packages section")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	name := regexp.MustCompile("`([^`]+)`")
	rows := map[string]int{}
	n := 0
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.Contains(cells[1], "`") {
			continue
		}
		for _, m := range name.FindAllStringSubmatch(cells[1], -1) {
			p := m[1]
			if strings.Contains(cells[1], "root package") && p == "llink" {
				p = ""
			}
			rows[p] = n
		}
		n++
	}
	if n < 10 {
		t.Fatalf("docs/ARCHITECTURE.md's package table has %d rows", n)
	}
	return rows
}

// rowOf returns the row of a package: its own, or that of the longest
// listed folder holding it (bench/stagea is in `bench`).
func rowOf(rows map[string]int, pkg string) (int, bool) {
	for p := pkg; ; p = filepath.Dir(p) {
		if r, ok := rows[p]; ok {
			return r, true
		}
		if p == "." || p == "" || p == "/" {
			if r, ok := rows[""]; ok && pkg == "" {
				return r, true
			}
			return 0, false
		}
	}
}

// TestImportsPointUp checks docs/ARCHITECTURE.md's rule on the code: every
// package is in the package table, and its non-test files import only
// packages of its own row or of rows above it.
func TestImportsPointUp(t *testing.T) {
	rows := packageRows(t)
	imports := map[string]map[string]bool{} // package → module packages it imports
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if pkg == "." {
			pkg = ""
		}
		if imports[pkg] == nil {
			imports[pkg] = map[string]bool{}
		}
		for _, s := range f.Imports {
			p, _ := strconv.Unquote(s.Path.Value)
			if p == module {
				imports[pkg][""] = true
			} else if rest, ok := strings.CutPrefix(p, module+"/"); ok {
				imports[pkg][rest] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < 20 {
		t.Fatalf("found only %d packages", len(imports))
	}
	for _, v := range violations(rows, imports) {
		t.Error(v)
	}
	for pkg, deps := range imports {
		if deps["internal/testutil"] {
			t.Errorf("package %q imports internal/testutil outside its tests", pkg)
		}
	}
	// The rule catches an upward import.
	if v := violations(rows, map[string]map[string]bool{"models/llink": {"train": true}}); len(v) != 1 {
		t.Errorf("models/llink importing train: %q, want one violation", v)
	}
}

// violations lists the packages missing from the table and the imports
// pointing below a package's row.
func violations(rows map[string]int, imports map[string]map[string]bool) []string {
	var out []string
	for pkg, deps := range imports {
		r, ok := rowOf(rows, pkg)
		if !ok {
			out = append(out, fmt.Sprintf("package %q is not in docs/ARCHITECTURE.md's package table", pkg))
			continue
		}
		for dep := range deps {
			if d, ok := rowOf(rows, dep); !ok || d > r {
				out = append(out, fmt.Sprintf("package %q imports %q, listed below it in docs/ARCHITECTURE.md", pkg, dep))
			}
		}
	}
	return out
}
