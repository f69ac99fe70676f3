package wait

import (
	"runtime"
	"sync"
	"testing"

	"almos/sched"
)

func TestWakeOrderAndKeys(t *testing.T) {
	var q Queue
	ents := entities(6)
	for i := range ents {
		q.Add(sched.Addr(&ents[i]), uintptr(100+i%2))
		if !ents[i].Waiting() {
			t.Fatal("Add did not arm the token")
		}
	}
	var woken []uintptr
	wake := func(a uintptr) { woken = append(woken, a) }
	if n := q.Wake(2, 101, wake); n != 2 {
		t.Fatalf("woke %d", n)
	}
	if woken[0] != sched.Addr(&ents[1]) || woken[1] != sched.Addr(&ents[3]) {
		t.Fatal("wrong waiters woken")
	}
	if q.Len() != 4 {
		t.Fatalf("len %d", q.Len())
	}
	// A timed-out waiter (token already taken) is skipped by wakers.
	ents[0].TryClaimWake()
	if n := q.Wake(10, 0, wake); n != 3 {
		t.Fatalf("woke %d, want 3 (one had timed out)", n)
	}
	if !q.Remove(sched.Addr(&ents[0])) || q.Len() != 0 {
		t.Fatal("timeout path could not unlink")
	}
	runtime.KeepAlive(ents)
}

func TestRequeue(t *testing.T) {
	var a, b Queue
	ents := entities(4)
	for i := range ents {
		a.Add(sched.Addr(&ents[i]), 7)
	}
	if n := a.Requeue(&b, 3, 7, 9); n != 3 || a.Len() != 1 || b.Len() != 3 {
		t.Fatalf("requeue moved %d", n)
	}
	if ents[0].WaitKey != 9 || At(ents[0].WaitQ) != &b {
		t.Fatal("requeued waiter not on destination")
	}
	runtime.KeepAlive(ents)
}

// TestExactlyOnce races wakers against timeouts: every waiter is released
// exactly once.
func TestExactlyOnce(t *testing.T) {
	const n = 2000
	var q Queue
	ents := entities(n)
	for i := range ents {
		q.Add(sched.Addr(&ents[i]), 1)
	}
	var mu sync.Mutex
	released := map[uintptr]int{}
	rel := func(a uintptr) { mu.Lock(); released[a]++; mu.Unlock() }
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/8; i++ {
				q.Lock(0)
				q.Wake(2, 1, rel)
				q.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() { // the timeout path
		defer wg.Done()
		for i := n - 1; i >= 0; i-- {
			a := sched.Addr(&ents[i])
			if ents[i].TryClaimWake() {
				q.Lock(1)
				q.Remove(a)
				q.Unlock()
				rel(a)
			}
		}
	}()
	wg.Wait()
	if len(released) != n {
		t.Fatalf("%d released, want %d", len(released), n)
	}
	for _, c := range released {
		if c != 1 {
			t.Fatal("a waiter was released twice")
		}
	}
	if q.Len() != 0 {
		t.Fatalf("%d left on the queue", q.Len())
	}
	runtime.KeepAlive(ents)
}

// keep holds test entities on the heap. Queues name entities by address, so
// they must not live on a goroutine stack, which moves when it grows.
var keep [][]sched.Entity

func entities(n int) []sched.Entity {
	e := make([]sched.Entity, n)
	keep = append(keep, e)
	return e
}
