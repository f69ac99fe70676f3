package sched

import (
	"sync/atomic"
	"unsafe"
)

// list is an intrusive doubly linked list of entities. Only the owner core
// links and unlinks, but other cores read the length (Core.Ready, to choose
// a core to pull work from, and diagnostics): n is atomic so that such a
// read is a snapshot rather than a data race.
type list struct {
	head, tail uintptr
	n          atomic.Int32
}

func (l *list) pushBack(a uintptr) {
	e := at(a)
	e.next, e.prev = 0, l.tail
	if l.tail != 0 {
		at(l.tail).next = a
	} else {
		l.head = a
	}
	l.tail = a
	l.n.Add(1)
	e.queued = 1
}

func (l *list) pushFront(a uintptr) {
	e := at(a)
	e.prev, e.next = 0, l.head
	if l.head != 0 {
		at(l.head).prev = a
	} else {
		l.tail = a
	}
	l.head = a
	l.n.Add(1)
	e.queued = 1
}

func (l *list) remove(a uintptr) {
	e := at(a)
	if e.prev != 0 {
		at(e.prev).next = e.next
	} else {
		l.head = e.next
	}
	if e.next != 0 {
		at(e.next).prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.next, e.prev = 0, 0
	e.queued = 0
	l.n.Add(-1)
}

func (l *list) popFront() uintptr {
	a := l.head
	if a != 0 {
		l.remove(a)
	}
	return a
}

// timerSlot is one entry of a core's timer heap.
type timerSlot struct {
	deadline int64
	entity   uintptr
	_        uint32
}

// TimerBytes is the memory a Core needs for a timer heap of capacity n.
func TimerBytes(n int) uintptr { return uintptr(n) * unsafe.Sizeof(timerSlot{}) }

// Stats are a core's scheduling counters.
type Stats struct {
	Switches      uint64 // thread changes
	Preemptions   uint64 // switches forced by the end of a time slice
	Wakeups       uint64 // threads made ready by this core
	Posted        uint64 // wake-ups received through the inbox
	TimerExpiries uint64
	IdleNS        int64  // time the idle thread ran
	Throttles     uint64 // periods in which FIFO threads used up their budget
}

// Core is one core's scheduler.
type Core struct {
	ID uint32

	queues [numPolicies]list

	heap    uintptr // [heapCap]timerSlot
	heapCap int32
	heapLen int32

	// inbox is a lock-free stack of entities other cores made ready.
	inbox atomic.Uintptr

	// Current is the running entity (Idle when nothing else runs).
	Current uintptr
	// Idle is the core's idle entity, run when no thread is ready; it is in
	// no queue.
	Idle uintptr

	// Slice is the round-robin time slice in nanoseconds.
	Slice    int64
	sliceEnd int64
	yield    bool

	// FIFO threads may use at most FIFOBudget of every FIFOPeriod of the
	// core (Linux's real-time throttling, 950 ms of each second by
	// default). Past it, until the period ends, round-robin threads go
	// first: a FIFO thread that spins waiting for one on its core (the Go
	// runtime yields in such loops, and a yield from a FIFO thread goes only
	// to other FIFO threads) stalls for the rest of the period instead of
	// for ever. A zero budget is no limit.
	FIFOBudget, FIFOPeriod int64
	periodEnd              int64
	fifoUsed               int64
	fifoFrom               int64 // when the FIFO time was last counted
	throttled              bool

	Stats Stats
}

// Init prepares c. idle is the idle entity; timerMem holds TimerBytes(cap)
// bytes for the timer heap.
func (c *Core) Init(id uint32, idle uintptr, timerMem uintptr, cap int, slice int64) {
	*c = Core{ID: id, Idle: idle, heap: timerMem, heapCap: int32(cap), Slice: slice,
		FIFOBudget: DefaultFIFOBudget, FIFOPeriod: DefaultFIFOPeriod}
	c.Current = idle
	e := at(idle)
	e.Core = id
	e.State = Running
	e.timerIdx = -1
}

// The defaults of FIFO throttling, as Linux's sched_rt_runtime_us and
// sched_rt_period_us.
const (
	DefaultFIFOBudget = 950e6
	DefaultFIFOPeriod = 1e9
)

// Throttled reports whether FIFO threads used up their budget of the
// current period.
func (c *Core) Throttled() bool { return c.throttled }

// countFIFO adds the time the running FIFO thread had the core since the
// last count, starting a new period when the last one is over.
func (c *Core) countFIFO(now int64) {
	if c.FIFOBudget <= 0 {
		return
	}
	if now >= c.periodEnd {
		c.periodEnd = now + c.FIFOPeriod
		c.fifoUsed = 0
		c.throttled = false
	}
	if c.Current != c.Idle && at(c.Current).Policy == FIFO && c.fifoFrom != 0 && now > c.fifoFrom {
		c.fifoUsed += now - c.fifoFrom
	}
	c.fifoFrom = now
	if !c.throttled && c.fifoUsed >= c.FIFOBudget {
		c.throttled = true
		c.Stats.Throttles++
	}
}

// Run makes entity a the running one without a scheduling decision: how a
// core adopts the thread it boots into.
func (c *Core) Run(a uintptr, now int64) {
	e := at(a)
	e.Core = c.ID
	c.switchTo(a, now)
}

// Ready reports how many threads wait in the run queues. Any core may call
// it: from another core it is a snapshot of each queue's length, stale as
// soon as it is read, good for choosing which core to ask for work (the
// owner checks again when it answers) but not for a decision that needs the
// exact count.
func (c *Core) Ready() int {
	n := 0
	for i := range c.queues {
		n += int(c.queues[i].n.Load())
	}
	return n
}

// ReadyOf reports how many threads of policy p wait in the run queues (a
// snapshot, as Ready).
func (c *Core) ReadyOf(p Policy) int { return int(c.queues[p].n.Load()) }

// Enqueue makes a thread owned by c ready.
func (c *Core) Enqueue(a uintptr) {
	e := at(a)
	e.State = Ready
	e.Core = c.ID
	c.queues[e.Policy].pushBack(a)
}

// Migratable removes and returns a ready round-robin thread that ok accepts,
// searching from the back of the queue (the thread that would wait longest
// here), or 0 if there is none. The caller hands it to another core.
func (c *Core) Migratable(ok func(a uintptr) bool) uintptr {
	l := &c.queues[RoundRobin]
	for a := l.tail; a != 0; a = at(a).prev {
		if ok(a) {
			l.remove(a)
			at(a).Migrations++
			return a
		}
	}
	return 0
}

// Dequeue takes a ready thread out of the run queues (to migrate it).
func (c *Core) Dequeue(a uintptr) bool {
	e := at(a)
	if e.queued == 0 || e.Core != c.ID {
		return false
	}
	c.queues[e.Policy].remove(a)
	return true
}

// Wake makes a blocked thread owned by c ready, after its waker won the wait
// token. Any pending timeout is cancelled.
func (c *Core) Wake(a uintptr) {
	e := at(a)
	c.CancelTimer(a)
	if e.State == Blocked {
		c.Stats.Wakeups++
		c.Enqueue(a)
	}
}

// Block marks the current thread blocked. A deadline > 0 arms a timeout at
// that time (the caller handles its expiry, see Expire). It returns false if
// the timer heap is full.
func (c *Core) Block(a uintptr, deadline int64) bool {
	e := at(a)
	e.State = Blocked
	if deadline > 0 {
		return c.AddTimer(a, deadline)
	}
	return true
}

// Post hands a woken thread to its owner core from any core. It returns true
// if the inbox was empty, i.e. the owner needs an interrupt to notice.
func (c *Core) Post(a uintptr) bool {
	e := at(a)
	for {
		old := c.inbox.Load()
		e.inboxNext = old
		if c.inbox.CompareAndSwap(old, a) {
			return old == 0
		}
	}
}

// Drain makes ready every thread posted to c's inbox, in the order posted.
func (c *Core) Drain() {
	a := c.inbox.Swap(0)
	// The stack holds the newest first: reverse it to keep posting order.
	var rev uintptr
	for a != 0 {
		e := at(a)
		next := e.inboxNext
		e.inboxNext = rev
		rev = a
		a = next
	}
	for rev != 0 {
		e := at(rev)
		next := e.inboxNext
		e.inboxNext = 0
		c.Stats.Posted++
		if e.State == Blocked || e.State == Ready && e.queued == 0 {
			e.State = Blocked
			c.Wake(rev)
		}
		rev = next
	}
}

// Pending reports whether the inbox holds posts.
func (c *Core) Pending() bool { return c.inbox.Load() != 0 }

// Yield asks the next Schedule to put the current thread behind the others
// of its policy.
func (c *Core) Yield() { c.yield = true }

// Schedule chooses the thread to run from now on and returns it (c.Current).
// The current thread keeps the core unless it stopped running, a FIFO thread
// is ready while it is round-robin, its slice is over with others waiting, or
// it yielded to a thread of its policy. While the core is throttled
// (countFIFO) round-robin threads come before FIFO ones.
func (c *Core) Schedule(now int64) uintptr {
	c.countFIFO(now)
	cur := c.Current
	yield := c.yield
	c.yield = false
	// A thread that moved to another core while it ran here (its Core
	// changed) is not this core's to keep, whatever its state says: the
	// other core may already run it.
	if cur != c.Idle && at(cur).State == Running && at(cur).Core == c.ID {
		ce := at(cur)
		fifoWaiting := c.queues[FIFO].n.Load() > 0 && !c.throttled
		rrWaiting := c.queues[RoundRobin].n.Load() > 0
		sliceOver := now >= c.sliceEnd
		keep, front := true, false
		switch {
		case ce.Policy == FIFO && c.throttled:
			// Out of budget: round-robin threads first.
			keep = !rrWaiting
		case ce.Policy == FIFO:
			// A FIFO thread gives the core away only by blocking, or by
			// yielding to another FIFO thread.
			keep = !(yield && fifoWaiting)
		case fifoWaiting:
			// Preempted by the higher policy: it keeps its place at the
			// front of its queue unless its slice was over anyway.
			keep = false
			front = !sliceOver && !yield
		case yield:
			keep = !rrWaiting
		case rrWaiting && sliceOver:
			keep = false
			c.Stats.Preemptions++
			ce.Preempted++
		}
		if keep {
			return cur
		}
		if front {
			ce.State = Ready
			c.queues[ce.Policy].pushFront(cur)
		} else {
			c.Enqueue(cur)
		}
	}
	first, second := FIFO, RoundRobin
	if c.throttled {
		first, second = RoundRobin, FIFO
	}
	next := c.queues[first].popFront()
	if next == 0 {
		next = c.queues[second].popFront()
	}
	if next == 0 {
		next = c.Idle
	}
	c.switchTo(next, now)
	return next
}

func (c *Core) switchTo(next uintptr, now int64) {
	cur := c.Current
	if cur != next {
		ce := at(cur)
		if ce.Core == c.ID && ce.LastStart != 0 && now > ce.LastStart {
			ce.RunNS += now - ce.LastStart
			if cur == c.Idle {
				c.Stats.IdleNS += now - ce.LastStart
			}
		}
		c.Stats.Switches++
		ne := at(next)
		ne.Switches++
		ne.LastStart = now
		c.sliceEnd = now + c.Slice
	} else if next == c.Idle {
		// Keep idle time accounted as it passes.
		ce := at(cur)
		if ce.LastStart == 0 {
			ce.LastStart = now
		} else if now > ce.LastStart {
			ce.RunNS += now - ce.LastStart
			c.Stats.IdleNS += now - ce.LastStart
			ce.LastStart = now
		}
	}
	ne := at(next)
	ne.State = Running
	ne.Core = c.ID
	c.Current = next
}

// NextEvent returns the earliest time at which the core must look at its
// queues again: its first timeout, or the end of the current slice when
// another thread waits for the core. 0 means nothing is due.
func (c *Core) NextEvent() int64 {
	var t int64
	if c.heapLen > 0 {
		t = c.slot(0).deadline
	}
	cur := at(c.Current)
	if c.Current != c.Idle && cur.Policy == RoundRobin && c.Ready() > 0 {
		if t == 0 || c.sliceEnd < t {
			t = c.sliceEnd
		}
	}
	// A FIFO thread with round-robin threads waiting: when its budget runs
	// out. Throttled FIFO threads waiting: when the period ends.
	if c.FIFOBudget > 0 && c.Current != c.Idle {
		var e int64
		switch {
		case cur.Policy == FIFO && !c.throttled && c.queues[RoundRobin].n.Load() > 0:
			e = c.fifoFrom + c.FIFOBudget - c.fifoUsed
		case c.throttled && c.queues[FIFO].n.Load() > 0:
			e = c.periodEnd
		}
		if e != 0 && (t == 0 || e < t) {
			t = e
		}
	}
	return t
}

// timer heap (a binary min-heap on deadline; entity.timerIdx tracks slots)

func (c *Core) slot(i int32) *timerSlot {
	a := c.heap + uintptr(i)*unsafe.Sizeof(timerSlot{})
	return (*timerSlot)(*(*unsafe.Pointer)(unsafe.Pointer(&a)))
}

func (c *Core) swap(i, j int32) {
	si, sj := c.slot(i), c.slot(j)
	*si, *sj = *sj, *si
	at(si.entity).timerIdx = i
	at(sj.entity).timerIdx = j
}

func (c *Core) up(i int32) {
	for i > 0 {
		p := (i - 1) / 2
		if c.slot(p).deadline <= c.slot(i).deadline {
			break
		}
		c.swap(i, p)
		i = p
	}
}

func (c *Core) down(i int32) {
	for {
		l := 2*i + 1
		if l >= c.heapLen {
			return
		}
		m := l
		if r := l + 1; r < c.heapLen && c.slot(r).deadline < c.slot(l).deadline {
			m = r
		}
		if c.slot(i).deadline <= c.slot(m).deadline {
			return
		}
		c.swap(i, m)
		i = m
	}
}

// AddTimer arms (or re-arms) the timeout of entity a at deadline.
func (c *Core) AddTimer(a uintptr, deadline int64) bool {
	e := at(a)
	if e.timerIdx >= 0 {
		c.CancelTimer(a)
	}
	if c.heapLen >= c.heapCap {
		return false
	}
	i := c.heapLen
	c.heapLen++
	*c.slot(i) = timerSlot{deadline: deadline, entity: a}
	e.timerIdx = i
	e.deadline = deadline
	c.up(i)
	return true
}

// CancelTimer disarms the timeout of a, if any.
func (c *Core) CancelTimer(a uintptr) {
	e := at(a)
	i := e.timerIdx
	if i < 0 || i >= c.heapLen || c.slot(i).entity != a {
		e.timerIdx = -1
		return
	}
	last := c.heapLen - 1
	if i != last {
		c.swap(i, last)
	}
	c.heapLen--
	e.timerIdx = -1
	if i != last {
		c.down(i)
		c.up(i)
	}
}

// Expire removes and returns one entity whose timeout is due at now.
func (c *Core) Expire(now int64) (uintptr, bool) {
	if c.heapLen == 0 || c.slot(0).deadline > now {
		return 0, false
	}
	a := c.slot(0).entity
	c.CancelTimer(a)
	c.Stats.TimerExpiries++
	return a, true
}

// Timers reports how many timeouts are armed.
func (c *Core) Timers() int { return int(c.heapLen) }

// Deadline returns the armed timeout of a (0 if none).
func (c *Core) Deadline(a uintptr) int64 {
	e := at(a)
	if e.timerIdx < 0 {
		return 0
	}
	return e.deadline
}
