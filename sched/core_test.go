package sched

import (
	"math/rand"
	"runtime"
	"sort"
	"sync"
	"testing"
)

// fixture is a core with n entities and an idle entity, all in Go memory the
// test keeps alive.
type fixture struct {
	c     Core
	ents  []Entity
	idle  Entity
	slots []timerSlot
}

func newFixture(n int, slice int64) *fixture {
	f := &fixture{ents: make([]Entity, n), slots: make([]timerSlot, n+1)}
	f.c.Init(0, Addr(&f.idle), uintptrOf(f.slots), len(f.slots), slice)
	for i := range f.ents {
		InitEntity(&f.ents[i], 0, RoundRobin)
	}
	return f
}

func uintptrOf(s []timerSlot) uintptr { return uintptrSlice(s) }

func (f *fixture) a(i int) uintptr { return Addr(&f.ents[i]) }

func (f *fixture) index(a uintptr) int {
	for i := range f.ents {
		if f.a(i) == a {
			return i
		}
	}
	if a == Addr(&f.idle) {
		return -1
	}
	return -2
}

func TestRoundRobinRotatesOnSliceEnd(t *testing.T) {
	f := newFixture(3, 10)
	for i := 0; i < 3; i++ {
		f.c.Enqueue(f.a(i))
	}
	var order []int
	now := int64(1)
	for step := 0; step < 6; step++ {
		order = append(order, f.index(f.c.Schedule(now)))
		// Within the slice the current thread keeps the core.
		if got := f.index(f.c.Schedule(now + 5)); got != order[len(order)-1] {
			t.Fatalf("thread %d lost the core mid-slice to %d", order[len(order)-1], got)
		}
		now += 10
	}
	want := []int{0, 1, 2, 0, 1, 2}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if f.c.Stats.Preemptions != 5 {
		t.Fatalf("preemptions = %d, want 5", f.c.Stats.Preemptions)
	}
	runtime.KeepAlive(f)
}

func TestAloneKeepsCoreAfterSlice(t *testing.T) {
	f := newFixture(1, 10)
	f.c.Enqueue(f.a(0))
	f.c.Schedule(1)
	if got := f.c.Schedule(1000); got != f.a(0) {
		t.Fatal("a lone thread was switched away")
	}
	if f.c.NextEvent() != 0 {
		t.Fatalf("NextEvent = %d with nothing due", f.c.NextEvent())
	}
	runtime.KeepAlive(f)
}

func TestFIFOBeatsRoundRobin(t *testing.T) {
	f := newFixture(3, 10)
	f.ents[2].Policy = FIFO
	f.c.Enqueue(f.a(0))
	f.c.Enqueue(f.a(1))
	if f.index(f.c.Schedule(1)) != 0 {
		t.Fatal("first RR thread should run")
	}
	f.c.Enqueue(f.a(2))
	if got := f.index(f.c.Schedule(2)); got != 2 {
		t.Fatalf("FIFO thread should preempt at once, got %d", got)
	}
	// FIFO keeps the core past any slice.
	if got := f.index(f.c.Schedule(1000)); got != 2 {
		t.Fatalf("FIFO thread lost the core to %d", got)
	}
	// When it blocks, the preempted RR thread resumes first (front of queue).
	f.c.Block(f.a(2), 0)
	if got := f.index(f.c.Schedule(1001)); got != 0 {
		t.Fatalf("after FIFO blocked got %d, want the preempted thread 0", got)
	}
	runtime.KeepAlive(f)
}

func TestYield(t *testing.T) {
	f := newFixture(2, 1000)
	f.c.Enqueue(f.a(0))
	f.c.Enqueue(f.a(1))
	f.c.Schedule(1)
	f.c.Yield()
	if got := f.index(f.c.Schedule(2)); got != 1 {
		t.Fatalf("yield went to %d, want 1", got)
	}
	// Yield with nobody else keeps the core.
	f.c.Block(f.a(0), 0)
	f.c.Schedule(3) // 0 is ready? no: 0 was enqueued by the yield; run it
	runtime.KeepAlive(f)
}

func TestIdleWhenNothingReady(t *testing.T) {
	f := newFixture(1, 10)
	if f.c.Schedule(1) != Addr(&f.idle) {
		t.Fatal("expected idle")
	}
	f.c.Enqueue(f.a(0))
	if f.c.Schedule(5) != f.a(0) {
		t.Fatal("expected the ready thread")
	}
	f.c.Block(f.a(0), 0)
	if f.c.Schedule(9) != Addr(&f.idle) {
		t.Fatal("expected idle after block")
	}
	if f.c.Stats.IdleNS != 4 {
		t.Fatalf("idle time %d, want 4", f.c.Stats.IdleNS)
	}
	runtime.KeepAlive(f)
}

func TestTimerHeapAgainstModel(t *testing.T) {
	const n = 200
	f := newFixture(n, 10)
	rng := rand.New(rand.NewSource(1))
	model := map[int]int64{}
	now := int64(0)
	for step := 0; step < 20000; step++ {
		i := rng.Intn(n)
		switch rng.Intn(4) {
		case 0, 1:
			d := now + 1 + rng.Int63n(1000)
			if !f.c.AddTimer(f.a(i), d) {
				t.Fatal("heap full")
			}
			model[i] = d
		case 2:
			f.c.CancelTimer(f.a(i))
			delete(model, i)
		case 3:
			now += rng.Int63n(50)
			var got []int
			for {
				a, ok := f.c.Expire(now)
				if !ok {
					break
				}
				got = append(got, f.index(a))
			}
			var want []int
			for k, d := range model {
				if d <= now {
					want = append(want, k)
					delete(model, k)
				}
			}
			sort.Ints(got)
			sort.Ints(want)
			if len(got) != len(want) {
				t.Fatalf("step %d: expired %v, want %v", step, got, want)
			}
			for j := range got {
				if got[j] != want[j] {
					t.Fatalf("step %d: expired %v, want %v", step, got, want)
				}
			}
		}
		if f.c.Timers() != len(model) {
			t.Fatalf("step %d: %d timers, model %d", step, f.c.Timers(), len(model))
		}
	}
	runtime.KeepAlive(f)
}

func TestExpireInDeadlineOrder(t *testing.T) {
	f := newFixture(5, 10)
	ds := []int64{50, 10, 40, 20, 30}
	for i, d := range ds {
		f.c.AddTimer(f.a(i), d)
	}
	var got []int64
	for {
		a, ok := f.c.Expire(100)
		if !ok {
			break
		}
		got = append(got, ds[f.index(a)])
	}
	for i := 1; i < len(got); i++ {
		if got[i] < got[i-1] {
			t.Fatalf("expiry order %v", got)
		}
	}
	runtime.KeepAlive(f)
}

func TestNextEvent(t *testing.T) {
	f := newFixture(3, 10)
	f.c.Enqueue(f.a(0))
	f.c.Schedule(100) // slice ends at 110
	if got := f.c.NextEvent(); got != 0 {
		t.Fatalf("alone: NextEvent %d, want 0", got)
	}
	f.c.Enqueue(f.a(1))
	if got := f.c.NextEvent(); got != 110 {
		t.Fatalf("with a waiter: NextEvent %d, want 110", got)
	}
	f.c.AddTimer(f.a(2), 105)
	if got := f.c.NextEvent(); got != 105 {
		t.Fatalf("with a timer: NextEvent %d, want 105", got)
	}
	runtime.KeepAlive(f)
}

// TestInboxConcurrent posts every entity exactly once from many goroutines
// while the owner drains: each must come out ready exactly once.
func TestInboxConcurrent(t *testing.T) {
	const n = 4000
	f := newFixture(n, 10)
	for i := range f.ents {
		f.ents[i].State = Blocked
		f.ents[i].BeginWait()
	}
	var wg sync.WaitGroup
	const posters = 8
	for p := 0; p < posters; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			// Each entity is claimed by racing posters: exactly one wins.
			for i := 0; i < n; i++ {
				if f.ents[i].TryClaimWake() {
					f.c.Post(f.a(i))
				}
			}
		}(p)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	drained := 0
	for {
		select {
		case <-done:
			f.c.Drain()
			drained = f.c.Ready()
			if drained != n {
				t.Fatalf("ready %d, want %d", drained, n)
			}
			if f.c.Stats.Posted != n {
				t.Fatalf("posted %d, want %d", f.c.Stats.Posted, n)
			}
			runtime.KeepAlive(f)
			return
		default:
			f.c.Drain()
		}
	}
}

func TestWakeCancelsTimer(t *testing.T) {
	f := newFixture(1, 10)
	f.c.Enqueue(f.a(0))
	f.c.Schedule(1)
	f.ents[0].BeginWait()
	f.c.Block(f.a(0), 100)
	f.c.Schedule(2)
	if !f.ents[0].TryClaimWake() {
		t.Fatal("claim failed")
	}
	if f.ents[0].TryClaimWake() {
		t.Fatal("claimed twice")
	}
	f.c.Wake(f.a(0))
	if f.c.Timers() != 0 {
		t.Fatal("timer left armed after wake")
	}
	if f.c.Schedule(3) != f.a(0) {
		t.Fatal("woken thread did not run")
	}
	runtime.KeepAlive(f)
}

func TestDequeue(t *testing.T) {
	f := newFixture(3, 10)
	for i := 0; i < 3; i++ {
		f.c.Enqueue(f.a(i))
	}
	if !f.c.Dequeue(f.a(1)) || f.c.Dequeue(f.a(1)) {
		t.Fatal("dequeue")
	}
	if f.index(f.c.Schedule(1)) != 0 || f.index(f.c.Schedule(100)) != 2 {
		t.Fatal("order after dequeue")
	}
	runtime.KeepAlive(f)
}

func TestSchedulerAllocatesNothing(t *testing.T) {
	f := newFixture(4, 10)
	now := int64(1)
	allocs := testing.AllocsPerRun(1000, func() {
		for i := 0; i < 4; i++ {
			f.c.Enqueue(f.a(i))
		}
		f.c.AddTimer(f.a(0), now+5)
		f.c.CancelTimer(f.a(0))
		f.c.Post(f.a(1))
		f.c.Drain()
		for i := 0; i < 5; i++ {
			now += 10
			f.c.Schedule(now)
		}
		for i := 0; i < 4; i++ {
			f.c.Dequeue(f.a(i))
		}
		f.c.Block(f.c.Current, 0)
		f.c.Schedule(now)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per run", allocs)
	}
	runtime.KeepAlive(f)
}

func TestMigratable(t *testing.T) {
	f := newFixture(4, 10)
	f.ents[3].Policy = FIFO // FIFO threads stay
	for i := 0; i < 4; i++ {
		f.c.Enqueue(f.a(i))
	}
	got := f.c.Migratable(func(a uintptr) bool { return a != f.a(2) })
	if got != f.a(1) {
		t.Fatalf("took %d, want 1 (from the back, skipping the refused one)", f.index(got))
	}
	if f.c.Ready() != 3 || f.ents[1].Migrations != 1 {
		t.Fatal("not removed")
	}
	if f.c.Migratable(func(uintptr) bool { return false }) != 0 {
		t.Fatal("took a refused thread")
	}
	runtime.KeepAlive(f)
}

// TestMovedAwayIsNotKept: the current thread moved to another core (its
// owner changed) while running here; even if that core already marked it
// running, this core must switch away from it.
func TestMovedAwayIsNotKept(t *testing.T) {
	f := newFixture(2, 10)
	f.c.Enqueue(f.a(0))
	f.c.Enqueue(f.a(1))
	f.c.Schedule(1)
	f.ents[0].Core = 5 // migrated; the other core set it Running
	if got := f.index(f.c.Schedule(2)); got != 1 {
		t.Fatalf("kept running a thread that moved away (got %d)", got)
	}
	if f.ents[0].queued != 0 {
		t.Fatal("the moved thread was queued here")
	}
	runtime.KeepAlive(f)
}

func TestFIFOThrottle(t *testing.T) {
	f := newFixture(2, 10)
	f.c.FIFOBudget, f.c.FIFOPeriod = 950, 1000
	f.ents[1].Policy = FIFO
	f.c.Enqueue(f.a(0))
	f.c.Enqueue(f.a(1))
	if got := f.index(f.c.Schedule(1)); got != 1 {
		t.Fatalf("FIFO thread should run first, got %d", got)
	}
	// It spins, yielding: with no other FIFO thread it keeps the core...
	f.c.Yield()
	if got := f.index(f.c.Schedule(500)); got != 1 {
		t.Fatalf("a yielding FIFO thread lost the core within its budget to %d", got)
	}
	// ...until its budget is used: the timer is due then.
	if e := f.c.NextEvent(); e != 951 {
		t.Fatalf("NextEvent = %d, want the end of the budget, 951", e)
	}
	if got := f.index(f.c.Schedule(951)); got != 0 || !f.c.Throttled() || f.c.Stats.Throttles != 1 {
		t.Fatalf("past the budget got %d (throttled %v), want the round-robin thread", got, f.c.Throttled())
	}
	// The round-robin thread keeps the core past its slice until the period
	// ends, then the FIFO thread takes it back.
	if got := f.index(f.c.Schedule(980)); got != 0 {
		t.Fatalf("throttled FIFO thread took the core back at 980, got %d", got)
	}
	if got := f.index(f.c.Schedule(1001)); got != 1 || f.c.Throttled() {
		t.Fatalf("a new period: got %d (throttled %v), want the FIFO thread", got, f.c.Throttled())
	}
	runtime.KeepAlive(f)
}

func TestFIFOThrottleWorkConserving(t *testing.T) {
	f := newFixture(1, 10)
	f.c.FIFOBudget, f.c.FIFOPeriod = 950, 1000
	f.ents[0].Policy = FIFO
	f.c.Enqueue(f.a(0))
	f.c.Schedule(1)
	// Alone on its core, a FIFO thread past its budget keeps running.
	if got := f.index(f.c.Schedule(990)); got != 0 || !f.c.Throttled() {
		t.Fatalf("got %d (throttled %v), want the FIFO thread to keep the idle core", got, f.c.Throttled())
	}
	runtime.KeepAlive(f)
}
