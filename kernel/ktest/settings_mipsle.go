package ktest

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
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

// heapCeiling is about as much memory as the Go runtime can hold: every
// frame the kernel does not hold itself, the runtime's and the free ones
// (its mappings get frames page by page, from any bank).
func heapCeiling() uint64 {
	var m kapi.MemStats
	if err := kapi.ReadMemStats(&m); err != nil {
		return 0
	}
	return (m.TotalPages - m.KernelPages) * m.PageSize
}

func init() {
	prepare = setMemoryLimit
}

// setMemoryLimit gives the runtime a memory limit of half of what it can
// hold, for the run, as a program on a small machine does: the collector
// then starts early enough that what the tests allocate while it marks
// (on an emulator running many cores on few host cores, a lot) fits in the
// other half. Without it, on a small machine, that can take all the RAM.
func setMemoryLimit() (undo func()) {
	c := heapCeiling()
	if c == 0 {
		return func() {}
	}
	old := debug.SetMemoryLimit(int64(c / 2))
	return func() { debug.SetMemoryLimit(old) }
}

// pacer holds back a goroutine that allocates as fast as it can when the
// heap nears what the runtime can hold, until the collector ends a cycle.
// The collector marks while the program allocates: the heap grows by what
// is allocated meanwhile, unbounded by any goal or limit. On an emulator
// that runs many cores on few host cores, stopping the world and marking
// take long next to one core allocating, and the heap outgrows a small
// machine's (heapCeiling): the runtime dies out of memory. A program that
// allocates as fast as it can, on a small machine, has to pace itself; the
// tests that do pace themselves with this, and count the waits.
type pacer struct {
	threshold uint64
	sinceRead uint64
	samples   [2]metrics.Sample
	Waits     int
}

// pacerThreshold is the heap size (live objects and garbage not yet freed)
// above which allocation waits for the collector: the memory limit, past
// which the runtime collects whatever its goal, or half of what the runtime
// can hold when no limit was set; at least 8 MiB, above what any test keeps
// live.
func pacerThreshold() uint64 {
	t := heapCeiling() / 2
	if l := debug.SetMemoryLimit(-1); l > 0 && uint64(l) < t {
		t = uint64(l)
	}
	return max(t, 8<<20)
}

func newPacer(threshold uint64) *pacer {
	p := &pacer{threshold: threshold}
	p.samples[0].Name = "/memory/classes/heap/objects:bytes"
	p.samples[1].Name = "/gc/cycles/total:gc-cycles"
	return p
}

// allocated records n bytes allocated; every MiB it looks at the heap and,
// above the threshold, where the collector is at work, waits until it ends
// its cycle or the heap is back under the threshold (the sweeper frees a
// finished cycle's garbage while this goroutine's P is idle), at most
// 100 ms: more may be live than expected.
func (p *pacer) allocated(n uint64) {
	p.sinceRead += n
	if p.sinceRead < 1<<20 {
		return
	}
	p.sinceRead = 0
	metrics.Read(p.samples[:])
	if p.samples[0].Value.Uint64() <= p.threshold {
		return
	}
	p.Waits++
	cycles := p.samples[1].Value.Uint64()
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
		time.Sleep(time.Millisecond)
		metrics.Read(p.samples[:])
		if p.samples[0].Value.Uint64() <= p.threshold || p.samples[1].Value.Uint64() > cycles {
			return
		}
	}
}
