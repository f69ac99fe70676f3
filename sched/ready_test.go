package sched

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReadyFromAnotherCore reads a core's queue lengths while its owner keeps
// rotating threads through them, as an idle core choosing whom to pull work
// from does. Under -race a plain read of the lengths is reported; every
// snapshot must also stay within what the queues can hold.
func TestReadyFromAnotherCore(t *testing.T) {
	const n = 4
	f := newFixture(n, 10)
	for i := 0; i < n; i++ {
		f.c.Enqueue(f.a(i))
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	bad := make(chan int, 1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			// One thread runs, the others wait: between n-1 and n
			// counted, n-1 being the steady state.
			if r := f.c.Ready(); r < 0 || r > n {
				select {
				case bad <- r:
				default:
				}
				return
			}
			_ = f.c.ReadyOf(RoundRobin)
		}
	}()
	now := int64(1)
	for step := 0; step < 20000; step++ {
		f.c.Schedule(now)
		now += 10 // every step ends the slice: the current thread goes back to the queue
	}
	stop.Store(true)
	wg.Wait()
	select {
	case r := <-bad:
		t.Fatalf("Ready read %d from another goroutine, want 0..%d", r, n)
	default:
	}
	if got := f.c.Ready(); got != n-1 {
		t.Fatalf("Ready = %d after rotating, want %d", got, n-1)
	}
	runtime.KeepAlive(f)
}
