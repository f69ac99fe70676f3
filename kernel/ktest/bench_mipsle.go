package ktest

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"almos/kernel/kapi"
)

// The kernel's guest-time measures (manual test "bench"): each result line
// reads "bench: NAME VALUE ns (TICKS ticks of the HZ Hz clock) ...". Time is
// the kernel's clock: the GIC's shared counter (100 MHz, one clock for all
// cores) on machines with a CPS, CP0 Count on one core.

func init() {
	RegisterManual("bench", "guest-time measures: null syscall, context switch, cross-core wake-up, thread creation, IPI round trip, CPU-bound speedup", testBench)
}

func rawClone(stack uintptr, flag *uint32) int32
func readCount() uint32

// gicCounter is the GIC's shared counter, low word, through KSEG1.
const gicCounterAddr = 0xBBDC0010

var clk struct {
	gic bool
	hz  float64
}

func ticks() uint32 {
	if clk.gic {
		return atomic.LoadUint32((*uint32)(addrPtr(gicCounterAddr)))
	}
	return readCount()
}

func report(t *T, name string, d uint32, per int, extra string) {
	ns := float64(d) / float64(per) * 1e9 / clk.hz
	line := fmt.Sprintf("bench: %s %.0f ns (%.1f ticks of the %.0f Hz clock) %s", name, ns, float64(d)/float64(per), clk.hz, extra)
	fmt.Println(line)
	t.Logf("%s", line)
}

func median(v []uint32) uint32 {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}

func testBench(t *T) {
	c, err := kapi.ReadClock()
	if err != nil {
		t.Fatalf("clock: %v", err)
	}
	n := online()
	clk.gic = c.Hz == 100_000_000 || n > 1
	clk.hz = float64(c.Hz)
	if !clk.gic {
		clk.hz = float64(c.CountHz)
	}
	fmt.Printf("bench: cores %d\n", n)

	// Null system call.
	const calls = 20000
	t0 := ticks()
	for i := 0; i < calls; i++ {
		syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	}
	report(t, "null-syscall", ticks()-t0, calls, "(getpid)")

	// Context switch: two threads pinned to one core hand a token through
	// futexes; each hand-off is a wake, a wait and a switch.
	benchSwitch(t, 0, 0, "context-switch", "(futex hand-off between two threads on core 0, per switch)")
	if n > 1 {
		benchWake(t)
		runtime.LockOSThread()
		pin(0)
		d, err := kapi.IPIPing(1, 2000)
		unpin()
		runtime.UnlockOSThread()
		if err != nil {
			t.Errorf("IPI ping: %v", err)
		} else {
			report(t, "ipi-round-trip", uint32(d), 2000, "(core 0 to core 1 and back, in trap context)")
		}
	}
	benchClone(t)
	benchSpeedup(t, n)
}

// rawFutex is a futex call that bypasses the Go runtime's system-call
// bookkeeping (the thread keeps its P while it blocks): what is measured is
// the kernel.
func rawFutex(addr *uint32, op, val uint32, ts *[4]uint32) syscall.Errno {
	_, _, e := syscall.RawSyscall6(4422, uintptr(unsafe.Pointer(addr)), uintptr(op), uintptr(val), uintptr(unsafe.Pointer(ts)), 0, 0)
	return e
}

func benchSwitch(t *T, coreA, coreB int, name, what string) {
	const rounds = 2000
	// Each side blocks in the kernel holding its P: leave Ps for the rest.
	defer atLeastProcs(4)()
	timeout := [4]uint32{0, 0, 50e6, 0}
	var word uint32
	var wg sync.WaitGroup
	var d uint32
	for side := 0; side < 2; side++ {
		wg.Add(1)
		go func(side int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			defer unpin()
			if side == 0 {
				pin(coreA)
			} else {
				pin(coreB)
			}
			t0 := ticks()
			for r := 0; r < rounds; r++ {
				my := uint32(2*r + side)
				for {
					v := atomic.LoadUint32(&word)
					if v == my {
						break
					}
					rawFutex(&word, futexWaitPrivate, v, &timeout)
				}
				atomic.StoreUint32(&word, my+1)
				rawFutex(&word, futexWakePrivate, 1, nil)
			}
			if side == 0 {
				d = ticks() - t0
			}
		}(side)
	}
	wg.Wait()
	report(t, name, d, 2*rounds, what)
}

// benchWake: a thread on core 1 waits on a futex; a thread on core 0 takes
// a timestamp and wakes it; the woken thread takes one when it runs.
func benchWake(t *T) {
	const rounds = 300
	defer atLeastProcs(4)()
	second := [4]uint32{1, 0, 0, 0}
	var word, ack uint32
	var sent uint32
	samples := make([]uint32, 0, rounds)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer unpin()
		pin(1)
		for r := 1; r <= rounds; r++ {
			for atomic.LoadUint32(&word) != uint32(r) {
				rawFutex(&word, futexWaitPrivate, uint32(r-1), &second)
			}
			samples = append(samples, ticks()-atomic.LoadUint32(&sent))
			atomic.StoreUint32(&ack, uint32(r))
		}
	}()
	runtime.LockOSThread()
	pin(0)
	for r := 1; r <= rounds; r++ {
		time.Sleep(200 * time.Microsecond) // let the waiter block
		atomic.StoreUint32(&sent, ticks())
		atomic.StoreUint32(&word, uint32(r))
		rawFutex(&word, futexWakePrivate, 1, nil)
		for atomic.LoadUint32(&ack) != uint32(r) {
			runtime.Gosched()
		}
	}
	unpin()
	runtime.UnlockOSThread()
	wg.Wait()
	report(t, "cross-core-wake-to-run", median(samples), 1, fmt.Sprintf("(median of %d: futex wake on core 0 to the waiter running on core 1)", rounds))
}

func benchClone(t *T) {
	const rounds = 100
	stacks := make([][]byte, rounds)
	samples := make([]uint32, 0, rounds)
	for i := 0; i < rounds; i++ {
		stacks[i] = make([]byte, 4096)
		var flag uint32
		top := uintptr(unsafe.Pointer(&stacks[i][0])) + 4096 - 64
		t0 := ticks()
		tid := rawClone(top, &flag)
		if tid <= 0 {
			t.Fatalf("clone: %v (flag %d, i %d, where %d)", syscall.Errno(-tid), flag, i, kapi.Where())
		}
		for atomic.LoadUint32(&flag) == 0 {
			// Give the core away: the new thread may be placed here.
			syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
		}
		samples = append(samples, ticks()-t0)
	}
	runtime.KeepAlive(stacks)
	time.Sleep(10 * time.Millisecond) // the threads exit
	report(t, "thread-create-to-run", median(samples), 1, fmt.Sprintf("(median of %d: clone until the new thread runs)", rounds))
}

// benchSpeedup runs the same CPU-bound work (a fixed number of chain()
// chunks) on 1, 2, 4 ... cores and reports the speedup in guest time, the
// best of three runs at each count.
func benchSpeedup(t *T, n int) {
	const chunks = 256
	old := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(old)
	var base float64
	for p := 1; p <= n; p *= 2 {
		runtime.GOMAXPROCS(p)
		best := 0.0
		for try := 0; try < 3; try++ {
			var next atomic.Int32
			var wg sync.WaitGroup
			t0 := ticks()
			for w := 0; w < p; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= chunks {
						chain(7, 20000)
					}
				}()
			}
			wg.Wait()
			d := float64(ticks()-t0) / clk.hz
			if best == 0 || d < best {
				best = d
			}
		}
		if p == 1 {
			base = best
		}
		line := fmt.Sprintf("bench: speedup cores=%d time=%.1fms speedup=%.2f", p, best*1e3, base/best)
		fmt.Println(line)
		t.Logf("%s", line)
		if p*2 > n && p != n {
			p = n / 2 // end with all cores
		}
	}
}
