package linuxuser

import (
	"bytes"
	"path/filepath"
	"testing"

	"almos/tools/tsarsim/machine"
)

func TestFiles(t *testing.T) {
	bin := buildProg(t, "files")
	var out bytes.Buffer
	cfg := machine.DefaultConfig()
	p, err := New(&Config{Machine: cfg, Args: []string{bin}, Dir: filepath.Join("testdata", "files"), Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Run(0, 0, nil); r.Status != 0 {
		t.Fatalf("exit %d: %s", r.Status, out.String())
	}
	want := `read main.go: true
tmp under TMPDIR: true
write: <nil>
rename: <nil>
through symlink: hello <nil>
entries: [b.txt link sub]
chdir: <nil>
getwd is dir: true
remove all: <nil>
gone: true
write outside refused: true
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
