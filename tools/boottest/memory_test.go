package boottest

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"almos/tools/qemu"
)

// TestOddRAM boots RAM sizes that are not powers of two. The heap window's
// wired TLB entries once left a lone even page before the end of such a
// window, hiding the entries after it: the first mapping past it faulted in
// trap context (TLB miss at 0x46000000 with -m 100).
func TestOddRAM(t *testing.T) {
	for _, c := range []struct {
		smp, mem int
		line     string
	}{
		{1, 100, "test=all"},
		{4, 200, "test=alloc,spill,placement,balance,futexstorm"},
		{1, 256, "test=alloc,spill mem=100M"},
	} {
		c := c
		t.Run(fmt.Sprintf("smp%d-m%d", c.smp, c.mem), func(t *testing.T) {
			t.Parallel()
			r := boot(t, qemu.Config{SMP: c.smp, MemMB: c.mem, Append: c.line})
			checkSuite(t, r)
			expect(t, r.Output, "--- PASS: spill", "--- PASS: alloc")
		})
	}
}

// TestTooSmall boots machines below the minimum RAM: each is refused with
// one line saying what it has and what it needs, and status 5; never a
// fault, a runtime crash or a hang.
func TestTooSmall(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		smp, mem int
		line     string
		status   int
		want     string
	}{
		// RAM ends before the image: _kentry itself says so.
		{1, 4, "test=panic", 5, "ALMOS: the kernel image does not fit in this machine's RAM; ALMOS needs at least 32 MiB (QEMU -m 32)"},
		{1, 24, "test=panic", 5, "early boot: 24 MiB of RAM found; ALMOS needs at least 32 MiB (QEMU -m 32); powering off with status 5"},
		// 16 cores make 4 clusters by default; their banks must each hold
		// what cluster 0's holds.
		{16, 48, "test=panic", 5, "4 clusters need at least 64 MiB of RAM"},
		// mem= below the minimum is a command-line mistake.
		{1, 64, "test=panic mem=20M", 4, `cmdline: "mem=20M": out of range; mem takes a size from 32M to 1G`},
	} {
		r := boot(t, qemu.Config{SMP: c.smp, MemMB: c.mem, Append: c.line, Timeout: 3 * time.Minute})
		if r.Status != c.status {
			t.Errorf("-smp %d -m %d %q: status %d, want %d", c.smp, c.mem, c.line, r.Status, c.status)
		}
		expect(t, r.Output, c.want)
		for _, bad := range []string{"KERNEL FAULT", "fatal error", "=== RUN"} {
			if strings.Contains(r.Output, bad) {
				t.Errorf("-smp %d -m %d: console has %q", c.smp, c.mem, bad)
			}
		}
	}
}

// TestMemoryReturn runs the memory-hungry in-kernel tests three times from
// the shell, with the shell's gc (collect, then release what the heap does
// not use) after each run, and reads the used pages the mem view shows.
// Memory the Go runtime releases must go back to the page allocators: once
// the first run has grown the runtime's metadata, used pages must come back
// to where they were after each run. Before the paged space, a direct map
// kept every frame the runtime had ever touched: used pages went from 13 to
// 162 MiB over repeated runs while the heap in use stayed at 3 MiB.
func TestMemoryReturn(t *testing.T) {
	t.Parallel()
	const run = "test goroutines alloc gc gomaxprocs fanout gcparallel memreturn\r"
	r := boot(t, qemu.Config{SMP: 4, MemMB: 256, InputAfter: "almos> ",
		Lines: []string{"gc\r", run, "gc\r", run, "gc\r", run, "gc\r", "poweroff\r"}})
	if r.Status != 0 {
		t.Fatalf("status %d; console:\n%s", r.Status, tail(r.Output, 60))
	}
	var used []int
	for _, m := range regexp.MustCompile(`(?m)^  used +([0-9]+) pages`).FindAllStringSubmatch(r.Output, -1) {
		n, _ := strconv.Atoi(m[1])
		used = append(used, n)
	}
	if len(used) != 4 || strings.Count(r.Output, "\nPASS") < 3 {
		t.Fatalf("want 4 mem views and 3 passing runs, got %v; console:\n%s", used, tail(r.Output, 60))
	}
	t.Logf("used pages after boot and after each run: %v (4 KiB pages)", used)
	const pagesPerMiB = 256
	if grew := used[3] - used[1]; grew > 4*pagesPerMiB {
		t.Errorf("used pages grew by %d between the first and the third run: frames are not given back", grew)
	}
	if grew := used[3] - used[0]; grew > 16*pagesPerMiB {
		t.Errorf("used pages grew by %d from boot to the third run", grew)
	}
}

// TestRAMSweep boots the whole in-kernel suite at every RAM size from the
// minimum to malta's 2 GiB in steps that are mostly not powers of two (make
// ramsweep; not in CI: about 60 boots). ALMOS_RAMSWEEP_STEP (MiB, default
// 36) and ALMOS_RAMSWEEP_SMP (default 1) change it.
func TestRAMSweep(t *testing.T) {
	if os.Getenv("ALMOS_RAMSWEEP") == "" {
		t.Skip("set ALMOS_RAMSWEEP=1 (make ramsweep) to boot the suite at every RAM size")
	}
	step, smp := 36, 1
	if v, err := strconv.Atoi(os.Getenv("ALMOS_RAMSWEEP_STEP")); err == nil && v > 0 {
		step = v
	}
	if v, err := strconv.Atoi(os.Getenv("ALMOS_RAMSWEEP_SMP")); err == nil && v > 0 {
		smp = v
	}
	var sizes []int
	for m := 32; m < qemu.MaxMemMB; m += step {
		sizes = append(sizes, m)
	}
	sizes = append(sizes, qemu.MaxMemMB)
	for _, m := range sizes {
		m := m
		t.Run(fmt.Sprintf("m%d", m), func(t *testing.T) {
			t.Parallel()
			r := boot(t, qemu.Config{SMP: smp, MemMB: m, Append: "test=all", Timeout: 15 * time.Minute})
			checkSuite(t, r)
		})
	}
}
