package boottest

import (
	"testing"
	"time"

	"almos/tools/qemu"
)

// The in-kernel suite under settings a user may choose: every test passes,
// or skips saying why; none hangs. Each boot covers several settings.
func TestSuiteSettings(t *testing.T) {
	for _, c := range []struct {
		name  string
		smp   int
		mem   int
		line  string
		wants []string
	}{
		// One P for two cores, and one-second slices: cores raises
		// GOMAXPROCS, policy spins past a slice, sleepload allows for
		// the monitor thread waiting a slice for a core.
		{"gomaxprocs1-slice1000", 2, 256, "test=all gomaxprocs=1 slice=1000",
			[]string{"GOMAXPROCS raised from 1 to 2 for the test", "FIFO thread 0 times (slice 1s)", "--- PASS: sleepload"}},
		// No asynchronous preemption: sleepload's spinners held every P
		// and the run hung there.
		{"asyncpreemptoff", 2, 256, "test=all godebug=asyncpreemptoff=1",
			[]string{"--- SKIP: sleepload", "needs asynchronous preemption", "--- PASS: throttle"}},
		// Far more Ps than cores (cores failed, alloc's heap outgrew the
		// RAM), and the shortest slices.
		{"gomaxprocs256-slice1", 2, 256, "test=all gomaxprocs=256 slice=1",
			[]string{"GOMAXPROCS lowered from 256 to the 2 cores", "--- PASS: cores", "(slice 1ms)"}},
		// Small machines: 10,000 goroutines ran out of memory, and on
		// banks of a few MiB the heap's 4 MiB pieces ran out.
		{"smp1-m32", 1, 32, "test=all", []string{"--- PASS: fanout", "--- PASS: alloc"}},
		{"smp16-m64", 16, 64, "test=all", []string{"--- PASS: fanout", "--- PASS: alloc", "--- PASS: gcparallel"}},
		{"smp5-m40", 5, 40, "test=all", []string{"--- PASS: fanout", "--- PASS: alloc", "--- PASS: gomaxprocs"}},
	} {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// A run of the suite takes well under a minute; a hang
			// fails the test long before boot's default of 8 minutes.
			r := boot(t, qemu.Config{SMP: c.smp, MemMB: c.mem, Append: c.line, Timeout: 5 * time.Minute})
			checkSuite(t, r)
			expect(t, r.Output, c.wants...)
		})
	}
}

// TestSuiteDeadlines: a test that hangs fails at its deadline with the
// goroutines and the kernel's threads, and the run goes on; one whose
// goroutines hold every P without a preemption point (no asynchronous
// preemption) starves the runtime's own deadline, and the kernel's watchdog
// reports it, has the runtime print its goroutines, and powers off with 1.
func TestSuiteDeadlines(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{SMP: 2, Append: "test=hang,panic,wedge godebug=asyncpreemptoff=1", Timeout: 5 * time.Minute})
	if r.Status != 1 {
		t.Errorf("status %d, want 1", r.Status)
	}
	expect(t, r.Output,
		"=== RUN   hang", "--- FAIL: hang (", "    blocking for ever", "test timed out after 3s; its goroutines are abandoned and the run goes on",
		"goroutines:", "almos/kernel/ktest.testHang", "--- kernel threads",
		"=== RUN   panic", "--- PASS: panic (",
		"=== RUN   wedge", "--- FAIL: wedge (", "the Go runtime did not time it out",
		"SIGQUIT: quit", "almos/kernel/ktest.testWedge",
		"the in-kernel test watchdog made the Go runtime print its goroutines and end", "*** powering off with status 1")
}

// TestFatalReportBounded: a fatal panic with thousands of goroutines alive
// makes the runtime print megabytes; the console shows the head and the
// tail of it and says how much it held back.
func TestFatalReportBounded(t *testing.T) {
	t.Parallel()
	r := boot(t, qemu.Config{Append: "test=fatalcrowd"})
	if r.Status != 2 {
		t.Errorf("status %d, want 2", r.Status)
	}
	expect(t, r.Output,
		"panic: assignment to entry in nil map", "almos/kernel/ktest.testFatalCrowd",
		"[kernel: standard error went over its console budget (64 KiB a burst): ", " held back; the last ",
		"[kernel: end of the dropped output]",
		"*** KERNEL: fatal", "*** powering off with status 2")
	// 5,000 goroutines' traces are some 4 MB: what reaches the console is
	// the 64 KiB head, the 16 KiB tail and the reports around them.
	if n := len(r.Output); n > 200<<10 {
		t.Errorf("%d KiB on the console, want under 200", n>>10)
	}
}
