// Package boottest boots the kernel image under QEMU and checks what it
// prints and the status it powers off with. A boot that does not power off
// within its timeout is a failure: the kernel must never hang silently.
package boottest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"almos/tools/qemu"
)

var image string

func TestMain(m *testing.M) {
	if err := qemu.Available(); err != nil {
		fmt.Fprintln(os.Stderr, "boottest:", err)
		os.Exit(1)
	}
	root, err := qemu.Root()
	if err != nil {
		fmt.Fprintln(os.Stderr, "boottest:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "almos-boottest")
	if err != nil {
		fmt.Fprintln(os.Stderr, "boottest:", err)
		os.Exit(1)
	}
	image = filepath.Join(dir, "kernel.elf")
	if err := qemu.Build(root, image); err != nil {
		fmt.Fprintln(os.Stderr, "boottest:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// boot runs the kernel and fails the test on a hang.
func boot(t *testing.T, c qemu.Config) qemu.Result {
	t.Helper()
	c.Kernel = image
	if c.Timeout == 0 {
		c.Timeout = 8 * time.Minute
	}
	r, err := qemu.Run(context.Background(), c)
	if err == nil && r.Crashed != "" {
		// QEMU 7.2 (Debian 12) itself dies now and then at -smp 9 to 16
		// (a segmentation fault in its memory dispatch, see the README):
		// the emulator's fault, not the kernel's. Say so and boot again,
		// once.
		t.Logf("QEMU itself died (%s) %v into the boot, booting again; console:\n%s", r.Crashed, r.Wall.Round(time.Millisecond), tail(r.Output, 10))
		r, err = qemu.Run(context.Background(), c)
	}
	if err != nil {
		t.Fatalf("qemu: %v", err)
	}
	if r.Crashed != "" {
		t.Fatalf("QEMU itself died (%s), twice; console:\n%s", r.Crashed, tail(r.Output, 60))
	}
	if r.TimedOut {
		t.Fatalf("the kernel did not power off within %v (a hang); console:\n%s", c.Timeout, tail(r.Output, 60))
	}
	return r
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

func expect(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("console lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("console:\n%s", tail(out, 80))
	}
}

// checkSuite checks a test=... run: go test -v form, a final PASS, no FAIL,
// status 0.
func checkSuite(t *testing.T, r qemu.Result) {
	t.Helper()
	out := r.Output
	if strings.Contains(out, "--- FAIL") || r.Status != 0 || !regexp.MustCompile(`(?m)^PASS\r?$`).MatchString(out) {
		t.Fatalf("in-kernel tests failed (status %d); console:\n%s", r.Status, tail(out, 120))
	}
	if strings.Contains(out, "KERNEL FAULT") || strings.Contains(out, "fatal error:") {
		t.Fatalf("fault during the tests; console:\n%s", tail(out, 120))
	}
}

func TestBootLog(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{MemMB: 128, Append: "test=panic"})
	checkSuite(t, r)
	expect(t, r.Output,
		"ALMOS ", "board:    malta (QEMU malta), MIPS P5600", "cores:    1 present",
		"caches:   L1 I", "clock:    CP0 Count", "RAM:      128 MiB found",
		"memory map:", "KSEG0 kernel image", "KUSEG heap window -> physical 0x80000000",
		`cmdline:  "test=panic"`, "power-off: semihosting",
		"runtime: main reached", "=== RUN   panic", "--- PASS: panic (")
}

// TestSuite runs every in-kernel test at several RAM sizes.
func TestSuite(t *testing.T) {
	for _, mem := range []int{64, 128, 256, 1024} {
		mem := mem
		t.Run(fmt.Sprintf("m%d", mem), func(t *testing.T) {
			t.Parallel()
			r := boot(t, qemu.Config{MemMB: mem, Append: "test=all"})
			checkSuite(t, r)
			expect(t, r.Output, fmt.Sprintf("RAM:      %d MiB found", mem),
				"=== RUN   alloc", "=== RUN   gomaxprocs", "--- PASS: nilderef",
				// An unserved call is named once.
				"linux: system call 4051 (acct) is not served: ENOSYS")
			if n := strings.Count(r.Output, "(acct) is not served"); n != 1 {
				t.Errorf("the unserved call was logged %d times, want once", n)
			}
		})
	}
}

// TestSMP runs every in-kernel test on 2 to 16 cores (QEMU's malta takes
// at most 16).
func TestSMP(t *testing.T) {
	for _, smp := range []int{2, 4, 8, 16} {
		smp := smp
		t.Run(fmt.Sprintf("smp%d", smp), func(t *testing.T) {
			t.Parallel()
			r := boot(t, qemu.Config{SMP: smp, MemMB: 256, Append: "test=all"})
			checkSuite(t, r)
			expect(t, r.Output, fmt.Sprintf("cores:    %d of %d online; core 0 boots, the others came up in (ms):", smp, smp), " 1:",
				"time from the GIC shared counter", "--- PASS: cores", "--- PASS: futexstorm", "--- PASS: fanout")
			if m := regexp.MustCompile(`work units per core: \[([0-9 ]+)\]`).FindStringSubmatch(r.Output); m == nil || len(strings.Fields(m[1])) != smp {
				t.Errorf("per-core work counts missing or not %d: %v", smp, m)
			}
			// The boot clock once leapt by a whole 32-bit wrap of the GIC
			// counter (43 s at 100 MHz) at -smp 16: early boot takes well
			// under a second of guest time even on a loaded host.
			if m := regexp.MustCompile(`early boot done in ([0-9.]+) ms`).FindStringSubmatch(r.Output); m == nil {
				t.Errorf("no early-boot time in the log")
			} else if ms, _ := strconv.ParseFloat(m[1], 64); ms > 20000 {
				t.Errorf("early boot done in %s ms: the clock leapt", m[1])
			}
		})
	}
}

// TestClusters boots meshes of clusters and checks the locality tests and
// what they print: placement over the clusters, spill to the nearest bank,
// idle cores pulling work from a loaded cluster.
func TestClusters(t *testing.T) {
	for _, c := range []struct {
		smp   int
		mesh  string
		lines []string
	}{
		{16, "2x2", []string{"clusters: 2x2 mesh, up to 4 cores each", "cluster 3 (1,1): cores 12-15"}},
		{4, "2x2", []string{"clusters: 2x2 mesh, up to 1 core each", "cluster 1 (0,1): core 1"}},
		{8, "4x1", []string{"clusters: 4x1 mesh, up to 2 cores each", "cluster 3 (3,0): cores 6-7"}},
	} {
		c := c
		t.Run(fmt.Sprintf("smp%d-%s", c.smp, c.mesh), func(t *testing.T) {
			t.Parallel()
			r := boot(t, qemu.Config{SMP: c.smp, MemMB: 256, Append: "test=placement,spill,balance,futexstorm,gcparallel clusters=" + c.mesh})
			checkSuite(t, r)
			expect(t, r.Output, append(c.lines, "clusters: placement of", "clusters: spill: a thread of cluster", "then from cluster", "clusters: balance:")...)
		})
	}
}

func TestImpossibleTopology(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{SMP: 4, Append: "test=panic clusters=5x5"})
	if r.Status != 4 {
		t.Errorf("status %d, want 4", r.Status)
	}
	expect(t, r.Output, "clusters=5x5 asks for 25 clusters but the machine has 4 cores", "the topology asked for is impossible")
	r = boot(t, qemu.Config{SMP: 16, MemMB: 64, Append: "test=panic clusters=4x4"})
	if r.Status != 4 {
		t.Errorf("status %d, want 4", r.Status)
	}
	expect(t, r.Output, "gives banks of 4 MiB, less than the 8 MiB a cluster needs to boot")
	r = boot(t, qemu.Config{SMP: 4, MemMB: 40, Append: "test=panic clusters=4x1"})
	if r.Status != 4 {
		t.Errorf("status %d, want 4", r.Status)
	}
	expect(t, r.Output, "cannot hold the kernel image and a working bank")
}

func TestKernelFault(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{Append: "test=fault"})
	if r.Status != 3 {
		t.Errorf("status %d, want 3", r.Status)
	}
	expect(t, r.Output,
		"*** KERNEL FAULT in trap context",
		"exception: TLB miss or invalid on load/fetch (code 2)",
		"BadVAddr 0x00000010",
		"EPC 0x8", "Cause 0x", " ra 0x8",
		"stack:", "almos/kernel/linux.kcall", "almos/kernel/cpu.Trap", "kernel/linux/kcall_mipsle.go:",
		"*** powering off with status 3")
}

func TestGoFatal(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{Append: "test=fatal"})
	if r.Status != 2 {
		t.Errorf("status %d, want 2", r.Status)
	}
	expect(t, r.Output,
		"panic: assignment to entry in nil map", "goroutine ",
		"almos/kernel/ktest.testFatal", // the runtime's traceback
		"*** KERNEL: fatal", "the Go runtime", "stack:", "*** powering off with status 2")
}

func TestUnknownTest(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{Append: "test=panic,nosuch"})
	if r.Status != 1 {
		t.Errorf("status %d, want 1", r.Status)
	}
	expect(t, r.Output, "test: no such test: nosuch", "known tests", "goroutines ", "\nFAIL")
	if strings.Contains(r.Output, "=== RUN") {
		t.Errorf("tests ran despite an unknown name")
	}
}

func TestCommandLineMistakes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		line   string
		status int
		want   []string
	}{
		{"tset=all", 4, []string{`cmdline: "tset=all": unknown key (known keys: test shell cpus`, "the mistakes above stop the boot", "test=", "clusters="}},
		{"cpus=four test=panic", 4, []string{`cmdline: "cpus=four": not a decimal number; cpus takes a number from 1 to 16` + "\r\n"}},
		{"mem=12Q test=panic", 4, []string{`cmdline: "mem=12Q": not a size`}},
		// The runtime would take a malformed GOGC for 100: the boot stops.
		{"gogc=abc gogc=99999999999999999999 test=panic", 4, []string{
			`cmdline: "gogc=abc": neither a decimal number nor an accepted word; gogc takes a number from 0 to 2147483647, or off`,
			`cmdline: "gogc=99999999999999999999": out of range`}},
		// A tuning mistake falls back to the default and the boot goes on.
		{"slice=0 test=panic", 0, []string{`cmdline: "slice=0": out of range; slice takes a number from 1 to 1000; using the default 10`, "--- PASS: panic"}},
	} {
		r := boot(t, qemu.Config{Append: c.line})
		if r.Status != c.status {
			t.Errorf("%q: status %d, want %d", c.line, r.Status, c.status)
		}
		expect(t, r.Output, c.want...)
	}
}

func TestConsole(t *testing.T) {
	t.Parallel()
	input := "help\rmem\rcpus\ruptime\rthreads\rclusters\rdqdt\rbogus\rversion\rpoweroff 7\r"
	r := boot(t, qemu.Config{SMP: 4, MemMB: 128, Input: strings.NewReader(input), InputAfter: "almos> ", Append: "clusters=2x1"})
	if r.Status != 7 {
		t.Errorf("status %d, want 7 (from poweroff 7)", r.Status)
	}
	expect(t, r.Output,
		"console ready", "almos> ",
		"poweroff [STATUS]", "test [NAME...]", // help
		"physical memory: 128 MiB RAM", "free ", "Go heap: in use", // mem
		"4 cores (MIPS P5600", "online", // cpus
		"2 clusters", "(1,0)", "placement:", // clusters
		"root (1):", "clusters (0):", "free blocks", // dqdt
		"since kernel entry", // uptime
		"main", "running",    // threads
		`unknown command "bogus": type help for the list`,
		"board malta", // version
		"powering off, status 7")
}

// TestACPIPowerOff boots without semihosting: the kernel powers off through
// the PIIX4, QEMU exits (with 0, the only status ACPI can give).
func TestACPIPowerOff(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{Append: "test=panic", NoSemihosting: true, Timeout: 3 * time.Minute})
	if r.Status != 0 {
		t.Errorf("status %d, want 0", r.Status)
	}
	expect(t, r.Output, "power-off: ACPI soft-off", "--- PASS: panic", "powering off")
}

// TestLongRun keeps the kernel up past the 32-bit wrap of QEMU's GIC
// counter (43 s): the clock must stay monotonic and right, and the GIC's
// reset-time compare interrupt, which fires there, must not reach the cores.
func TestLongRun(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{SMP: 4, MemMB: 128, Append: "test=longrun", Timeout: 5 * time.Minute})
	if r.Status != 0 {
		t.Errorf("status %d, want 0", r.Status)
	}
	expect(t, r.Output, "--- PASS: longrun", "widened past 2^32, no spurious interrupts")
}

// TestSoak boots the whole in-kernel suite 20 times at each core count
// (make soak; not in CI) and reports hangs and failures. ALMOS_SOAK_SMP
// ("1,2,4,8,16") and ALMOS_SOAK_BOOTS (20) narrow it.
func TestSoak(t *testing.T) {
	if os.Getenv("ALMOS_SOAK") == "" {
		t.Skip("set ALMOS_SOAK=1 (make soak) to boot the suite 20 times at each core count")
	}
	boots := 20
	if v, err := strconv.Atoi(os.Getenv("ALMOS_SOAK_BOOTS")); err == nil && v > 0 {
		boots = v
	}
	sizes := []int{1, 2, 4, 8, 16}
	if v := os.Getenv("ALMOS_SOAK_SMP"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("ALMOS_SOAK_SMP: %v", err)
			}
			sizes = append(sizes, n)
		}
	}
	total := 0
	for _, smp := range sizes {
		hangs, fails, crashes := 0, 0, 0
		var wall time.Duration
		for i := 0; i < boots; i++ {
			c := qemu.Config{Kernel: image, SMP: smp, MemMB: 256, Append: "test=all", Timeout: 10 * time.Minute}
			r, err := qemu.Run(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			wall += r.Wall
			switch {
			case r.Crashed != "":
				// Not the kernel's: see boot.
				crashes++
				t.Logf("-smp %d boot %d: QEMU itself died (%s); console:\n%s", smp, i+1, r.Crashed, tail(r.Output, 10))
			case r.TimedOut:
				hangs++
				t.Logf("-smp %d boot %d: hang; console:\n%s", smp, i+1, tail(r.Output, 60))
			case r.Status != 0 || strings.Contains(r.Output, "--- FAIL"):
				fails++
				t.Logf("-smp %d boot %d: status %d; console:\n%s", smp, i+1, r.Status, tail(r.Output, 80))
			}
		}
		t.Logf("soak: -smp %d: %d boots, %d hangs, %d failures, %d QEMU crashes, %v per boot", smp, boots, hangs, fails, crashes, (wall / time.Duration(boots)).Round(time.Second))
		total += hangs + fails
	}
	if total != 0 {
		t.Fail()
	}
}
