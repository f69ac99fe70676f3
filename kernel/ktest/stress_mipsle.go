package ktest

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	Register("preempt", "threads preempted mid-computation keep every register and their memory intact", testPreempt)
}

// chain is a register-heavy computation whose result is known in advance:
// a thread switch that lost or mixed registers would change it.
//
//go:noinline
func chain(seed uint32, n int) uint32 {
	a, b, c, d, e, f := seed, seed^0x9e3779b9, seed*3, seed+7, seed>>3, ^seed
	for i := 0; i < n; i++ {
		a += b * c
		b ^= a >> 3
		c = c*0x01000193 + d
		d += e ^ f
		e = e<<1 | e>>31
		f -= a ^ uint32(i)
		q := uint64(a) * uint64(b) // HI/LO
		a ^= uint32(q >> 32)
		if b != 0 {
			d += c / (b | 1) // divide: HI/LO again
		}
	}
	return a ^ b ^ c ^ d ^ e ^ f
}

func testPreempt(t *T) {
	old := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(old)
	const workers = 6
	const n = 20000
	want := make([]uint32, workers)
	for w := range want {
		want[w] = chain(uint32(w), n)
	}
	var bad atomic.Int32
	var rounds atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(1500 * time.Millisecond)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			buf := make([]uint32, 4096)
			for time.Now().Before(stop) {
				for i := range buf {
					buf[i] = uint32(w)<<24 | uint32(i)
				}
				if chain(uint32(w), n) != want[w] {
					bad.Add(1)
				}
				for i := range buf {
					if buf[i] != uint32(w)<<24|uint32(i) {
						bad.Add(1)
						break
					}
				}
				rounds.Add(1)
			}
		}(w)
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d corrupted results", bad.Load())
	}
	t.Logf("%d rounds on %d locked threads", rounds.Load(), workers)
}

func init() {
	Register("atomics", "atomic adds and a mutex stay exact across threads preempted in LL/SC sequences", testAtomics)
}

func testAtomics(t *T) {
	old := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(old)
	const workers = 6
	const n = 3000000
	var counter atomic.Uint32
	var mu sync.Mutex
	plain := 0
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for i := 0; i < n; i++ {
				counter.Add(1)
				if i%16 == 0 {
					mu.Lock()
					plain++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if got := counter.Load(); got != workers*n {
		t.Errorf("atomic counter %d, want %d", got, workers*n)
	}
	if want := workers * ((n + 15) / 16); plain != want {
		t.Errorf("mutex counter %d, want %d", plain, want)
	}
	t.Logf("%d atomic adds, %d mutex sections on %d threads", workers*n, plain, workers)
}
