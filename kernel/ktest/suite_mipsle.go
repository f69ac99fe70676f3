package ktest

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
	"weak"

	"almos/kernel/kapi"
)

// The kernel's tests of its own Go runtime support: the runtime's
// scheduler, collector and timers on top of the kernel's threads, traps and
// clock.

func init() {
	Register("goroutines", "1000 goroutines pass a token around a ring of channels", testGoroutines)
	Register("alloc", "allocate and release at least 4x the RAM, so the collector must reclaim", testAlloc)
	Register("gc", "runtime.GC runs a cycle, finalizers run, weak pointers clear", testGC)
	Register("sleep", "time.Sleep lasts what it asks, checked against the hardware counter", testSleep)
	Register("timers", "timers, AfterFunc and tickers fire on time and stop", testTimers)
	Register("panic", "panic and recover, deferred calls in order", testPanic)
	Register("nilderef", "a nil dereference becomes a recoverable runtime error", testNilDeref)
	Register("gomaxprocs", "GOMAXPROCS above the core count: parallel allocation stress, threads preempted", testGOMAXPROCS)
	Register("syscalls", "bad arguments get errors, not faults; unserved calls answer ENOSYS", testSyscalls)
	Register("mmap", "mmap is zeroed, honours hints and MAP_FIXED, munmap returns pages", testMmap)
	Register("futex", "futex wait compares, times out and is woken", testFutex)
	Register("epoll", "eventfd and epoll as the runtime's poller uses them", testEpoll)
	Register("clock", "clocks: monotonic, wall time from the RTC, thread CPU time", testClock)
	RegisterManual("fault", "a kernel fault in trap context: the report and status 3", testFault)
	RegisterManual("fatal", "an unrecovered panic: the runtime's report, then the kernel's, status 2", testFatal)
}

func testGoroutines(t *T) {
	const n = 1000
	const laps = 10
	chans := make([]chan int, n)
	for i := range chans {
		chans[i] = make(chan int)
	}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in, out := chans[i], chans[(i+1)%n]
			for {
				v, ok := <-in
				if !ok {
					// The end travels around the ring: each
					// goroutine closes the channel it feeds.
					close(out)
					return
				}
				if v == n*laps {
					close(out)
					return
				}
				out <- v + 1
			}
		}(i)
	}
	chans[0] <- 1
	wg.Wait()
	if g := runtime.NumGoroutine(); g > 50 {
		t.Errorf("%d goroutines left", g)
	}
	t.Logf("%d goroutines, %d channel hand-offs", n, n*laps)
}

var sink any

func testAlloc(t *T) {
	var m kapi.MemStats
	if err := kapi.ReadMemStats(&m); err != nil {
		t.Fatalf("mem stats: %v", err)
	}
	ram := m.TotalPages * m.PageSize
	// The collector's pacer gives a quarter of the Ps to marking and
	// counts on them running. With more Ps than cores (gomaxprocs=) they
	// share the cores with the allocator and marking falls behind it: each
	// cycle ends with more marked live than the last, and the heap
	// outgrows the RAM. Allocating as fast as it can is this test's point.
	if n, procs := online(), runtime.GOMAXPROCS(0); procs > n {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
		t.Logf("GOMAXPROCS lowered from %d to the %d cores for the test", procs, n)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	target := 4 * ram
	var total uint64
	live := make([][]byte, 16)
	p := newPacer(pacerThreshold())
	for i := 0; total < target; i++ {
		size := 16<<10 + (i%64)<<12 // 16 KiB .. 268 KiB
		b := make([]byte, size)
		b[0], b[len(b)-1] = byte(i), byte(i)
		live[i%len(live)] = b
		total += uint64(size)
		p.allocated(uint64(size))
	}
	sink = live
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	gcs := after.NumGC - before.NumGC
	t.Logf("allocated %d MiB (%.1fx the %d MiB managed), %d collections, heap system memory %d MiB; waited %d times for the collector (heap over %d MiB)",
		alloc>>20, float64(alloc)/float64(ram), ram>>20, gcs, after.HeapSys>>20, p.Waits, p.threshold>>20)
	if alloc < target {
		t.Errorf("allocated %d bytes, want at least %d", alloc, target)
	}
	if gcs == 0 {
		t.Errorf("no collection ran")
	}
	if after.HeapSys > ram {
		t.Errorf("heap holds %d bytes of %d: the collector did not reclaim", after.HeapSys, ram)
	}
	sink = nil
}

func testGC(t *T) {
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	finalized := make(chan struct{})
	func() {
		o := new([64]byte)
		runtime.SetFinalizer(o, func(*[64]byte) { close(finalized) })
	}()
	obj := new([128]byte)
	wp := weak.Make(obj)
	obj = nil
	runtime.GC()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if after.NumGC < before.NumGC+2 {
		t.Errorf("NumGC went from %d to %d after two runtime.GC", before.NumGC, after.NumGC)
	}
	select {
	case <-finalized:
	case <-time.After(5 * time.Second):
		t.Errorf("finalizer did not run")
	}
	if wp.Value() != nil {
		t.Errorf("weak pointer still set after collections")
	}
	t.Logf("%d collections, last pause %v", after.NumGC-before.NumGC, time.Duration(after.PauseNs[(after.NumGC+255)%256]))
}

// hwElapsed measures f's duration with the kernel's hardware counter.
func hwElapsed(t *T, f func()) time.Duration {
	c0, err := kapi.ReadClock()
	if err != nil {
		t.Fatalf("clock: %v", err)
	}
	f()
	c1, _ := kapi.ReadClock()
	return time.Duration(float64(c1.Counter-c0.Counter) * 1e9 / float64(c0.Hz))
}

// lateTries is how many times a sleep that ends too late is measured
// before the lateness counts: the kernel's clock runs on while the host
// leaves a vCPU unscheduled, so a loaded host makes a sleep late now and
// then; a kernel that wakes sleepers late does so every time.
const lateTries = 3

func testSleep(t *T) {
	for _, d := range []time.Duration{time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond} {
		var hw, wall time.Duration
		var late []time.Duration
		for try := 0; try < lateTries; try++ {
			hw = hwElapsed(t, func() {
				s := time.Now()
				time.Sleep(d)
				wall = time.Since(s)
			})
			// Never early; late by at most a generous margin.
			if hw <= d+250*time.Millisecond+d {
				break
			}
			late = append(late, hw)
		}
		if len(late) == lateTries {
			t.Errorf("Sleep(%v) lasted %v by the hardware counter, %d times: too late", d, late, lateTries)
		} else if len(late) > 0 {
			t.Logf("Sleep(%v) lasted %v by the hardware counter before a sleep on time (the host stalled)", d, late)
		}
		if hw < d {
			t.Errorf("Sleep(%v) lasted %v by the hardware counter: early", d, hw)
		}
		// Both clocks come from the same counter and the counter's readings
		// enclose Go's: Go's clock can never see more. It can see less by
		// any amount: a vCPU descheduled by the host between two readings.
		if wall < d {
			t.Errorf("Sleep(%v) lasted %v by time.Since: early", d, wall)
		}
		if wall > hw+time.Millisecond {
			t.Errorf("Sleep(%v): time.Since says %v, more than the hardware counter's %v around it", d, wall, hw)
		}
		t.Logf("Sleep(%v): %v (hardware counter), %v (time.Since)", d, hw, wall)
	}
}

func testTimers(t *T) {
	fired := make(chan time.Duration, 1)
	start := time.Now()
	time.AfterFunc(30*time.Millisecond, func() { fired <- time.Since(start) })
	select {
	case d := <-fired:
		if d < 30*time.Millisecond {
			t.Errorf("AfterFunc fired early, after %v", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("AfterFunc did not fire")
	}
	stopped := time.NewTimer(20 * time.Millisecond)
	if !stopped.Stop() {
		t.Errorf("Stop of a pending timer returned false")
	}
	select {
	case <-stopped.C:
		t.Errorf("stopped timer fired")
	case <-time.After(60 * time.Millisecond):
	}
	// A host that leaves the vCPU unscheduled makes the ticker drop ticks
	// (its channel holds one): too few ticks are counted again (see
	// lateTries); too many never come from the host.
	var n, want int
	var hw time.Duration
	var short []int
	for try := 0; try < lateTries; try++ {
		tk := time.NewTicker(10 * time.Millisecond)
		n = 0
		hw = hwElapsed(t, func() {
			deadline := time.After(300 * time.Millisecond)
			for done := false; !done; {
				select {
				case <-tk.C:
					n++
				case <-deadline:
					done = true
				}
			}
		})
		tk.Stop()
		want = int(hw / (10 * time.Millisecond))
		if n >= want/2 || n > want+1 {
			break
		}
		short = append(short, n)
	}
	if n < want/2 || n > want+1 {
		t.Errorf("ticker: %d ticks in %v, want about %d (before: %v ticks)", n, hw, want, short)
	} else if len(short) > 0 {
		t.Logf("ticker: %v ticks in 300ms before a count on time (the host stalled)", short)
	}
	t.Logf("ticker: %d ticks of 10ms in %v", n, hw)
}

func testPanic(t *T) {
	var order []int
	v := func() (r any) {
		defer func() { r = recover() }()
		defer func() { order = append(order, 2) }()
		defer func() { order = append(order, 1) }()
		panic("expected")
	}()
	if v != "expected" {
		t.Errorf("recovered %v", v)
	}
	if len(order) != 2 || order[0] != 1 || order[1] != 2 {
		t.Errorf("deferred order %v", order)
	}
	// A panic in a deferred call replaces the first.
	v = func() (r any) {
		defer func() { r = recover() }()
		defer func() { panic("second") }()
		panic("first")
	}()
	if v != "second" {
		t.Errorf("re-panic recovered %v", v)
	}
	// Integer division by zero is a runtime error too.
	err := func() (err error) {
		defer func() { err, _ = recover().(error) }()
		zero := 0
		_ = 1 / zero
		return nil
	}()
	if err == nil || !strings.Contains(err.Error(), "divide by zero") {
		t.Errorf("division by zero: %v", err)
	}
}

type node struct {
	next *node
	v    int
}

func testNilDeref(t *T) {
	for i, f := range []func(){
		func() {
			var p *int
			*p = 1
		},
		func() {
			var n *node
			_ = n.next.v
		},
		func() {
			var m map[string]*node
			_ = m["x"].v
		},
	} {
		err := func() (err error) {
			defer func() {
				r := recover()
				err, _ = r.(error)
				if r != nil && err == nil {
					err = fmt.Errorf("recovered a non-error %v", r)
				}
			}()
			f()
			return nil
		}()
		var re runtime.Error
		if err == nil || !errors.As(err, &re) || !strings.Contains(err.Error(), "invalid memory address or nil pointer dereference") {
			t.Errorf("case %d: recovered %v", i, err)
			continue
		}
		if i == 0 {
			t.Logf("recovered: %v", err)
		}
	}
}

func testGOMAXPROCS(t *T) {
	// More Ps than cores, so that runtime threads must share cores and
	// the timer must preempt them.
	procs := online() + 3
	if procs < 4 {
		procs = 4
	}
	if v, err := strconv.Atoi(os.Getenv("KTEST_PROCS")); err == nil {
		procs = v
	}
	old := runtime.GOMAXPROCS(procs)
	defer runtime.GOMAXPROCS(old)
	before, _ := kapi.Threads()
	var preempted0 uint64
	for _, th := range before {
		preempted0 += uint64(th.Preempted)
	}
	workers := 2 * procs
	var wg sync.WaitGroup
	var bad atomic.Int32
	deadline := time.Now().Add(2 * time.Second)
	var rounds atomic.Int64
	var waits atomic.Int32
	threshold := pacerThreshold()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			p := newPacer(threshold)
			defer func() { waits.Add(int32(p.Waits)) }()
			for time.Now().Before(deadline) {
				p.allocated(200 * (64 + 100*8)) // a round's slices, about
				m := map[int][]byte{}
				for i := 0; i < 200; i++ {
					b := make([]byte, 64+i*8)
					for j := range b {
						b[j] = byte(w + i + j)
					}
					m[i] = b
				}
				for i, b := range m {
					for j := range b {
						if b[j] != byte(w+i+j) {
							bad.Add(1)
						}
					}
				}
				rounds.Add(1)
			}
		}(w)
	}
	checks := 0
	for time.Now().Before(deadline) {
		if n := kapi.CheckVM(); n != 0 {
			t.Errorf("mapping state inconsistent: %d problems", n)
		}
		checks++
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	after, _ := kapi.Threads()
	var preempted uint64
	for _, th := range after {
		preempted += uint64(th.Preempted)
	}
	if bad.Load() != 0 {
		t.Errorf("%d corrupted bytes", bad.Load())
	}
	if len(after) < 3 {
		t.Errorf("only %d kernel threads for GOMAXPROCS=4", len(after))
	}
	// The runtime's threads block often (the collector stops them): with
	// long slices (slice=) none may run a whole one in the test's time,
	// and no preemption is then due. The policy test checks the kernel's
	// preemption with threads that do not block.
	sl := slice()
	if preempted == preempted0 && procs > online() && sl <= 100*time.Millisecond {
		t.Errorf("no thread was preempted by the timer")
	}
	t.Logf("%d workers, %d rounds, %d kernel threads, %d timer preemptions (slice %v); waited %d times for the collector", workers, rounds.Load(), len(after), preempted-preempted0, sl, waits.Load())
}

func errnoOf(_, _ uintptr, e syscall.Errno) syscall.Errno { return e }

func testSyscalls(t *T) {
	check := func(what string, got, want syscall.Errno) {
		if got != want {
			t.Errorf("%s: errno %d (%v), want %d (%v)", what, got, got, want, want)
		}
	}
	check("write from a bad pointer", errnoOf(syscall.Syscall(syscall.SYS_WRITE, 1, 0x10, 4)), syscall.EFAULT)
	check("write to a bad fd", errnoOf(syscall.Syscall(syscall.SYS_WRITE, 77, uintptr(unsafe.Pointer(&t.name)), 1)), syscall.EBADF)
	check("read into a kernel address", errnoOf(syscall.Syscall(syscall.SYS_READ, 0, 0xbfc00000, 4)), syscall.EFAULT)
	check("clock_gettime of a bad clock", errnoOf(syscall.Syscall(4403, 99, uintptr(unsafe.Pointer(&[4]uint32{})), 0)), syscall.EINVAL)
	check("clock_gettime to a bad pointer", errnoOf(syscall.Syscall(4403, 1, 0x20, 0)), syscall.EFAULT)
	check("an unserved call", errnoOf(syscall.Syscall(syscall.SYS_ACCT, 0, 0, 0)), syscall.ENOSYS)
	check("a number beyond every table", errnoOf(syscall.Syscall(5999, 0, 0, 0)), syscall.ENOSYS)
	check("nanosleep with nsec out of range", errnoOf(syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&[2]int32{0, 2e9})), 0, 0)), syscall.EINVAL)
	check("rt_sigaction of signal 0", errnoOf(syscall.Syscall6(syscall.SYS_RT_SIGACTION, 0, 0, 0, 16, 0, 0)), syscall.EINVAL)
	check("sigprocmask with a bad size", errnoOf(syscall.Syscall6(syscall.SYS_RT_SIGPROCMASK, 0, 0, 0, 3, 0, 0)), syscall.EINVAL)
	check("munmap misaligned", errnoOf(syscall.Syscall(syscall.SYS_MUNMAP, 0x40000001, 4096, 0)), syscall.EINVAL)
	check("fork-style clone", errnoOf(syscall.Syscall(syscall.SYS_CLONE, 0, 0, 0)), syscall.EINVAL)
	check("tgkill of a missing thread", errnoOf(syscall.Syscall(syscall.SYS_TGKILL, 1, 999999, 0)), syscall.ESRCH)

	var uts syscall.Utsname
	if err := syscall.Uname(&uts); err != nil {
		t.Errorf("uname: %v", err)
	}
	rel := ""
	for _, c := range uts.Release {
		if c == 0 {
			break
		}
		rel += string(rune(c))
	}
	if !strings.HasPrefix(rel, "6.") {
		t.Errorf("uname release %q", rel)
	}
	var a, b [32]byte
	if n, _, e := syscall.Syscall(4353, uintptr(unsafe.Pointer(&a[0])), 32, 0); e != 0 || n != 32 {
		t.Errorf("getrandom: %d %v", n, e)
	}
	syscall.Syscall(4353, uintptr(unsafe.Pointer(&b[0])), 32, 0)
	if a == b || a == [32]byte{} {
		t.Errorf("getrandom returned equal or zero blocks")
	}
	var set [4]uint32
	n, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, 16, uintptr(unsafe.Pointer(&set[0])))
	if e != 0 || n != 4 || set[0] == 0 {
		t.Errorf("sched_getaffinity: %d %v %#x", n, e, set[0])
	}
	if pid := syscall.Getpid(); pid != 1 {
		t.Errorf("getpid = %d", pid)
	}
	t.Logf("uname release %s, affinity %#x", rel, set[0])
}

func testMmap(t *T) {
	var m0 kapi.MemStats
	kapi.ReadMemStats(&m0)
	const size = 1 << 20
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	for i := range b {
		if b[i] != 0 {
			t.Fatalf("fresh mapping not zeroed at %d", i)
		}
		b[i] = 0xa5
	}
	addr := uintptr(unsafe.Pointer(&b[0]))
	// MAP_FIXED over our own mapping: a fresh, zeroed mapping.
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, 4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_FIXED, ^uintptr(0), 0)
	if e != 0 || r != addr || b[0] != 0 || b[4095] != 0 || b[4096] != 0xa5 {
		t.Errorf("MAP_FIXED: %#x %v, first page %#x, next page %#x", r, e, b[0], b[4096])
	}
	if err := syscall.Munmap(b); err != nil {
		t.Fatalf("munmap: %v", err)
	}
	// The pages came back: a hint at the same place is honoured.
	r, _, e = syscall.Syscall6(syscall.SYS_MMAP, addr, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE, ^uintptr(0), 0)
	if e != 0 || r != addr {
		t.Errorf("hint at the freed range: got %#x %v, want %#x", r, e, addr)
	}
	b2 := unsafe.Slice((*byte)(addrPtr(r)), size)
	if b2[12345] != 0 {
		t.Errorf("remapped memory not zeroed")
	}
	// Not syscall.Munmap: it only unmaps what syscall.Mmap made.
	if _, _, e := syscall.Syscall(syscall.SYS_MUNMAP, r, size, 0); e != 0 {
		t.Errorf("munmap: %v", e)
	}
	// PROT_NONE reservation, then mprotect: zeroed when it becomes usable.
	r, _, e = syscall.Syscall6(syscall.SYS_MMAP, 0, 8192, syscall.PROT_NONE, syscall.MAP_ANON|syscall.MAP_PRIVATE, ^uintptr(0), 0)
	if e != 0 {
		t.Fatalf("PROT_NONE mmap: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_MPROTECT, r, 8192, syscall.PROT_READ|syscall.PROT_WRITE); e != 0 {
		t.Errorf("mprotect: %v", e)
	}
	if v := *(*uint32)(addrPtr(r + 4)); v != 0 {
		t.Errorf("reserved page not zeroed: %#x", v)
	}
	syscall.Syscall(syscall.SYS_MUNMAP, r, 8192, 0)
	// More than there is: ENOMEM, not a crash.
	if _, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, 1<<31-4096, syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE, ^uintptr(0), 0); e != syscall.ENOMEM {
		t.Errorf("2 GiB mmap: %v, want ENOMEM", e)
	}
	// MAP_FIXED over kernel memory is refused.
	if _, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0x40000000, 4096, syscall.PROT_READ, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_FIXED, ^uintptr(0), 0); e != syscall.ENOMEM {
		t.Errorf("MAP_FIXED over the kernel's pages: %v, want ENOMEM", e)
	}
	// A file mapping: there are no files.
	if _, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, 4096, syscall.PROT_READ, syscall.MAP_PRIVATE, 1, 0); e != syscall.ENODEV {
		t.Errorf("file mmap: %v, want ENODEV", e)
	}
	var m1 kapi.MemStats
	kapi.ReadMemStats(&m1)
	// Frames given back wait a moment in limbo for every core's TLB
	// flush before they are free again.
	if m1.FreePages+m1.Limbo+16 < m0.FreePages+m0.Limbo {
		t.Errorf("free pages went from %d (+%d waiting for TLB flushes) to %d (+%d): munmap lost pages", m0.FreePages, m0.Limbo, m1.FreePages, m1.Limbo)
	}
	t.Logf("free pages %d -> %d (+%d waiting for TLB flushes)", m0.FreePages, m1.FreePages, m1.Limbo)
}

const (
	futexWaitPrivate = 128
	futexWakePrivate = 129
)

func futex(addr *uint32, op, val uint32, ts *[4]uint32) syscall.Errno {
	_, _, e := syscall.Syscall6(4422, uintptr(unsafe.Pointer(addr)), uintptr(op), uintptr(val), uintptr(unsafe.Pointer(ts)), 0, 0)
	return e
}

func testFutex(t *T) {
	var word uint32 = 5
	if e := futex(&word, futexWaitPrivate, 4, nil); e != syscall.EAGAIN {
		t.Errorf("wait on a changed value: %v, want EAGAIN", e)
	}
	ts := [4]uint32{0, 0, 30e6, 0} // 30 ms
	hw := hwElapsed(t, func() {
		if e := futex(&word, futexWaitPrivate, 5, &ts); e != syscall.ETIMEDOUT {
			t.Errorf("timed wait: %v, want ETIMEDOUT", e)
		}
	})
	if hw < 30*time.Millisecond {
		t.Errorf("timed wait returned after %v, before its 30ms timeout", hw)
	}
	// A waiter on its own thread, woken by another. A timed wait returns
	// EINTR when a signal handler runs (the runtime preempts with SIGURG),
	// as on Linux: wait again then, as the runtime's own futexsleep does.
	woke := make(chan syscall.Errno)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for {
			long := [4]uint32{5, 0, 0, 0}
			if e := futex(&word, futexWaitPrivate, 5, &long); e != syscall.EINTR {
				woke <- e
				return
			}
		}
	}()
	var got syscall.Errno = 255
	for i := 0; i < 200 && got == 255; i++ {
		time.Sleep(5 * time.Millisecond)
		_, _, _ = syscall.Syscall6(4422, uintptr(unsafe.Pointer(&word)), futexWakePrivate, 1, 0, 0, 0)
		select {
		case got = <-woke:
		default:
		}
	}
	if got != 0 {
		t.Errorf("woken waiter returned %v, want success", got)
	}
	if e := futex(&word, 77, 0, nil); e != syscall.ENOSYS {
		t.Errorf("unknown futex op: %v", e)
	}
	if e := futex((*uint32)(addrPtr(0x10)), futexWaitPrivate, 0, nil); e != syscall.EFAULT {
		t.Errorf("futex on a bad address: %v", e)
	}
	t.Logf("timed wait of 30ms lasted %v", hw)
}

func testEpoll(t *T) {
	efd, _, e := syscall.Syscall(4325, 0, 0x80 /* EFD_NONBLOCK */, 0)
	if e != 0 {
		t.Fatalf("eventfd2: %v", e)
	}
	defer syscall.Close(int(efd))
	ep, err := syscall.EpollCreate1(0)
	if err != nil {
		t.Fatalf("epoll_create1: %v", err)
	}
	defer syscall.Close(ep)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: 42}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(efd), &ev); err != nil {
		t.Fatalf("epoll_ctl: %v", err)
	}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, int(efd), &ev); err != syscall.EEXIST {
		t.Errorf("second add: %v, want EEXIST", err)
	}
	evs := make([]syscall.EpollEvent, 4)
	if n, err := syscall.EpollWait(ep, evs, 0); n != 0 || err != nil {
		t.Errorf("nothing ready: %d %v", n, err)
	}
	var buf [8]byte
	if _, err := syscall.Read(int(efd), buf[:]); err != syscall.EAGAIN {
		t.Errorf("read of an empty nonblocking eventfd: %v", err)
	}
	// A waiter blocked in epoll_wait is woken by a write from elsewhere.
	go func() {
		time.Sleep(20 * time.Millisecond)
		one := [8]byte{1}
		syscall.Write(int(efd), one[:])
	}()
	start := time.Now()
	n, err := syscall.EpollWait(ep, evs, 5000)
	if n != 1 || err != nil || evs[0].Events&syscall.EPOLLIN == 0 || evs[0].Fd != 42 {
		t.Errorf("epoll_wait: %d %v %+v", n, err, evs[0])
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("wake-up took %v", d)
	}
	if n, err := syscall.Read(int(efd), buf[:]); n != 8 || err != nil || buf[0] != 1 {
		t.Errorf("read: %d %v %v", n, err, buf)
	}
	// Timeout honoured.
	// Timeout honoured. A handler run (the runtime preempts with SIGURG)
	// ends the wait with EINTR, as on Linux: wait again for the rest.
	intr := 0
	hw := hwElapsed(t, func() {
		start := time.Now()
		for left := 40 * time.Millisecond; left > 0; left = 40*time.Millisecond - time.Since(start) {
			ms := int((left + time.Millisecond - 1) / time.Millisecond)
			n, err := syscall.EpollWait(ep, evs, ms)
			if err == syscall.EINTR {
				intr++
				continue
			}
			if n != 0 || err != nil {
				t.Errorf("epoll_wait with nothing ready: %d %v", n, err)
			}
			return
		}
	})
	if hw < 40*time.Millisecond {
		t.Errorf("epoll_wait(40ms) returned after %v", hw)
	}
	t.Logf("epoll_wait timeout of 40ms lasted %v (%d interrupted)", hw, intr)
}

func testClock(t *T) {
	now := time.Now()
	if now.Year() < 2024 || now.Year() > 2200 {
		t.Errorf("wall clock says %v: the RTC was not read", now)
	}
	// CLOCK_MONOTONIC read between two readings of the kernel's counter
	// must fall between them: one clock, never going back.
	var prev int64
	for i := 0; i < 200; i++ {
		c0, _ := kapi.ReadClock()
		var ts [2]uint32
		syscall.Syscall(4263, 1, uintptr(unsafe.Pointer(&ts)), 0)
		c1, _ := kapi.ReadClock()
		m := int64(ts[0])*1e9 + int64(ts[1])
		if m < c0.NS || m > c1.NS {
			t.Fatalf("CLOCK_MONOTONIC %d outside the kernel clock readings [%d, %d]", m, c0.NS, c1.NS)
		}
		if m < prev {
			t.Fatalf("CLOCK_MONOTONIC went back from %d to %d", prev, m)
		}
		prev = m
	}
	var ts syscall.Timespec
	syscall.Syscall(4263, 3, uintptr(unsafe.Pointer(&ts)), 0) // CLOCK_THREAD_CPUTIME_ID
	if ts.Sec == 0 && ts.Nsec == 0 {
		t.Errorf("thread CPU time is zero")
	}
	c, _ := kapi.ReadClock()
	t.Logf("wall %v; clock counter %d Hz; CP0 Count %d Hz; thread CPU time %v", now.UTC().Format(time.RFC3339), c.Hz, c.CountHz, time.Duration(ts.Nano()))
}

func testFault(t *T) {
	fmt.Println("ktest: making the kernel fault in trap context; expect its report and status 3")
	kapi.Fault(kapi.FaultTrapLoad)
	t.Errorf("the kernel survived a fault it should not")
}

func testFatal(t *T) {
	fmt.Println("ktest: panicking in a goroutine without recover; expect the runtime's report, the kernel's, and status 2")
	done := make(chan bool)
	go func() {
		var m map[string]int
		m["boom"] = 1 // assignment to a nil map: an unrecovered panic
		done <- true
	}()
	<-done
	t.Errorf("the kernel survived an unrecovered panic")
}

// addrPtr turns an address the kernel returned (mmap) into a pointer.
func addrPtr(a uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&a)) }
