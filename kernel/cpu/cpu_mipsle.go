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
	// Migrations counts ready threads handed to idle cores.
	Migrations uint64
	// Spurious counts device interrupts with no known cause.
	Spurious uint64
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

	Stats Stats

	// dead is the descriptor address of a thread that exited on this
	// core, freed once the core has switched away from it.
	dead uintptr
	// nextTick is when the periodic work is due next.
	nextTick int64
	// armedFor is the deadline Compare holds; timerFired says the timer
	// interrupt was taken and Compare must be written to acknowledge it.
	armedFor   int64
	timerFired bool
	// work holds deferred-work requests (Work* bits) other cores posted;
	// the core takes them at its next IPI.
	work atomic.Uint32
	// Pongs counts WorkPong requests answered (IPI round-trip measure).
	Pongs atomic.Uint32
	// Asked has a bit for each idle core that asked this one for work.
	Asked atomic.Uint32
	// tlbAck is the TLB flush generation the core last flushed at.
	tlbAck atomic.Uint32
}

// Deferred work a core can be asked to do (Post, then an IPI).
const (
	// WorkHalt stops the core for good: another core is reporting a
	// fatal fault.
	WorkHalt uint32 = 1 << iota
	// WorkPong only answers: it measures IPI round trips.
	WorkPong
	// WorkGive asks the core to hand ready threads to the cores in Asked.
	WorkGive
	// WorkFlushTLB asks the core to flush its TLB (see FlushTLBs).
	WorkFlushTLB
)

// Post asks core c for deferred work; the caller then interrupts it.
func (c *CPU) Post(w uint32) { c.work.Or(w) }

// TakeWork runs the deferred work posted to c (on c, in trap context).
func (c *CPU) TakeWork() {
	w := c.work.Swap(0)
	if w&WorkPong != 0 {
		c.Pongs.Add(1)
	}
	if w&WorkFlushTLB != 0 {
		c.flushLocalTLB()
	}
	if w&WorkGive != 0 && OnGive != nil {
		OnGive(c)
	}
	if w&WorkHalt != 0 {
		mips32.DisableInterrupts()
		for {
			// With interrupts off, wait never returns.
			mips32.Wait()
		}
	}
}

// Placer chooses the core of a new thread. The DQDT plugs in here.
type Placer interface {
	Place(c *CPU, t *thread.Thread) uint32
}

// Placement is the placement policy in use.
var Placement Placer = RoundRobin{}

// RoundRobin places new threads on the online cores in turn, within the
// thread's affinity.
type RoundRobin struct{}

var rrNext atomic.Uint32

// Place implements Placer.
func (RoundRobin) Place(c *CPU, t *thread.Thread) uint32 {
	if Possible <= 1 {
		return c.ID
	}
	for i := 0; i < 2*Possible; i++ {
		id := rrNext.Add(1) % uint32(Possible)
		if CPUs[id].Online.Load() && (t.Affinity == 0 || t.Affinity&(1<<id) != 0) {
			return id
		}
	}
	return c.ID
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
	// OnTick runs periodically, at least every Keepalive (device
	// polling). It returns how soon it wants to run again (0: no wish).
	OnTick func(c *CPU, now int64) int64
	// SendIPI interrupts core id (nil on a machine without IPIs).
	SendIPI func(id uint32)
	// OnGive answers the cores that asked this one for work.
	OnGive func(c *CPU)
	// OnLoad reports the core's load after each scheduling step.
	OnLoad func(c *CPU)
	// OnMove tells where a thread went: from core (-1: created) to core
	// (-1: exited).
	OnMove func(from, to int32)
	// SameCluster tells whether two cores share a cluster (nil: all do).
	SameCluster func(a, b uint32) bool
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
// the Count of the core reading it, widened to 64 bits. It is monotonic
// only while a single core reads it (each core has its own Count).
func CountClock64() uint64 {
	return countWide.Read(mips32.Count)
}

var countWide ktime.Wide32

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
		// Writing Compare (done by arm) acknowledges the interrupt; the
		// work due is found by time in Reschedule.
		c.Stats.TimerIRQs++
		c.timerFired = true
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
	// The periodic work (device polling) is due by absolute time, not by
	// timer interrupt: a core busy with other traps must still do it.
	if now >= c.nextTick {
		interval := Keepalive
		if OnTick != nil {
			if wish := OnTick(c, now); wish > 0 && wish < interval {
				interval = wish
			}
		}
		c.nextTick = now + interval
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
	if c.Sched.Current == c.Sched.Idle {
		IdleMask.Or(1 << c.ID)
	} else {
		IdleMask.And(^uint32(1 << c.ID))
		// Busy with threads still waiting: give one to an idle core.
		c.balance()
	}
	if OnLoad != nil {
		OnLoad(c)
	}
	c.arm(now)
}

// minArm is the shortest timer interval programmed: no point in a timer that
// fires during the eret.
const minArm = 20e3

// IdleMask has a bit set for each core running its idle thread.
var IdleMask atomic.Uint32

// Balancing counters.
var (
	// Balance controls whether busy cores hand ready threads to idle ones.
	Balance = true
)

// balance hands one ready thread to an idle core when this core has threads
// waiting for it. Only the owner touches its run queues, so the thread is
// taken here and posted to the idle core's inbox: no lock on another core's
// queue. The DQDT's balancing (the most loaded cluster near an idle one)
// will decide where in larger machines.
func (c *CPU) balance() {
	if !Balance || c.Sched.Ready() == 0 || c.Sched.Current == c.Sched.Idle {
		return
	}
	idle := IdleMask.Load() &^ (1 << c.ID)
	for dst := uint32(0); idle != 0 && dst < uint32(Possible); dst++ {
		if idle&(1<<dst) == 0 {
			continue
		}
		idle &^= 1 << dst
		// Within the cluster only: across clusters, idle cores pull work
		// from where the DQDT says it is.
		if SameCluster != nil && !SameCluster(c.ID, dst) {
			continue
		}
		if Migrate(c, dst) {
			return
		}
	}
}

// Migrate hands one ready thread of core c (the one that would wait longest,
// within its affinity) to core dst, through dst's inbox. It returns false if
// c has no thread dst may run.
func Migrate(c *CPU, dst uint32) bool {
	e := c.Sched.Migratable(func(a uintptr) bool {
		aff := threadOf(a).Affinity
		return aff == 0 || aff&(1<<dst) != 0
	})
	if e == 0 {
		return false
	}
	// Claim the idle core so that another busy core does not pick it
	// too; it sets its bit again if it stays idle.
	IdleMask.And(^uint32(1 << dst))
	sched.At(e).Core = dst
	c.Stats.Migrations++
	if OnMove != nil {
		OnMove(int32(c.ID), int32(dst))
	}
	if CPUs[dst].Sched.Post(e) && SendIPI != nil {
		SendIPI(dst)
	}
	return true
}

func (c *CPU) arm(now int64) {
	next := c.Sched.NextEvent()
	if next == 0 || next > c.nextTick {
		next = c.nextTick
	}
	// Compare already holds this deadline and it is still ahead: leave it.
	// Most traps (system calls) change no deadline, and reprogramming the
	// timer is one of the dearer steps of a trap. A timer interrupt always
	// rewrites Compare, which acknowledges it.
	if next == c.armedFor && !c.timerFired && next-now > 2*minArm {
		return
	}
	c.timerFired = false
	c.armedFor = next
	delta := next - now
	if delta < minArm {
		delta = minArm
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

// Park marks the current thread t as no longer runnable and, if deadline >
// 0, arms its timeout. The wait token is not armed yet: the caller first
// puts the call's result (or its restart) in the frame, then links t on a
// wait queue with wait.Queue.Add, which arms the token under the queue's
// lock, or arms it itself for a wait on no queue (a sleep). From the moment
// the token is armed, only whoever takes it writes t's frame: a waker or a
// signal on another core may take it at once. If the condition waited for
// already holds, the caller undoes the park with Unpark instead.
func (c *CPU) Park(t *thread.Thread, deadline int64) bool {
	return c.Sched.Block(t.Entity(), deadline)
}

// Unpark undoes Park for the current thread before its token was armed.
func (c *CPU) Unpark(t *thread.Thread) {
	c.Sched.CancelTimer(t.Entity())
	t.Sched.State = sched.Running
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
