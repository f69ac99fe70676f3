package repocheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"almos/tools/qemu"
)

// maxTracked is the largest file the repository should hold: sources,
// pages and small test data. A built binary (a kernel image, a `go test -c`
// output) is megabytes.
const maxTracked = 1 << 20

// tracked lists the files git tracks, relative to the repository root.
func tracked(t *testing.T) (root string, files []string) {
	t.Helper()
	root, err := qemu.Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the tracked files cannot be listed")
	}
	cmd := exec.Command("git", "ls-files", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git work tree (%v): the tracked files cannot be listed", err)
	}
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	return root, files
}

func TestNoBuiltFilesTracked(t *testing.T) {
	root, files := tracked(t)
	for _, f := range files {
		if strings.HasSuffix(f, ".test") || strings.HasSuffix(f, ".elf") {
			t.Errorf("%s is a built binary: untrack it (git rm --cached) and let .gitignore cover it", f)
			continue
		}
		st, err := os.Stat(filepath.Join(root, f))
		if err != nil {
			continue // deleted in the work tree, not yet committed
		}
		if st.Size() > maxTracked {
			t.Errorf("%s is %d bytes, over the %d a source or page should be: is it built?", f, st.Size(), maxTracked)
		}
	}
}

// cited matches a path to a Markdown page of the tree, as sources and pages
// cite them (docs/design.md, tools/tsarsim/README.md), and the name of the
// design document that once lived outside the tree.
var cited = regexp.MustCompile(`\b(?:[a-z0-9_]+/)+[A-Za-z0-9_-]+\.md\b|\bDESIGN\.md\b`)

func TestCitedDocumentsExist(t *testing.T) {
	root, files := tracked(t)
	for _, f := range files {
		if !strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, ".md") ||
			strings.HasPrefix(f, "tools/repocheck/") { // names what it looks for
			continue
		}
		text, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		for _, m := range cited.FindAllString(string(text), -1) {
			if m == "DESIGN.md" {
				t.Errorf("%s cites DESIGN.md, which is not in the repository: cite docs/design.md", f)
				continue
			}
			if _, err := os.Stat(filepath.Join(root, m)); err != nil {
				t.Errorf("%s cites %s, which is not in the repository", f, m)
			}
		}
	}
}
