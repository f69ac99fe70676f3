// Command tsarsim is the project's TSAR-like many-core simulator.
//
// Full system:
//
//	go run ./tools/tsarsim -mesh 4x4 -cores 4 image.elf
//
// boots an ELF image through the boot ROM (loaded into cluster 0, core 0
// started, the others waiting for an IPI), connects TTY channel 0 to the
// terminal, and prints a per-core and per-cluster summary at exit.
//
// User mode:
//
//	go run ./tools/tsarsim -user [flags] PROGRAM [ARGS...]
//
// runs a static GOOS=linux GOARCH=mipsle program with its system calls
// served on the host and its threads on simulated cores.
//
// See tools/tsarsim/README.md for the machine, the flags and the figures.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"almos/tools/tsarsim/linuxuser"
	"almos/tools/tsarsim/machine"
	"almos/tools/tsarsim/mem"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tsarsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mesh := fs.String("mesh", "1x1", "mesh of clusters, XxY (up to 16x16)")
	cores := fs.Int("cores", 4, "cores per cluster (1..4)")
	memMiB := fs.Int("mem", 0, "memory bank per cluster, MiB, at most 240 (default 64, and 240 with -user)")
	cache := fs.Bool("cache", true, "model L1 caches and memory latency (false: 1 cycle per instruction, counts only)")
	l1 := fs.String("l1", "16384,4,64", "L1 geometry for both caches: size,ways,line (bytes)")
	latMiss := fs.String("lat-miss", "20,4", "cycles of an L1 miss: base,per-hop")
	latStore := fs.String("lat-store", "20,4", "cycles of a write-through store: base,per-hop")
	latUnc := fs.String("lat-uncached", "30,4", "cycles of an uncached access: base,per-hop")
	quantum := fs.Uint64("quantum", 1000, "cycles a core runs before the next core (global time order)")
	maxCycles := fs.Uint64("max-cycles", 0, "stop after this many cycles of global time (0: no limit)")
	jsonOut := fs.String("json", "", "write the summary as JSON to this file")
	quiet := fs.Bool("q", false, "no summary on stderr")
	progress := fs.Duration("progress", 5*time.Second, "report progress on stderr this often (0: never)")
	freq := fs.Uint64("freq", 1_000_000_000, "simulated clock in Hz (time seen by programs)")
	user := fs.Bool("user", false, "user mode: run a static linux/mipsle program, system calls served on the host")
	place := fs.String("place", "spread", "user mode: thread placement: spread (round-robin over clusters) or local (cluster 0 first)")
	memPlace := fs.String("mem-place", "first-touch", "user mode: page placement: first-touch, local (cluster 0) or interleave")
	dir := fs.String("dir", "", "user mode: working directory of the program (default: the current one)")
	env := fs.String("env", "", "user mode: extra environment, comma-separated NAME=VALUE")
	strace := fs.Bool("strace", false, "user mode: print every system call on stderr")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: tsarsim [flags] image.elf\n       tsarsim -user [flags] PROGRAM [ARGS...]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return 2
	}
	cfg := machine.DefaultConfig()
	var err error
	if cfg.MeshX, cfg.MeshY, err = parseMesh(*mesh); err != nil {
		fmt.Fprintln(stderr, "tsarsim:", err)
		return 2
	}
	cfg.Cores = *cores
	switch {
	case *memMiB != 0:
		cfg.BankSize = *memMiB << 20
	case *user:
		// Host memory is committed only when the program touches it.
		cfg.BankSize = mem.MaxBank
	default:
		cfg.BankSize = 64 << 20
	}
	cfg.Cache = *cache
	cfg.Quantum = *quantum
	cfg.FreqHz = *freq
	cfg.TTYOut = stdout
	var geo [3]int
	if err := parseInts(*l1, geo[:]); err != nil {
		fmt.Fprintln(stderr, "tsarsim: -l1:", err)
		return 2
	}
	cfg.ICache = mem.CacheConfig{Size: geo[0], Ways: geo[1], Line: geo[2]}
	cfg.DCache = cfg.ICache
	for _, l := range []struct {
		s          string
		base, perh *int
	}{{*latMiss, &cfg.Lat.MissBase, &cfg.Lat.MissHop}, {*latStore, &cfg.Lat.StoreBase, &cfg.Lat.StoreHop}, {*latUnc, &cfg.Lat.UncBase, &cfg.Lat.UncHop}} {
		var v [2]int
		if err := parseInts(l.s, v[:]); err != nil {
			fmt.Fprintln(stderr, "tsarsim: latency:", err)
			return 2
		}
		*l.base, *l.perh = v[0], v[1]
	}
	var report func(m *machine.Machine, d time.Duration)
	if *progress > 0 {
		report = func(m *machine.Machine, d time.Duration) {
			fmt.Fprintf(stderr, "tsarsim: %.1fs host, %d cycles, %d instructions, %.1f M instr/s\n",
				d.Seconds(), m.Now, m.Instructions(), float64(m.Instructions())/d.Seconds()/1e6)
		}
	}

	var m *machine.Machine
	var res machine.RunResult
	if *user {
		cfg.NoROM = true
		p := &linuxuser.Config{Machine: cfg, Args: fs.Args(), Dir: *dir, Stdout: stdout, Stderr: stderr, Stdin: stdin}
		if p.Place, err = linuxuser.ParsePlace(*place); err == nil {
			p.MemPlace, err = linuxuser.ParseMemPlace(*memPlace)
		}
		if err != nil {
			fmt.Fprintln(stderr, "tsarsim:", err)
			return 2
		}
		if *strace {
			p.Trace = stderr
		}
		if *env != "" {
			p.Env = strings.Split(*env, ",")
		}
		proc, err := linuxuser.New(p)
		if err != nil {
			fmt.Fprintln(stderr, "tsarsim:", err)
			return 2
		}
		m = proc.M
		res = proc.Run(*maxCycles, *progress, report)
	} else {
		if fs.NArg() != 1 {
			fs.Usage()
			return 2
		}
		m, err = machine.New(cfg)
		if err == nil {
			err = m.LoadELFFile(fs.Arg(0))
		}
		if err != nil {
			fmt.Fprintln(stderr, "tsarsim:", err)
			return 2
		}
		m.Input = terminalInput(stdin)
		res = m.Run(*maxCycles, *progress, report)
	}
	st := m.Stats(res)
	if !*quiet {
		st.WriteText(stderr)
	}
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err == nil {
			err = st.WriteJSON(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "tsarsim:", err)
			return 2
		}
	}
	return res.Status & 255
}

// terminalInput feeds the TTY from stdin in the background. Input makes
// a run depend on timing; without input (or with stdin at EOF) runs stay
// deterministic.
func terminalInput(r io.Reader) chan []byte {
	if r == nil {
		return nil
	}
	ch := make(chan []byte, 16)
	go func() {
		defer close(ch)
		buf := make([]byte, 256)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				ch <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

func parseMesh(s string) (int, int, error) {
	x, y, ok := strings.Cut(s, "x")
	if !ok {
		return 0, 0, fmt.Errorf("mesh %q: want XxY", s)
	}
	mx, err1 := strconv.Atoi(x)
	my, err2 := strconv.Atoi(y)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("mesh %q: want XxY", s)
	}
	return mx, my, nil
}

func parseInts(s string, out []int) error {
	f := strings.Split(s, ",")
	if len(f) != len(out) {
		return fmt.Errorf("%q: want %d comma-separated numbers", s, len(out))
	}
	for i, v := range f {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q: %v", s, err)
		}
		out[i] = n
	}
	return nil
}
