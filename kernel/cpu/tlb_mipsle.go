package cpu

import (
	"sync/atomic"

	"almos/arch/mips32"
	"almos/kernel/ktime"
)

// TLB coherence for the paged space. A frame unbound from a page may still
// be reached through any core's TLB, so before it goes back to an allocator
// every online core flushes its TLB's non-wired entries. RequestFlushTLBs
// asks for that without waiting (the frames wait instead, see TLBLag);
// FlushTLBs flushes this core's, asks the others by IPI and waits until each
// has answered, for when the frames are needed at once. Its caller must hold
// no spin lock: a core spinning for a lock with interrupts off cannot
// answer, and its lock's holder might be waiting for this core's answer.

// tlbGen counts flush requests; each core's tlbAck is the generation it
// last flushed at.
var tlbGen atomic.Uint32

// TLBFlushes counts the machine-wide flushes, for the mem view.
var TLBFlushes atomic.Uint32

// tlbEntries is the size of the TLB (Config1.MMUSize+1), read once.
var tlbEntries uint32

func (c *CPU) flushLocalTLB() {
	g := tlbGen.Load()
	if tlbEntries == 0 {
		tlbEntries = (mips32.Config1()>>25)&0x3f + 1
	}
	mips32.FlushTLB(mips32.Wired(), tlbEntries)
	c.tlbAck.Store(g)
}

// FlushTLBs makes sure that no core's TLB holds an entry loaded before the
// call. Called in trap context (interrupts off).
func (c *CPU) FlushTLBs() {
	g := c.RequestFlushTLBs()
	start := ktime.Now()
	for id := 0; id < Possible; id++ {
		o := &CPUs[id]
		if o == c || !o.Online.Load() || SendIPI == nil {
			continue
		}
		warned := false
		for int32(o.tlbAck.Load()-g) < 0 {
			// Another core may be waiting for this one's answer.
			if c.work.Load()&WorkFlushTLB != 0 {
				c.work.And(^WorkFlushTLB)
				c.flushLocalTLB()
			}
			// Under an emulator a core's host thread can be left
			// unscheduled for seconds on an overloaded host: wait long,
			// say so, and give up only when something must be stuck.
			waited := ktime.Now() - start
			if waited > tlbWarnAfter && !warned {
				warned = true
				TLBSlowAnswers.Add(1)
				if OnTLBSlow != nil {
					OnTLBSlow(c, uint32(id))
				}
			}
			if waited > tlbGiveUpAfter {
				tlbTimeout(c, uint32(id))
			}
		}
	}
}

// How long FlushTLBs waits for a core before it says so, and before it
// reports a stuck core and stops the machine.
const (
	tlbWarnAfter   = 1e9
	tlbGiveUpAfter = 30e9
)

// TLBSlowAnswers counts the cores that took longer than tlbWarnAfter to
// answer; OnTLBSlow reports each (set at boot to a console line).
var (
	TLBSlowAnswers atomic.Uint32
	OnTLBSlow      func(c *CPU, other uint32)
)

// RequestFlushTLBs flushes this core's TLB and asks every other online
// core to flush its own at its next interrupt, without waiting: it returns
// the generation every core's acknowledgement must reach (see TLBLag, and
// FlushTLBs, which waits for it). Frames unbound before
// the call may be freed once every core has flushed at that generation.
func (c *CPU) RequestFlushTLBs() uint32 {
	g := tlbGen.Add(1)
	TLBFlushes.Add(1)
	c.flushLocalTLB()
	for id := 0; id < Possible; id++ {
		o := &CPUs[id]
		if o == c || !o.Online.Load() || SendIPI == nil {
			continue
		}
		o.Post(WorkFlushTLB)
		SendIPI(uint32(id))
	}
	return g
}

// TLBLag returns the current flush generation and how far behind it the
// online core that flushed longest ago is: every core has flushed at
// generation g or later exactly when gen-g >= lag.
func TLBLag() (gen, lag uint32) {
	gen = tlbGen.Load()
	for id := 0; id < Possible; id++ {
		o := &CPUs[id]
		if !o.Online.Load() {
			continue
		}
		if l := gen - o.tlbAck.Load(); l > lag && int32(l) > 0 {
			lag = l
		}
	}
	return gen, lag
}

// OnTLBTimeout reports a core that did not answer a flush (set at boot to
// the fault report): going on would let a frame be reused while that core
// can still write it.
var OnTLBTimeout func(c *CPU, other uint32)

func tlbTimeout(c *CPU, other uint32) {
	if OnTLBTimeout != nil {
		OnTLBTimeout(c, other)
	}
	for {
		mips32.Wait()
	}
}
