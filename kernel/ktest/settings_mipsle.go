package ktest

import (
	"os"
	"strconv"
	"strings"
	"time"

	"almos/kernel/kapi"
)

// What the command line changed that tests must size themselves to.

// asyncPreemptOff reports whether the runtime was started without
// asynchronous preemption (godebug=asyncpreemptoff=N, N not 0; the last
// setting wins, as in the runtime's own parsing).
func asyncPreemptOff() bool {
	off := false
	for _, kv := range strings.Split(os.Getenv("GODEBUG"), ",") {
		if v, ok := strings.CutPrefix(kv, "asyncpreemptoff="); ok {
			n, err := strconv.Atoi(v)
			off = err == nil && n != 0
		}
	}
	return off
}

// needAsyncPreempt skips t when asynchronous preemption is off: its
// goroutines spin in loops without a preemption point, which hold their Ps
// until the runtime preempts them with a signal.
func needAsyncPreempt(t *T) {
	if asyncPreemptOff() {
		t.Skipf("needs asynchronous preemption (godebug=asyncpreemptoff is set): its goroutines spin without a preemption point")
	}
}

// slice is the round-robin time slice of core 0 (slice=, 10 ms by default).
func slice() time.Duration {
	if cpus, err := kapi.CPUs(); err == nil && len(cpus) > 0 && cpus[0].SliceNS > 0 {
		return time.Duration(cpus[0].SliceNS)
	}
	return 10 * time.Millisecond
}

// managedRAM is the RAM the kernel's page allocators manage, in bytes.
func managedRAM() uint64 {
	var m kapi.MemStats
	if err := kapi.ReadMemStats(&m); err != nil {
		return 0
	}
	return m.TotalPages * m.PageSize
}
