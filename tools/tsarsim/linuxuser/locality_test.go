package linuxuser

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"almos/tools/tsarsim/machine"
)

var (
	progMu   sync.Mutex
	progDir  string
	progBins = map[string]string{}
)

// buildProg builds testdata/NAME as a static linux/mipsle program.
func buildProg(tb testing.TB, name string) string {
	tb.Helper()
	progMu.Lock()
	defer progMu.Unlock()
	if p, ok := progBins[name]; ok {
		return p
	}
	if progDir == "" {
		d, err := os.MkdirTemp("", "tsarsim-progs")
		if err != nil {
			tb.Fatal(err)
		}
		progDir = d
	}
	out := filepath.Join(progDir, name)
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", out, ".")
	cmd.Dir = filepath.Join("testdata", name)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=mipsle", "GOMIPS=softfloat", "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("building %s: %v\n%s", name, err, b)
	}
	progBins[name] = out
	return out
}

type runOut struct {
	stdout string
	status int
	cycles uint64
	instr  uint64
	stats  machine.Stats
	proc   *Proc
}

func runProg(tb testing.TB, cfg machine.Config, place Place, mp MemPlace, args ...string) runOut {
	tb.Helper()
	var out, errb bytes.Buffer
	p, err := New(&Config{Machine: cfg, Args: args, Stdout: &out, Stderr: &errb, Place: place, MemPlace: mp})
	if err != nil {
		tb.Fatal(err)
	}
	r := p.Run(0, 0, nil)
	if r.Status != 0 {
		tb.Fatalf("exit %d (%s)\n%s%s", r.Status, r.Reason, out.String(), errb.String())
	}
	return runOut{stdout: out.String(), status: r.Status, cycles: r.Cycles, instr: p.M.Instructions(), stats: p.M.Stats(r), proc: p}
}

func remoteShare(s machine.Stats) (local, remote uint64) {
	for _, c := range s.PerCore {
		local += c.Local0
		remote += c.Remote
	}
	return
}

// TestLocality runs the same parallel program on a 4x4 mesh with its four
// worker threads and their memory in one cluster, with the threads
// spread over the mesh and the memory left in cluster (0,0), and with the
// threads spread and each page placed where it is first touched.
func TestLocality(t *testing.T) {
	bin := buildProg(t, "locality")
	cfg := machine.DefaultConfig()
	cfg.MeshX, cfg.MeshY = 4, 4
	args := []string{bin, "4", "256", "4"}
	one := runProg(t, cfg, PlaceLocal, MemLocal, args...)
	far := runProg(t, cfg, PlaceSpread, MemLocal, args...)
	ft := runProg(t, cfg, PlaceSpread, MemFirstTouch, args...)
	if one.stdout != far.stdout || one.stdout != ft.stdout {
		t.Fatalf("outputs differ:\n%s%s%s", one.stdout, far.stdout, ft.stdout)
	}
	for _, r := range []struct {
		name string
		o    runOut
	}{{"one cluster", one}, {"spread, memory in (0,0)", far}, {"spread, first touch", ft}} {
		l, rm := remoteShare(r.o.stats)
		t.Logf("%-24s %10d cycles %10d instructions  local %9d remote %9d (%.1f%%)",
			r.name, r.o.cycles, r.o.instr, l, rm, 100*float64(rm)/float64(l+rm))
	}
	_, r1 := remoteShare(one.stats)
	l2, r2 := remoteShare(far.stats)
	l3, r3 := remoteShare(ft.stats)
	if r1 != 0 {
		t.Errorf("one cluster: %d remote accesses, want 0", r1)
	}
	if r2 < l2 {
		t.Errorf("spread with memory in (0,0): remote %d < local %d", r2, l2)
	}
	// First touch keeps each worker's array in its cluster; what stays
	// remote is the Go runtime's shared state (scheduler, heap metadata,
	// globals in cluster (0,0)) touched by threads in other clusters.
	if r3 > r2/2 || l3 < r3 {
		t.Errorf("spread with first touch: remote %d, local %d; far-memory run: remote %d", r3, l3, r2)
	}
	if far.cycles <= one.cycles || far.cycles <= ft.cycles {
		t.Errorf("remote data did not cost cycles: %d (spread, far memory) vs %d (one cluster), %d (first touch)",
			far.cycles, one.cycles, ft.cycles)
	}
}

func TestHarnessBasics(t *testing.T) {
	bin := buildProg(t, "locality")
	cfg := machine.DefaultConfig()
	cfg.MeshX, cfg.MeshY, cfg.Cores = 2, 2, 2
	a := runProg(t, cfg, PlaceSpread, MemFirstTouch, bin, "3", "16", "2")
	if !strings.Contains(a.stdout, "workers 3, 16 KiB each, 2 rounds") {
		t.Fatalf("output %q", a.stdout)
	}
	// Deterministic: the same run twice gives the same counters.
	b := runProg(t, cfg, PlaceSpread, MemFirstTouch, bin, "3", "16", "2")
	if a.cycles != b.cycles || a.instr != b.instr || a.stdout != b.stdout {
		t.Errorf("runs differ: %d/%d cycles, %d/%d instructions", a.cycles, b.cycles, a.instr, b.instr)
	}
	// Without the cache model the same program runs the same code.
	cfg.Cache = false
	c := runProg(t, cfg, PlaceSpread, MemFirstTouch, bin, "3", "16", "2")
	if c.stdout != a.stdout {
		t.Errorf("cache model changed the output: %q vs %q", c.stdout, a.stdout)
	}
	var miss uint64
	for _, pc := range c.stats.PerCore {
		miss += pc.DMiss + pc.IMiss
	}
	if miss != 0 {
		t.Errorf("%d misses counted without the cache model", miss)
	}
}

// BenchmarkUser measures simulated instructions per host second on one
// host core, with and without the cache model, as the number of
// simulated cores grows (one worker thread per core). "compute" is integer
// code working in registers, "memory" sweeps a 256 KiB array per worker.
// Only the run is timed, not building the machine and loading the program.
func BenchmarkUser(b *testing.B) {
	bin := buildProg(b, "locality")
	for _, mode := range []string{"compute", "memory"} {
		for _, cache := range []bool{true, false} {
			for _, g := range []struct{ x, y, c int }{{1, 1, 1}, {1, 1, 4}, {2, 2, 4}, {4, 4, 4}, {8, 8, 4}} {
				n := g.x * g.y * g.c
				b.Run(fmt.Sprintf("%s/cache=%v/cores=%d", mode, cache, n), func(b *testing.B) {
					cfg := machine.DefaultConfig()
					cfg.MeshX, cfg.MeshY, cfg.Cores, cfg.Cache = g.x, g.y, g.c, cache
					cfg.BankSize = 32 << 20
					args := []string{bin, fmt.Sprint(n), "256", "4"}
					if mode == "compute" {
						args = []string{bin, "-compute", fmt.Sprint(n), "256", "16"}
					}
					var instr uint64
					var host float64
					for i := 0; i < b.N; i++ {
						var out bytes.Buffer
						p, err := New(&Config{Machine: cfg, Args: args, Stdout: &out, Stderr: &out})
						if err != nil {
							b.Fatal(err)
						}
						r := p.Run(0, 0, nil)
						if r.Status != 0 {
							b.Fatalf("exit %d: %s", r.Status, out.String())
						}
						instr += p.M.Instructions()
						host += r.Elapsed.Seconds()
					}
					b.ReportMetric(float64(instr)/host/1e6, "Minstr/s")
					b.ReportMetric(float64(instr)/float64(b.N), "instr/run")
				})
			}
		}
	}
}
