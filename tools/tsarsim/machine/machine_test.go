package machine

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	smokeOnce sync.Once
	smokeELF  []byte
	smokeErr  error
)

// buildSmoke builds testdata/smoke with the Go toolchain as a
// freestanding image linked in KSEG0 (-T minus 0x1000 is 64 KiB aligned).
func buildSmoke(t *testing.T) []byte {
	t.Helper()
	smokeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tsarsim-smoke")
		if err != nil {
			smokeErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "smoke.elf")
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", out, "-ldflags", "-T 0x80011000 -E main.entry", ".")
		cmd.Dir = "testdata/smoke"
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=mipsle", "GOMIPS=softfloat", "CGO_ENABLED=0", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			smokeErr = fmt.Errorf("building the smoke image: %v\n%s", err, b)
			return
		}
		smokeELF, smokeErr = os.ReadFile(out)
	})
	if smokeErr != nil {
		t.Fatal(smokeErr)
	}
	return smokeELF
}

func bootSmoke(t *testing.T, mx, my, cores int, cache bool) (RunResult, string, *Machine) {
	img := buildSmoke(t)
	var out bytes.Buffer
	cfg := DefaultConfig()
	cfg.MeshX, cfg.MeshY, cfg.Cores, cfg.Cache = mx, my, cores, cache
	cfg.BankSize = 4 << 20
	cfg.TTYOut = &out
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadELF(img); err != nil {
		t.Fatal(err)
	}
	r := m.Run(50_000_000, 0, nil)
	return r, out.String(), m
}

func TestBootSmoke(t *testing.T) {
	for _, tc := range []struct {
		x, y, c int
		cache   bool
	}{{1, 1, 1, true}, {1, 1, 4, true}, {2, 2, 4, false}, {4, 4, 4, true}, {3, 2, 2, true}} {
		t.Run(fmt.Sprintf("%dx%dx%d-cache=%v", tc.x, tc.y, tc.c, tc.cache), func(t *testing.T) {
			r, out, m := bootSmoke(t, tc.x, tc.y, tc.c, tc.cache)
			if r.Status != 42 {
				t.Fatalf("exit %d (%s); output:\n%s", r.Status, r.Reason, out)
			}
			for _, c := range m.Cores {
				if line := fmt.Sprintf("core 0x%03x up\n", c.ID); !strings.Contains(out, line) {
					t.Errorf("missing %q in:\n%s", line, out)
				}
			}
			if !strings.HasSuffix(out, "all up\n") {
				t.Errorf("output does not end with the final message:\n%s", out)
			}
			s := m.Stats(r)
			if tc.x*tc.y > 1 && s.PerCore[len(s.PerCore)-1].Instr == 0 {
				t.Errorf("last core ran nothing")
			}
		})
	}
}

func TestBootDeterministic(t *testing.T) {
	r1, out1, m1 := bootSmoke(t, 2, 2, 2, true)
	r2, out2, m2 := bootSmoke(t, 2, 2, 2, true)
	if r1.Cycles != r2.Cycles || out1 != out2 || m1.Instructions() != m2.Instructions() {
		t.Errorf("two runs differ: %d/%d cycles, %d/%d instructions", r1.Cycles, r2.Cycles, m1.Instructions(), m2.Instructions())
	}
	for i := range m1.Cores {
		if m1.Cores[i].Cnt != m2.Cores[i].Cnt {
			t.Errorf("core %d counters differ", i)
		}
	}
}
