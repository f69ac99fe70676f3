// Package thread holds the kernel's thread descriptors and the table that
// names them by thread id.
//
// A descriptor begins with the thread's register Frame, so the address the
// trap entry saves into (the core's current frame) is the descriptor's
// address. Descriptors come from a kernel object cache; they hold no Go
// pointers.
//
// Trap-safe.
package thread

import (
	"unsafe"

	"almos/arch/mips32"
	"almos/kernel/spin"
	"almos/mm"
	"almos/sched"
)

// MaxThreads bounds the number of live threads.
const MaxThreads = 1024

// AltStack is a thread's signal stack (sigaltstack).
type AltStack struct {
	SP    uint32
	Size  uint32
	Flags int32
}

// Thread is a kernel thread: today a thread of the Go runtime, later also a
// user thread.
type Thread struct {
	Frame mips32.Frame // must stay first
	Sched sched.Entity

	TID int32
	// Kind tells what the thread is.
	Kind Kind

	// Signals.
	SigMask    uint64 // blocked signals (bit n-1 for signal n)
	SigPending uint64
	Alt        AltStack
	// FaultDepth counts synchronous fault signals being handled, to catch
	// a fault in the fault handler.
	FaultDepth int32

	// Syscall bookkeeping.
	Syscalls    uint64
	LastSyscall uint32
	// SysArgs are a0-a3 of the last system call, to restart it.
	SysArgs [4]uint32
	// A parked system call either already holds its result in the frame
	// (and TimeoutRet/TimeoutErrno replace it if the wait times out), or
	// is restarted when the thread is woken (Restart: EPC was rewound to
	// the syscall instruction; the call runs again with RestartDeadline
	// instead of computing a new one).
	Restart         bool
	RestartDeadline int64
	TimeoutRet      uint32
	TimeoutErrno    uint32
	// ClearTID is the address cleared and woken at exit
	// (CLONE_CHILD_CLEARTID, set_tid_address).
	ClearTID uintptr
	// Affinity is the set of cores the thread may run on (0: any).
	Affinity uint32

	Created int64
	Name    [16]byte
}

// Kind distinguishes thread roles.
type Kind uint8

const (
	KindRuntime Kind = iota // a thread of the kernel's Go runtime
	KindIdle                // a core's idle thread
)

// Offset of the scheduler entity inside a Thread.
var entityOffset = unsafe.Offsetof(Thread{}.Sched)

// At converts a descriptor address to a pointer.
func At(a uintptr) *Thread {
	return (*Thread)(*(*unsafe.Pointer)(unsafe.Pointer(&a)))
}

// Addr is the address of t.
func (t *Thread) Addr() uintptr { return uintptr(unsafe.Pointer(t)) }

// Entity returns the address of t's scheduler entity.
func (t *Thread) Entity() uintptr { return t.Addr() + entityOffset }

// FromEntity returns the thread whose entity is at e.
func FromEntity(e uintptr) *Thread { return At(e - entityOffset) }

// SetName records a short name for listings.
func (t *Thread) SetName(s string) {
	n := copy(t.Name[:len(t.Name)-1], s)
	t.Name[n] = 0
}

// NameString returns the recorded name. The string shares the
// descriptor's memory (no allocation, so trap code may use it): it is valid
// while the thread lives.
func (t *Thread) NameString() string {
	n := 0
	for n < len(t.Name) && t.Name[n] != 0 {
		n++
	}
	if n == 0 {
		return ""
	}
	return unsafe.String(&t.Name[0], n)
}

var (
	lock  spin.Lock
	table [MaxThreads]uintptr
	// nextTID makes ids grow before they wrap, so a stale id rarely names
	// a new thread.
	nextTID int32 = 1
	live    int32
	// Total counts threads ever created.
	Total uint64
)

// Where descriptors come from, set once at boot: CacheOf gives the cache of
// the cluster of a core (a thread's descriptor lives in the bank of the
// cluster that creates it), CacheFor the cache a descriptor belongs to.
var (
	CacheOf  func(core uint32) *mm.Cache
	CacheFor func(addr uintptr) *mm.Cache
)

// New allocates a zeroed descriptor and gives it a thread id. core is the
// calling core (for lock diagnostics).
func New(core uint32) (*Thread, bool) {
	cache := CacheOf(core)
	a, ok := cache.Alloc()
	if !ok {
		return nil, false
	}
	t := At(a)
	lock.Acquire(core)
	for i := 0; i < MaxThreads; i++ {
		tid := nextTID
		nextTID++
		if nextTID <= 0 {
			nextTID = 1
		}
		slot := tid % MaxThreads
		if table[slot] == 0 {
			table[slot] = a
			t.TID = tid
			live++
			Total++
			lock.Release()
			return t, true
		}
	}
	lock.Release()
	cache.Free(a)
	return nil, false
}

// Free removes t from the table and returns its descriptor.
func Free(t *Thread, core uint32) {
	lock.Acquire(core)
	slot := t.TID % MaxThreads
	if table[slot] == t.Addr() {
		table[slot] = 0
		live--
	}
	lock.Release()
	t.TID = -1
	if c := CacheFor(t.Addr()); c != nil {
		c.Free(t.Addr())
	}
}

// Lookup finds a live thread by id.
func Lookup(tid int32, core uint32) (*Thread, bool) {
	if tid <= 0 {
		return nil, false
	}
	lock.Acquire(core)
	a := table[tid%MaxThreads]
	lock.Release()
	if a == 0 || At(a).TID != tid {
		return nil, false
	}
	return At(a), true
}

// Live returns the number of live threads.
func Live() int { return int(live) }

// Each calls f with each live thread, in table order, under the table lock:
// f must not create or free threads.
func Each(core uint32, f func(t *Thread)) {
	lock.Acquire(core)
	for _, a := range table {
		if a != 0 {
			f(At(a))
		}
	}
	lock.Release()
}
