package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"almos/tools/tsarsim/machine"
)

func goBuild(t *testing.T, dir, out string, ldflags string) {
	t.Helper()
	args := []string{"build", "-buildvcs=false", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=mipsle", "GOMIPS=softfloat", "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, b)
	}
}

// TestCommandFullSystem is point 1 of the tool: boot an image on a 4x4
// mesh of 4 cores, TTY on stdout, summary on stderr, JSON on request.
func TestCommandFullSystem(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "smoke.elf")
	goBuild(t, "machine/testdata/smoke", img, "-T 0x80011000 -E main.entry")
	js := filepath.Join(dir, "stats.json")
	var out, errb bytes.Buffer
	st := run([]string{"-mesh", "4x4", "-cores", "4", "-json", js, img}, strings.NewReader(""), &out, &errb)
	if st != 42 {
		t.Fatalf("status %d\n%s\n%s", st, out.String(), errb.String())
	}
	if n := strings.Count(out.String(), "core 0x"); n != 64 {
		t.Errorf("%d cores printed, want 64:\n%s", n, out.String())
	}
	if !strings.Contains(errb.String(), "cluster") || !strings.Contains(errb.String(), "(3,3).3") {
		t.Errorf("summary missing:\n%s", errb.String())
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var s machine.Stats
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.PerCore) != 64 || len(s.Traffic) != 16 || s.Status != 42 {
		t.Errorf("json: %d cores, %d traffic rows, status %d", len(s.PerCore), len(s.Traffic), s.Status)
	}
}

// TestCommandUser is point 2: a static linux/mipsle Go program with its
// arguments passed through.
func TestCommandUser(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "locality")
	goBuild(t, "linuxuser/testdata/locality", bin, "")
	var out, errb bytes.Buffer
	st := run([]string{"-user", "-mesh", "2x2", "-q", bin, "2", "8", "1"}, nil, &out, &errb)
	if st != 0 || !strings.Contains(out.String(), "workers 2, 8 KiB each, 1 rounds") {
		t.Fatalf("status %d\n%s\n%s", st, out.String(), errb.String())
	}
}
