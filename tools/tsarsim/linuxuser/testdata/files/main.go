// Command files exercises the harness's file system: read-only host
// files (its own source, relative to the working directory), the
// writable scratch directory (TMPDIR) and the rest being read-only.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	src, err := os.ReadFile("main.go")
	fmt.Println("read main.go:", err == nil && strings.Contains(string(src), "package main"))
	dir, err := os.MkdirTemp("", "t")
	fmt.Println("tmp under TMPDIR:", err == nil && strings.HasPrefix(dir, os.Getenv("TMPDIR")))
	f := filepath.Join(dir, "a.txt")
	err = os.WriteFile(f, []byte("hello"), 0o644)
	fmt.Println("write:", err)
	err = os.Rename(f, filepath.Join(dir, "b.txt"))
	fmt.Println("rename:", err)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink(filepath.Join(dir, "b.txt"), filepath.Join(dir, "link"))
	b, err := os.ReadFile(filepath.Join(dir, "link"))
	fmt.Println("through symlink:", string(b), err)
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	fmt.Println("entries:", names)
	fmt.Println("chdir:", os.Chdir(dir))
	wd, _ := os.Getwd()
	fmt.Println("getwd is dir:", wd == dir)
	fmt.Println("remove all:", os.RemoveAll(dir))
	_, err = os.Stat(dir)
	fmt.Println("gone:", os.IsNotExist(err))
	err = os.WriteFile("/etc/tsarsim-should-not-exist", nil, 0o644)
	fmt.Println("write outside refused:", err != nil)
}
