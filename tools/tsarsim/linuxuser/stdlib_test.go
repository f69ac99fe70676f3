package linuxuser

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"almos/tools/tsarsim/machine"
)

// Standard-library test binaries (go test -c, GOOS=linux GOARCH=mipsle
// GOMIPS=softfloat) run under the harness, their output compared with
// Debian's qemu-mipsel on the same binaries.
//
// The default run keeps CI short: each package runs with -test.short,
// less (-test.skip) the few tests that execute billions of instructions.
// TSARSIM_STDLIB_FULL=1 runs every test of every package (with
// -test.short); math/big then takes tens of minutes.
var stdlibPkgs = []struct {
	pkg  string
	skip string // -test.skip in the default run ("" = none)
}{
	{"container/heap", ""},
	{"unicode/utf8", ""},
	{"sort", ""},
	{"sync/atomic", "^TestValue(CompareAndSwap|Swap)Concurrent$"},
	{"strconv", "^TestIs(Graphic|Print)$"},
	{"math/big", "^Test(AddMulVVWW|SubVV|AddVV|NatDiv|MulAddVWW|NatSqr|Issue45910|ProbablyPrime|Escape|NatMul|Aliasing)$"},
}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// buildStdlibTests compiles the test binaries once, in parallel.
func buildStdlibTests(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "tsarsim-stdlib")
		if buildErr != nil {
			return
		}
		var wg sync.WaitGroup
		errs := make([]error, len(stdlibPkgs))
		for i, p := range stdlibPkgs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out := filepath.Join(buildDir, strings.ReplaceAll(p.pkg, "/", "_")+".test")
				cmd := exec.Command("go", "test", "-c", "-buildvcs=false", "-o", out, p.pkg)
				cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=mipsle", "GOMIPS=softfloat", "CGO_ENABLED=0", "GOFLAGS=")
				if b, err := cmd.CombinedOutput(); err != nil {
					errs[i] = fmt.Errorf("go test -c %s: %v\n%s", p.pkg, err, b)
				}
			}()
		}
		wg.Wait()
		for _, e := range errs {
			if e != nil {
				buildErr = e
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildDir
}

var durations = regexp.MustCompile(`\(\d+\.\d+s\)`)

// normalize keeps the lines that say what ran and how it ended (=== RUN,
// --- PASS/FAIL/SKIP, the final PASS or FAIL) without timings, sorted:
// parallel tests may finish in another order under another scheduler, and
// the tests' own log lines may print values drawn from a random seed
// (sort's operation counts), which differ between two qemu runs too.
func normalize(s string) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		k := strings.TrimLeft(l, " ")
		if strings.HasPrefix(k, "=== RUN") || strings.HasPrefix(k, "--- ") || k == "PASS" || k == "FAIL" {
			lines = append(lines, durations.ReplaceAllString(k, "(T)"))
		}
	}
	sort.Strings(lines)
	return lines
}

func TestStdlibBinaries(t *testing.T) {
	full := os.Getenv("TSARSIM_STDLIB_FULL") != ""
	dir := buildStdlibTests(t)
	qemu, qerr := exec.LookPath("qemu-mipsel")
	for _, p := range stdlibPkgs {
		t.Run(p.pkg, func(t *testing.T) {
			bin := filepath.Join(dir, strings.ReplaceAll(p.pkg, "/", "_")+".test")
			args := []string{bin, "-test.short", "-test.v"}
			if p.skip != "" && !full {
				args = append(args, "-test.skip", p.skip)
			}
			src := filepath.Join(runtime.GOROOT(), "src", p.pkg)
			var out bytes.Buffer
			cfg := machine.DefaultConfig()
			cfg.MeshX, cfg.MeshY, cfg.Cores = 2, 1, 2
			proc, err := New(&Config{Machine: cfg, Args: args, Dir: src, Stdout: &out, Stderr: &out})
			if err != nil {
				t.Fatal(err)
			}
			r := proc.Run(0, 0, nil)
			t.Logf("%s: %d instructions, %.1fs host", p.pkg, proc.M.Instructions(), r.Elapsed.Seconds())
			if r.Status != 0 || !strings.HasSuffix(out.String(), "PASS\n") {
				t.Fatalf("exit %d (%s); output tail:\n%s", r.Status, r.Reason, tail(out.String(), 2000))
			}
			if qerr != nil {
				t.Skip("qemu-mipsel not found (Debian package qemu-user): the run passed, the comparison is skipped")
			}
			cmd := exec.Command(qemu, args...)
			cmd.Dir = src
			want, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("qemu-mipsel: %v\n%s", err, tail(string(want), 2000))
			}
			g, w := normalize(out.String()), normalize(string(want))
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("output differs from qemu-mipsel:\n--- tsarsim\n%s\n--- qemu-mipsel\n%s",
					tail(out.String(), 3000), tail(string(want), 3000))
			}
		})
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
