package dqdt

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTrapSafeSource reads the package's own (non-test) source and checks
// the rules that keep it usable from trap context and across kernel
// instances: no imports beyond a short list (in particular no "sync", hence
// no mutex), no channels, goroutines, select or defer, and the "Trap-safe"
// mark in the package comment. Tests may use sync freely (the benchmark
// baseline is a mutex-protected scan), so _test.go files are skipped.
func TestTrapSafeSource(t *testing.T) {
	allowed := map[string]bool{"errors": true, "math/bits": true, "sync/atomic": true, "unsafe": true, "almos/cluster": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	marked, seen := false, 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		seen++
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "Mutex") {
			t.Errorf("%s mentions Mutex", name)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil && strings.Contains(f.Doc.Text(), "Trap-safe:") {
			marked = true
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowed[path] {
				t.Errorf("%s imports %q", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n.(type) {
			case *ast.ChanType, *ast.GoStmt, *ast.SelectStmt, *ast.SendStmt, *ast.DeferStmt:
				t.Errorf("%s: %T at %s", name, n, fset.Position(n.Pos()))
			}
			return true
		})
	}
	if seen == 0 {
		t.Fatal("no source files found")
	}
	if !marked {
		t.Error(`the package comment does not say "Trap-safe:"`)
	}
}
