package linux

import (
	"almos/kernel/cpu"
	"almos/kernel/diag"
	"almos/kernel/klog"
	"almos/kernel/ktime"
	"almos/kernel/spin"
	"almos/kernel/thread"
)

// The in-kernel test suite's last-resort deadline (kapi.CallWatchdog).
//
// The suite times each test out with a Go timer, and its report stops the
// world to collect the goroutines: both need the Go runtime to get a P.
// Goroutines that hold every P and cannot be preempted (no asynchronous
// preemption, a loop without a preemption point) starve them for ever. The
// cores' periodic tick runs whatever the runtime does, so the suite also
// arms this watchdog, a little after its own deadline. When it fires, the
// kernel reports the test as failed in the suite's form, prints its threads,
// and sends SIGQUIT to a thread of the runtime: the runtime's handler needs
// no P to print every goroutine, then aborts. The run cannot go on (the
// stuck goroutines keep the Ps), so that abort powers off with status 1, a
// failed test, not 2. Should the runtime not even manage that, the kernel
// powers off itself a while later.

// watchdogAbortAfter is how long the runtime gets to print its goroutines
// and die after SIGQUIT (its crash path alone may wait 10 s for its threads).
const watchdogAbortAfter = 60e9

var watchdog struct {
	lock     spin.Lock
	deadline int64 // ktime; 0: disarmed
	armedAt  int64
	tid      int32 // the thread that armed it: signalled when it fires
	name     [32]byte
	nameLen  int
	fired    bool // SIGQUIT sent; deadline is now the kernel's own power-off
}

// armWatchdog arms the watchdog to fire after ns for the named test, or
// disarms it (ns == 0). It does nothing once fired: the run is ending.
func armWatchdog(c *cpu.CPU, t *thread.Thread, name []byte, ns int64) {
	w := &watchdog
	w.lock.Acquire(c.ID)
	if !w.fired {
		if ns == 0 {
			w.deadline = 0
		} else {
			now := ktime.Now()
			// Armed again for the same test (over the suite's own
			// report of it): it started when first armed.
			if w.deadline == 0 || string(w.name[:w.nameLen]) != string(name) {
				w.armedAt = now
			}
			w.deadline, w.tid = now+ns, t.TID
			w.nameLen = copy(w.name[:], name)
		}
	}
	w.lock.Release()
}

// watchdogTick is part of the cores' periodic work: it fires the watchdog
// once its deadline is past.
func watchdogTick(c *cpu.CPU, now int64) {
	w := &watchdog
	if !w.lock.TryAcquire(c.ID) {
		// Another core is looking at it (or arming it) right now.
		return
	}
	d := w.deadline
	if d == 0 || now < d {
		w.lock.Release()
		return
	}
	if w.fired {
		w.lock.Release()
		diag.Fatal(c.ID, 0, "", nil, diag.StatusTestsFailed, "KERNEL: test watchdog",
			"the Go runtime did not print its goroutines and end after SIGQUIT")
		return
	}
	w.fired = true
	w.deadline = now + watchdogAbortAfter
	name := w.name[:w.nameLen]
	ran := now - w.armedAt
	target, ok := thread.Lookup(w.tid, c.ID)
	w.lock.Release()

	var l klog.Line
	klog.Begin()
	l.S("--- FAIL: ").B(name).S(" (").U(uint64(ran / 1e9)).C('.').
		C(byte('0' + ran/1e8%10)).C(byte('0' + ran/1e7%10)).S("s)").Print()
	l.S("    test still running after ").U(uint64(ran / 1e9)).S("s and the Go runtime did not time it out: its Ps are held by").Print()
	l.S("    goroutines it cannot preempt, or it is stuck. The kernel's threads, then the runtime's goroutines").Print()
	l.S("    (SIGQUIT); the run cannot go on: the machine powers off with status 1.").Print()
	klog.End()
	DumpThreads(c)
	diag.GoFatalAs(diag.StatusTestsFailed)
	if !ok || target.Kind != thread.KindRuntime {
		// It exited: any thread of the runtime will do. (A thread id,
		// not a pointer, leaves the closure: trap context has no
		// write barrier.)
		var tid int32
		thread.Each(c.ID, func(t *thread.Thread) {
			if tid == 0 && t.Kind == thread.KindRuntime {
				tid = t.TID
			}
		})
		if target, ok = thread.Lookup(tid, c.ID); !ok {
			diag.Fatal(c.ID, 0, "", nil, diag.StatusTestsFailed, "KERNEL: test watchdog", "no thread of the Go runtime left to signal")
			return
		}
	}
	sendSignal(c, target, SIGQUIT)
}
