// Command figures measures the boot figures published in docs/boot.md:
// guest time from the kernel's entry to the Go runtime's main and to the
// console prompt, host wall time from `make run` to the prompt, the image's
// size, and the frames the Go runtime holds when the prompt appears. It prints a Markdown
// table.
//
//	go run ./tools/figures [-n 5] [-m 256]
package main

import (
	"bufio"
	"context"
	"debug/elf"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"almos/tools/qemu"
)

func main() {
	n := flag.Int("n", 5, "boots to measure")
	mem := flag.Int("m", 256, "RAM in MiB")
	bench := flag.Bool("bench", false, "measure the in-kernel guest-time benchmarks at -smp 1, 2, 4, 8, 16 instead")
	locality := flag.Bool("clusters", false, "run the locality tests at -smp 16 with 2x2 clusters instead, n times")
	flag.Parse()
	root, err := qemu.Root()
	check(err)
	image := filepath.Join(root, "build", "kernel.elf")
	check(os.MkdirAll(filepath.Dir(image), 0o755))
	check(qemu.Build(root, image))
	if *bench {
		benchTable(image, *mem)
		return
	}
	if *locality {
		localityRuns(image, *mem, *n)
		return
	}

	var toMain, toPrompt, wall, makeRun []float64
	var mapped, heapSys string
	for i := 0; i < *n; i++ {
		r, err := qemu.Run(context.Background(), qemu.Config{Kernel: image, MemMB: *mem, Input: strings.NewReader("mem\rpoweroff\r"), InputAfter: "almos> "})
		check(err)
		if r.TimedOut || r.Status != 0 {
			check(fmt.Errorf("boot %d: status %d, timed out %v:\n%s", i, r.Status, r.TimedOut, r.Output))
		}
		toMain = append(toMain, grab(r.Output, `runtime: main reached ([0-9.]+) ms after entry`))
		toPrompt = append(toPrompt, grab(r.Output, `console ready ([0-9.]+) ms after entry`))
		mapped = grabText(r.Output, `resident +(\d+ pages +\d+ KiB)`)
		heapSys = grabText(r.Output, `from system (\d+ KiB)`)
		w, err := qemuToPrompt(image, *mem)
		check(err)
		wall = append(wall, w)
		m, err := makeRunToPrompt(root, *mem)
		check(err)
		makeRun = append(makeRun, m)
	}

	f, err := elf.Open(image)
	check(err)
	st, err := os.Stat(image)
	check(err)
	sec := func(name string) uint64 {
		if s := f.Section(name); s != nil {
			return s.Size
		}
		return 0
	}

	fmt.Printf("Measured %s on %d boots at -m %d (median [min, max]); `go run ./tools/figures -n %d -m %d`.\n\n", time.Now().UTC().Format("2006-01-02"), *n, *mem, *n, *mem)
	fmt.Println("| figure | value |")
	fmt.Println("|---|---|")
	fmt.Printf("| guest time, kernel entry to the Go runtime's main | %s |\n", stat(toMain, "ms"))
	fmt.Printf("| guest time, kernel entry to the console prompt | %s |\n", stat(toPrompt, "ms"))
	fmt.Printf("| host wall time, QEMU start to the prompt | %s |\n", stat(wall, "ms"))
	fmt.Printf("| host wall time, `make run` to the prompt (image already built once) | %s |\n", stat(makeRun, "ms"))
	fmt.Printf("| image: ELF file | %d KiB |\n", st.Size()>>10)
	fmt.Printf("| image: .text / .rodata / .gopclntab | %d / %d / %d KiB |\n", sec(".text")>>10, sec(".rodata")>>10, sec(".gopclntab")>>10)
	fmt.Printf("| image: .data / .bss (+ .noptrbss) | %d / %d KiB |\n", (sec(".data")+sec(".noptrdata"))>>10, (sec(".bss")+sec(".noptrbss"))>>10)
	fmt.Printf("| frames held by the Go runtime's mappings at the prompt | %s |\n", mapped)
	fmt.Printf("| Go heap obtained from the kernel at the prompt (HeapSys) | %s |\n", heapSys)
}

// qemuToPrompt times QEMU from its start to the shell's prompt.
func qemuToPrompt(image string, mem int) (float64, error) {
	c := qemu.Config{Kernel: image, MemMB: mem}
	return toPrompt(exec.Command(qemu.Binary, c.Args()...))
}

// makeRunToPrompt times `make run` (go run of the runner, the kernel build
// from the build cache, QEMU) to the prompt.
func makeRunToPrompt(root string, mem int) (float64, error) {
	cmd := exec.Command("make", "-s", "run", "MEM="+strconv.Itoa(mem))
	cmd.Dir = root
	return toPrompt(cmd)
}

func toPrompt(cmd *exec.Cmd) (float64, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	found := make(chan float64, 1)
	go func() {
		r := bufio.NewReader(out)
		var seen strings.Builder
		for {
			b, err := r.ReadByte()
			if err != nil {
				return
			}
			seen.WriteByte(b)
			if strings.HasSuffix(seen.String(), "almos> ") {
				found <- float64(time.Since(start).Microseconds()) / 1000
				io.Copy(io.Discard, r)
				return
			}
		}
	}()
	var d float64
	select {
	case d = <-found:
	case <-ctx.Done():
		cmd.Process.Kill()
		return 0, fmt.Errorf("no prompt")
	}
	io.WriteString(stdin, "poweroff\r")
	cmd.Wait()
	return d, nil
}

func grab(out, re string) float64 {
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		check(fmt.Errorf("%q not found in:\n%s", re, out))
	}
	v, err := strconv.ParseFloat(m[1], 64)
	check(err)
	return v
}

func grabText(out, re string) string {
	m := regexp.MustCompile(re).FindStringSubmatch(out)
	if m == nil {
		return "? (not found in the console output)"
	}
	return strings.Join(strings.Fields(m[1]), " ")
}

func stat(v []float64, unit string) string {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return fmt.Sprintf("%.1f %s [%.1f, %.1f]", s[len(s)/2], unit, s[0], s[len(s)-1])
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "figures:", err)
		os.Exit(1)
	}
}

// benchTable boots test=bench at each core count and prints the results
// side by side.
func benchTable(image string, mem int) {
	sizes := []int{1, 2, 4, 8, 16}
	rows := map[string]map[int]string{}
	var order []string
	speed := map[int]string{}
	lineRE := regexp.MustCompile(`bench: ([a-z-]+) (\d+) ns \(([0-9.]+) ticks`)
	speedRE := regexp.MustCompile(`bench: speedup cores=(\d+) time=([0-9.]+)ms speedup=([0-9.]+)`)
	for _, smp := range sizes {
		r, err := qemu.Run(context.Background(), qemu.Config{Kernel: image, SMP: smp, MemMB: mem, Append: "test=bench", Timeout: 20 * time.Minute})
		check(err)
		if r.TimedOut || r.Status != 0 {
			check(fmt.Errorf("-smp %d: status %d, timed out %v:\n%s", smp, r.Status, r.TimedOut, r.Output))
		}
		for _, m := range lineRE.FindAllStringSubmatch(r.Output, -1) {
			if rows[m[1]] == nil {
				rows[m[1]] = map[int]string{}
				order = append(order, m[1])
			}
			rows[m[1]][smp] = fmt.Sprintf("%s ns (%s ticks)", m[2], m[3])
		}
		if smp == sizes[len(sizes)-1] {
			for _, m := range speedRE.FindAllStringSubmatch(r.Output, -1) {
				c, _ := strconv.Atoi(m[1])
				speed[c] = fmt.Sprintf("%s ms, x%s", m[2], m[3])
			}
		}
	}
	fmt.Printf("Measured %s; `go run ./tools/figures -bench` (boots `test=bench` at each size, -m %d).\n\n", time.Now().UTC().Format("2006-01-02"), mem)
	fmt.Print("| measure |")
	for _, smp := range sizes {
		fmt.Printf(" -smp %d |", smp)
	}
	fmt.Print("\n|---|")
	for range sizes {
		fmt.Print("---|")
	}
	fmt.Println()
	for _, name := range order {
		fmt.Printf("| %s |", name)
		for _, smp := range sizes {
			v := rows[name][smp]
			if v == "" {
				v = "-"
			}
			fmt.Printf(" %s |", v)
		}
		fmt.Println()
	}
	fmt.Println()
	fmt.Println("CPU-bound speedup (256 chunks of integer work, best of three runs, over 1..16 goroutines, GOMAXPROCS = cores, at -smp 16):")
	fmt.Println()
	fmt.Println("| cores | guest time, speedup |")
	fmt.Println("|---|---|")
	for c := 1; c <= 16; c *= 2 {
		if v := speed[c]; v != "" {
			fmt.Printf("| %d | %s |\n", c, v)
		}
	}
}

// localityRuns boots -smp 16 with clusters=2x2 and the locality tests, and
// prints what they report.
func localityRuns(image string, mem, n int) {
	fmt.Printf("Measured %s; `go run ./tools/figures -clusters -n %d` (boots `-smp 16 -m %d` with `clusters=2x2 test=placement,spill,balance`).\n\n", time.Now().UTC().Format("2006-01-02"), n, mem)
	for i := 0; i < n; i++ {
		r, err := qemu.Run(context.Background(), qemu.Config{Kernel: image, SMP: 16, MemMB: mem, Append: "clusters=2x2 test=placement,spill,balance", Timeout: 20 * time.Minute})
		check(err)
		if r.TimedOut || r.Status != 0 {
			check(fmt.Errorf("status %d, timed out %v:\n%s", r.Status, r.TimedOut, r.Output))
		}
		fmt.Printf("boot %d:\n\n", i+1)
		for _, l := range strings.Split(r.Output, "\n") {
			if strings.HasPrefix(l, "clusters: placement") || strings.HasPrefix(l, "clusters: spill") || strings.HasPrefix(l, "clusters: balance") {
				fmt.Printf("- %s\n", strings.TrimSpace(strings.TrimPrefix(l, "clusters: ")))
			}
		}
		fmt.Println()
	}
}
