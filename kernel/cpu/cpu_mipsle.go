// Package cpu is the per-core manager: each core's state, the trap dispatcher
// the exception vectors call, the scheduling step at the end of every trap,
// the core's timer, blocking and waking threads (across cores through the
// owner's inbox and an IPI), and thread placement.
//
// Trap-safe: everything here runs in trap context or in early boot.
package cpu

import (
	"sync/atomic"
	"unsafe"

	"almos/arch/mips32"
	"almos/kernel/kmem"
	"almos/kernel/ktime"
	"almos/kernel/thread"
	"almos/kernel/wait"
	"almos/sched"
)

// Stats are a core's trap counters.
type Stats struct {
	Traps      uint64
	Syscalls   uint64
	Interrupts uint64
	TimerIRQs  uint64
	IPIs       uint64
	Faults     uint64
	// LateArms counts timer programmings that found Count already past
	// the target and had to retry.
	LateArms uint64
}

// CPU is one core's kernel state.
type CPU struct {
	ID uint32
	// block is the address of the core's EBase block. Addresses, not
	// pointers, are what trap code stores: a pointer store there would
	// need a write barrier, which trap context cannot run.
	block  uintptr
	Sched  sched.Core
	Idle   thread.Thread
	Online atomic.Bool
	// UpNS is the clock when the core entered its scheduler; BringUpNS how
	// long it took from being started.
	UpNS      int64
	BringUpNS int64

	count ktime.Extender // CP0 Count widened (the clock on machines without a GIC)
	Stats Stats

	// dead is the descriptor address of a thread that exited on this
	// core, freed once the core has switched away from it.
	dead uintptr
	// tickWish is the interval OnTick asked for at the last tick.
	tickWish int64
}

var (
	// CPUs holds every core's state, indexed by core number.
	CPUs [mips32.MaxCPU]CPU
	// Online is the number of cores that entered their scheduler.
	Online atomic.Int32
	// Possible is the number of cores the machine has.
	Possible int

	// CountHz is the frequency of CP0 Count, measured at boot.
	CountHz uint64
	countSc ktime.Scale

	// Slice is the round-robin time slice.
	Slice int64 = 10e6

	// Keepalive bounds the time between two timer interrupts, so the
	// widened Count never misses a wrap and polled devices get looked at.
	Keepalive int64 = 1e9
)

// Hooks the kernel sets at boot.
var (
	// OnSyscall serves a system call of t (EPC already points past it).
	OnSyscall func(c *CPU, t *thread.Thread)
	// OnFault handles any exception of t that is not a syscall or an
	// interrupt (TLB, address, bus, reserved instruction, break, trap).
	OnFault func(c *CPU, t *thread.Thread)
	// OnIRQ handles hardware interrupt lines other than the CP0 timer
	// (pending holds Cause.IP bits 2..6).
	OnIRQ func(c *CPU, pending uint32)
	// OnTimeout unlinks a thread whose wait timed out from its wait queue.
	OnTimeout func(c *CPU, t *thread.Thread)
	// OnResume runs before the core returns to t: signal delivery.
	OnResume func(c *CPU, t *thread.Thread)
	// OnTick runs at each timer interrupt (device polling). It returns how
	// soon it wants the next one (0: no wish).
	OnTick func(c *CPU, now int64) int64
	// SendIPI interrupts core id (nil on a machine without IPIs).
	SendIPI func(id uint32)
	// Place chooses the core of a new thread (nil: the creating core).
	Place func(c *CPU, t *thread.Thread) uint32
)

// Self returns the running core's state.
func Self() *CPU { return &CPUs[mips32.CPUNum()%mips32.MaxCPU] }

// Current returns the thread this core runs.
func (c *CPU) Current() *thread.Thread { return thread.At(c.Block().CurFrame) }

// Block is the core's EBase block.
func (c *CPU) Block() *mips32.Block { return (*mips32.Block)(kmem.Ptr(c.block)) }

// Init prepares core id's state: its block, scheduler and idle thread.
// timerMem holds sched.TimerBytes(timerCap) bytes.
func Init(id uint32, b *mips32.Block, timerMem uintptr, timerCap int, idleSP uintptr) *CPU {
	c := &CPUs[id]
	c.ID = id
	c.block = uintptr(unsafe.Pointer(b))
	t := &c.Idle
	t.Kind = thread.KindIdle
	t.TID = 0
	t.SetName("idle")
	t.Frame.EPC = uint32(mips32.IdleLoopAddr())
	t.Frame.R[mips32.RegSP] = uint32(idleSP)
	// Interrupts on in the idle loop; EXL is set so that the frame can be
	// entered with eret like any other.
	t.Frame.Status = mips32.StatusIMs | mips32.StatusIE | mips32.StatusEXL
	sched.InitEntity(&t.Sched, id, sched.RoundRobin)
	c.Sched.Init(id, t.Entity(), timerMem, timerCap, Slice)
	return c
}

// InitCountClock sets the CP0 Count frequency used to program timers.
func InitCountClock(hz uint64) {
	CountHz = hz
	countSc = ktime.Scale{Hz: hz}
}

// CountClock64 is a clock source for machines without a shared counter:
// core 0's Count widened to 64 bits. Valid only while a single core reads it.
func CountClock64() uint64 {
	return CPUs[0].count.Extend(mips32.Count())
}

// entity conversions
func threadOf(e uintptr) *thread.Thread { return thread.FromEntity(e) }

// Trap is the Go handler of every exception of a thread on this core.
func Trap(b *mips32.Block) {
	c := &CPUs[b.ID]
	c.Stats.Traps++
	t := c.Current()
	cause := t.Frame.Cause
	switch mips32.ExcCode(cause) {
	case mips32.ExcInt:
		c.Stats.Interrupts++
		c.interrupt(cause & t.Frame.Status)
	case mips32.ExcSys:
		c.Stats.Syscalls++
		t.Frame.EPC += 4
		OnSyscall(c, t)
	default:
		c.Stats.Faults++
		OnFault(c, t)
	}
	c.Reschedule()
}

func (c *CPU) interrupt(pending uint32) {
	ip := pending >> mips32.CauseIPShift & 0xff
	if ip&0x80 != 0 {
		c.Stats.TimerIRQs++
		// Writing Compare (done by arm) acknowledges the interrupt.
		if OnTick != nil {
			c.tickWish = OnTick(c, ktime.Now())
		}
	}
	if ip&0x7c != 0 && OnIRQ != nil {
		OnIRQ(c, ip&0x7c)
	}
}

// Reschedule is the end of every trap: take posted wake-ups, expire
// timeouts, pick the thread to run, program the timer and let the kernel
// deliver signals to the chosen thread.
func (c *CPU) Reschedule() {
	now := ktime.Now()
	if c.Sched.Pending() {
		c.Sched.Drain()
	}
	for {
		e, ok := c.Sched.Expire(now)
		if !ok {
			break
		}
		t := threadOf(e)
		if t.Sched.TryClaimWake() {
			t.Sched.TimedOut = true
			if OnTimeout != nil {
				OnTimeout(c, t)
			}
			c.Sched.Wake(e)
		}
	}
	for {
		next := threadOf(c.Sched.Schedule(now))
		c.Block().CurFrame = next.Addr()
		if c.dead != 0 && c.dead != next.Addr() {
			thread.Free(thread.At(c.dead), c.ID)
			c.dead = 0
		}
		if OnResume != nil && next != &c.Idle {
			OnResume(c, next)
			// Delivering a signal may have killed or blocked it.
			if next.Sched.State != sched.Running {
				continue
			}
		}
		break
	}
	c.arm(now)
}

func (c *CPU) arm(now int64) {
	next := c.Sched.NextEvent()
	limit := now + Keepalive
	if c.tickWish > 0 && now+c.tickWish < limit {
		limit = now + c.tickWish
	}
	if next == 0 || next > limit {
		next = limit
	}
	delta := next - now
	const minDelta = 20e3 // 20 µs: no point in a timer that fires during eret
	if delta < minDelta {
		delta = minDelta
	}
	ticks := countSc.Ticks(delta)
	if ticks > 1<<30 {
		ticks = 1 << 30
	}
	// Compare must be ahead of Count when written, or the interrupt comes
	// only after Count wraps (25 s at 167 MHz). Under an emulator the core
	// can be descheduled between reading Count and writing Compare, so
	// check, and push the target out until it holds.
	for {
		target := mips32.Count() + uint32(ticks)
		mips32.SetCompare(target)
		if int32(target-mips32.Count()) > 0 {
			return
		}
		c.Stats.LateArms++
		ticks *= 2
	}
}

// Park parks the current thread t until Wake or, if deadline > 0, until the
// clock passes deadline. The caller then links t on a wait queue under the
// queue's lock (or undoes the park with Unpark if the condition it waits
// for already holds).
func (c *CPU) Park(t *thread.Thread, deadline int64) bool {
	t.Sched.BeginWait()
	return c.Sched.Block(t.Entity(), deadline)
}

// Unpark undoes Park for the current thread when it no longer needs to
// wait. It returns false if a waker already claimed it (then it is being
// woken and will run anyway).
func (c *CPU) Unpark(t *thread.Thread) bool {
	if !t.Sched.TryClaimWake() {
		return false
	}
	c.Sched.CancelTimer(t.Entity())
	t.Sched.State = sched.Running
	return true
}

// Wake makes t ready after its waker won t's wait token, on whichever core
// owns it.
func Wake(t *thread.Thread) {
	WakeEntity(t.Entity())
}

// WakeEntity is Wake by entity address, the form wait queues use.
func WakeEntity(e uintptr) {
	self := Self()
	owner := sched.At(e).Core
	if owner == self.ID {
		self.Sched.Wake(e)
		return
	}
	if CPUs[owner].Sched.Post(e) && SendIPI != nil {
		SendIPI(owner)
	}
}

// Start makes a new thread ready on its owner core.
func Start(t *thread.Thread) {
	self := Self()
	owner := t.Sched.Core
	t.Sched.State = sched.Ready
	if owner == self.ID {
		self.Sched.Enqueue(t.Entity())
		return
	}
	if CPUs[owner].Sched.Post(t.Entity()) && SendIPI != nil {
		SendIPI(owner)
	}
}

// Exit ends the current thread t: the core switches away at the end of this
// trap and frees the descriptor then.
func (c *CPU) Exit(t *thread.Thread) {
	t.Sched.State = sched.Dead
	c.Sched.CancelTimer(t.Entity())
	c.dead = t.Addr()
}

// TimedOut tells whether t's last wait ended by timeout.
func TimedOut(t *thread.Thread) bool { return t.Sched.TimedOut }

// Unlink is the usual OnTimeout: remove t from the wait queue it is on.
func Unlink(c *CPU, t *thread.Thread) {
	if t.Sched.WaitQ == 0 {
		return
	}
	q := wait.At(t.Sched.WaitQ)
	q.Lock(c.ID)
	q.Remove(t.Entity())
	q.Unlock()
}

// InKernelImage reports whether pc is in the kernel image (for diagnostics).
func InKernelImage(pc uintptr) bool { return kmem.Image.Contains(pc, 4) }
