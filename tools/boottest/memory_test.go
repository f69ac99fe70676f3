package boottest

import (
	"fmt"
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
