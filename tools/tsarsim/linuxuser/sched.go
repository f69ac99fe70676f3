package linuxuser

import (
	"fmt"
	"os"
	"sort"
	"time"

	"almos/tools/tsarsim/cpu"
	"almos/tools/tsarsim/machine"
)

// Thread states.
const (
	runnable = iota
	running
	blocked
	exited
)

// Thread is a Linux thread: its saved registers when not on a core.
type Thread struct {
	TID      int
	R        [32]uint32
	HI, LO   uint32
	PC, NPC  uint32
	state    int
	core     *coreState // the core running it, or the one it last ran on
	deadline uint64     // wake-up cycle when blocked with a timeout (0: none)
	onTime   func()     // called when the deadline passes
	futex    uint32     // futex word it waits on (0: none)
	clearTID uint32
	sigmask  uint64
	pending  uint64 // signals sent and not yet delivered
	altSP    uint32 // sigaltstack
	altSize  uint32
	altFlags uint32
}

type coreState struct {
	c          *cpu.Core
	cur        *Thread
	queue      []*Thread
	sliceStart uint64
}

func (p *Proc) setupCores() {
	mc := p.M.Cfg
	var order []*cpu.Core
	byID := map[int]*cpu.Core{}
	for _, c := range p.M.Cores {
		byID[c.ID] = c
		c.Halted = true
		c.SetUserMode()
		c.HWREna = 0xf | 1<<29
		c.Trap = p.trap
		c.Xlate = p.xlate
	}
	if p.cfg.Place == PlaceLocal {
		for l := 0; l < mc.Cores; l++ {
			order = append(order, byID[l])
		}
	} else {
		// Round-robin over the clusters: thread i goes to cluster
		// i mod N, so concurrent threads land far apart.
		for l := 0; l < mc.Cores; l++ {
			for _, id := range p.banks {
				order = append(order, byID[id<<2|l])
			}
		}
	}
	for _, c := range order {
		cs := &coreState{c: c}
		p.cores = append(p.cores, cs)
		p.byCore[c] = cs
	}
}

func (p *Proc) newThread() *Thread {
	t := &Thread{TID: p.nextTID, state: runnable}
	p.nextTID++
	p.threads[t.TID] = t
	return t
}

// place queues a new thread on the next core of the placement order.
func (p *Proc) place(t *Thread) {
	cs := p.cores[p.placeIdx%len(p.cores)]
	p.placeIdx++
	t.core = cs
	t.state = runnable
	cs.queue = append(cs.queue, t)
}

// wake makes a blocked thread runnable on the core it last ran on.
func (p *Proc) wake(t *Thread, ret uint32, errno bool) {
	if t.state != blocked {
		return
	}
	t.R[2] = ret
	t.R[7] = 0
	if errno {
		t.R[7] = 1
	}
	t.deadline = 0
	t.onTime = nil
	t.futex = 0
	t.state = runnable
	t.core.queue = append(t.core.queue, t)
}

// resume makes a blocked thread runnable without touching its registers
// (it restarts a system call it had backed up to).
func (p *Proc) resume(t *Thread) {
	if t.state != blocked {
		return
	}
	t.deadline = 0
	t.onTime = nil
	t.state = runnable
	t.core.queue = append(t.core.queue, t)
}

func (p *Proc) save(cs *coreState) {
	t, c := cs.cur, cs.c
	copy(t.R[:], c.R[:32])
	t.HI, t.LO, t.PC, t.NPC = c.HI, c.LO, c.PC, c.NPC
	t.R[0] = 0
}

func (p *Proc) load(cs *coreState, t *Thread) {
	c := cs.c
	copy(c.R[:32], t.R[:])
	c.HI, c.LO, c.PC, c.NPC = t.HI, t.LO, t.PC, t.NPC
	c.ClearLL()
	c.Halted = false
	cs.cur = t
	t.core = cs
	t.state = running
	cs.sliceStart = c.Cnt.Cycles
	p.usage.ctxsw++
}

// block takes the current thread of a core off it (state blocked) and
// runs the next runnable one if any.
func (p *Proc) block(cs *coreState) {
	t := cs.cur
	p.save(cs)
	t.state = blocked
	cs.cur = nil
	p.dispatch(cs)
}

// dispatch gives an idle core a thread: its own queue first, then one
// stolen from the longest queue of its cluster, then from anywhere.
func (p *Proc) dispatch(cs *coreState) {
	if cs.cur != nil {
		return
	}
	if len(cs.queue) == 0 {
		var victim *coreState
		for pass := 0; pass < 2 && victim == nil; pass++ {
			for _, o := range p.cores {
				if len(o.queue) == 0 || o == cs {
					continue
				}
				if pass == 0 && o.c.Cluster != cs.c.Cluster {
					continue
				}
				// Steal only what waits behind a running thread.
				if o.cur == nil && len(o.queue) < 2 {
					continue
				}
				if victim == nil || len(o.queue) > len(victim.queue) {
					victim = o
				}
			}
		}
		if victim == nil {
			cs.c.Halted = true
			return
		}
		t := victim.queue[len(victim.queue)-1]
		victim.queue = victim.queue[:len(victim.queue)-1]
		cs.queue = append(cs.queue, t)
	}
	t := cs.queue[0]
	cs.queue = cs.queue[1:]
	p.load(cs, t)
}

// Run runs the process until it exits (or maxCycles of global time).
func (p *Proc) Run(maxCycles uint64, progressEvery time.Duration, progress func(*machine.Machine, time.Duration)) machine.RunResult {
	m := p.M
	sys := p.sys
	q := m.Cfg.Quantum
	start := time.Now()
	last := start
	defer os.RemoveAll(p.tmp)
	for !sys.Halted {
		if maxCycles != 0 && m.Now >= maxCycles {
			sys.Halt(124, fmt.Sprintf("cycle limit %d reached", maxCycles))
			break
		}
		t := m.Now + q
		for _, cs := range p.cores {
			p.dispatch(cs)
			cs.c.Run(t)
			if sys.Halted {
				break
			}
		}
		m.Now = t
		p.timeouts(t)
		p.preempt(t)
		p.deliverPending()
		if progress != nil && m.Now&0xffff < q {
			if now := time.Now(); now.Sub(last) >= progressEvery {
				last = now
				progress(m, now.Sub(start))
			}
		}
		if p.idle() {
			next := ^uint64(0)
			for _, th := range p.timers {
				if th.deadline != 0 && th.deadline < next {
					next = th.deadline
				}
			}
			if next == ^uint64(0) {
				sys.Halt(126, "every thread is blocked and no timer is pending (deadlock)")
				p.dumpThreads()
				break
			}
			if next > m.Now+q {
				m.Now = next - next%q
			}
		}
	}
	return machine.RunResult{Status: sys.ExitStatus, Reason: sys.HaltReason, Cycles: m.Now, Elapsed: time.Since(start)}
}

func (p *Proc) idle() bool {
	for _, cs := range p.cores {
		if cs.cur != nil || len(cs.queue) > 0 {
			return false
		}
	}
	return true
}

// timeouts wakes threads whose deadline has passed.
func (p *Proc) timeouts(now uint64) {
	keep := p.timers[:0]
	var due []*Thread
	for _, t := range p.timers {
		if t.state != blocked || t.deadline == 0 {
			continue
		}
		if t.deadline <= now {
			due = append(due, t)
		} else {
			keep = append(keep, t)
		}
	}
	p.timers = keep
	sort.Slice(due, func(i, j int) bool {
		if due[i].deadline != due[j].deadline {
			return due[i].deadline < due[j].deadline
		}
		return due[i].TID < due[j].TID
	})
	for _, t := range due {
		f := t.onTime
		t.onTime = nil
		if f != nil {
			f()
		}
	}
}

// sleepUntil blocks the core's thread with a deadline; onTime runs when
// it passes (it must wake the thread).
func (p *Proc) sleepUntil(cs *coreState, deadline uint64, onTime func()) {
	t := cs.cur
	t.deadline = deadline
	t.onTime = onTime
	p.timers = append(p.timers, t)
	p.block(cs)
}

// preempt rotates threads that have used their slice while others wait.
func (p *Proc) preempt(now uint64) {
	for _, cs := range p.cores {
		if cs.cur != nil && len(cs.queue) > 0 && cs.c.Cnt.Cycles-cs.sliceStart >= p.cfg.Slice {
			t := cs.cur
			p.save(cs)
			t.state = runnable
			cs.queue = append(cs.queue, t)
			cs.cur = nil
			p.dispatch(cs)
		}
	}
}

func (p *Proc) dumpThreads() {
	var ids []int
	for id := range p.threads {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		t := p.threads[id]
		if t.state == exited {
			continue
		}
		fmt.Fprintf(p.cfg.Stderr, "tsarsim: thread %d state %d pc %#x futex %#x\n", id, t.state, t.PC, t.futex)
	}
}

// trap receives every exception of the process's cores.
func (p *Proc) trap(c *cpu.Core, code int, badva uint32) bool {
	cs := p.byCore[c]
	if code == cpu.ExcSys && !c.InDelaySlot {
		c.PC, c.NPC = c.PC+4, c.PC+8
		p.syscall(cs)
		return true
	}
	sig, name := 4, "SIGILL"
	switch code {
	case cpu.ExcTLBL, cpu.ExcTLBS, cpu.ExcMod, cpu.ExcAdEL, cpu.ExcAdES, cpu.ExcDBE, cpu.ExcIBE:
		sig, name = 11, "SIGSEGV"
	case cpu.ExcBp:
		sig, name = 5, "SIGTRAP"
	case cpu.ExcTr, cpu.ExcOv:
		sig, name = 8, "SIGFPE"
	}
	if p.deliver(cs, sig, code, badva) {
		return true
	}
	fmt.Fprintf(p.cfg.Stderr, "tsarsim: fatal %s (exception %d) in thread %d at pc %#x, address %#x, ra %#x, sp %#x\n",
		name, code, cs.cur.TID, c.PC, badva, c.R[31], c.R[29])
	p.sys.Halt(128+sig, name)
	c.Halted = true
	return true
}
