package linuxuser

import (
	"fmt"

	"almos/tools/tsarsim/cpu"
)

// Signals are delivered as Linux does on MIPS o32: a struct rt_sigframe
// is pushed on the thread's stack (or its alternate signal stack), the
// handler runs with a0 = signal, a1 = &siginfo, a2 = &ucontext and ra =
// a trampoline that calls rt_sigreturn, which restores the registers the
// handler may have edited. Synchronous faults (SIGSEGV, SIGFPE, SIGTRAP,
// SIGILL) are delivered at once; signals sent with kill/tgkill (the Go
// runtime's SIGURG preemption requests) are delivered at the next slice
// boundary where the thread runs and is not in a branch delay slot.

// Layout of struct rt_sigframe (kernel o32 offsets).
const (
	frInfo     = 24         // siginfo, 128 bytes
	frUC       = 152        // ucontext
	frMC       = frUC + 24  // uc_mcontext (struct sigcontext)
	frPC       = frMC + 8   // sc_pc (u64)
	frRegs     = frMC + 16  // sc_regs[32] (u64)
	frMDHI     = frMC + 552 // sc_mdhi (u64)
	frMDLO     = frMC + 560 // sc_mdlo (u64)
	frMask     = frMC + 592 // uc_sigmask (128 bits)
	frameSize  = frMask + 16
	trampoline = 0x7fff8000 // page holding "li v0, rt_sigreturn; syscall"
)

// Signal numbers and flags on MIPS.
const (
	sigTRAP = 5
	sigFPE  = 8
	sigSEGV = 11
	sigURG  = 21

	saOnStack = 0x08000000
	saNoDefer = 0x40000000
	ssOnStack = 1
	ssDisable = 2
)

func (p *Proc) setupTrampoline() error {
	p.mapRange(trampoline, 4096, protRead|protWrite|protExec)
	var code [8]byte
	put32(code[:], 0x24020000|4193) // addiu v0, zero, 4193
	put32(code[4:], 0x0000000c)     // syscall
	if !p.writeMem(trampoline, code[:], 0) {
		return fmt.Errorf("signal trampoline")
	}
	p.mapRange(trampoline, 4096, protRead|protExec)
	return nil
}

// deliver runs the handler of a synchronous fault on the core's thread.
// It returns false when the program has no handler (the fault is fatal).
func (p *Proc) deliver(cs *coreState, sig, code int, badva uint32) bool {
	c := cs.c
	sicode := uint32(1) // SEGV_MAPERR, ILL_ILLOPC, TRAP_BRKPT
	if code == cpu.ExcTr || code == cpu.ExcBp {
		// The trap code selects the signal, as Linux does:
		// 7 is divide by zero, 6 overflow.
		w, _ := p.readU32(c.PC)
		tc := (w >> 6) & 0x3ff
		if code == cpu.ExcBp {
			tc = (w >> 16) & 0x3ff
		}
		switch tc {
		case 7:
			sig, sicode = sigFPE, 1 // FPE_INTDIV
		case 6:
			sig, sicode = sigFPE, 2 // FPE_INTOVF
		default:
			sig = sigTRAP
		}
	}
	if code == cpu.ExcOv {
		sig, sicode = sigFPE, 2
	}
	if code == cpu.ExcAdEL || code == cpu.ExcAdES {
		sig, sicode = 10, 1 // SIGBUS, BUS_ADRALN
	}
	if cs.cur.sigmask&(1<<(sig-1)) != 0 {
		return false
	}
	pc := c.PC
	if c.InDelaySlot {
		pc -= 4 // restart at the branch, as EPC with Cause.BD says
	}
	return p.setupFrame(cs, sig, sicode, badva, pc)
}

// setupFrame builds the signal frame from the core's registers, resuming
// at pc after the handler.
func (p *Proc) setupFrame(cs *coreState, sig int, sicode, addr, pc uint32) bool {
	c, t := cs.c, cs.cur
	act, okh := p.sigs[sig]
	if !okh || act.handler <= 1 {
		return false
	}
	sp := c.R[29]
	onAlt := t.altSize != 0 && sp-t.altSP < t.altSize
	if act.flags&saOnStack != 0 && t.altSize != 0 && t.altFlags&ssDisable == 0 && !onAlt {
		sp = t.altSP + t.altSize
	}
	frame := (sp - frameSize) &^ 15
	b := make([]byte, frameSize)
	put32(b[frInfo:], uint32(sig))
	put32(b[frInfo+4:], sicode)
	put32(b[frInfo+12:], addr)
	put32(b[frUC+8:], t.altSP)
	put32(b[frUC+12:], t.altSize)
	put32(b[frUC+16:], t.altFlags)
	put64(b[frPC:], uint64(pc))
	for i := 0; i < 32; i++ {
		put64(b[frRegs+8*i:], uint64(int64(int32(c.R[i]))))
	}
	put64(b[frMDHI:], uint64(c.HI))
	put64(b[frMDLO:], uint64(c.LO))
	put64(b[frMask:], t.sigmask)
	if !p.writeMem(frame, b, c.Cluster) {
		return false
	}
	if act.flags&saNoDefer == 0 {
		t.sigmask |= 1 << (sig - 1)
	}
	t.sigmask |= act.mask
	c.R[4], c.R[5], c.R[6] = uint32(sig), frame+frInfo, frame+frUC
	c.R[25] = act.handler
	c.R[29] = frame
	c.R[31] = trampoline
	c.PC, c.NPC = act.handler, act.handler+4
	c.ClearLL()
	return true
}

// sigreturn restores the registers saved (and maybe edited) in the frame.
func (p *Proc) sigreturn(cs *coreState) sysret {
	c, t := cs.c, cs.cur
	frame := c.R[29]
	b := make([]byte, frameSize)
	if !p.readMem(frame, b) {
		p.sys.Halt(128+sigSEGV, "bad signal frame")
		c.Halted = true
		return blockedRet()
	}
	for i := 1; i < 32; i++ {
		c.R[i] = le32(b[frRegs+8*i:])
	}
	c.HI, c.LO = le32(b[frMDHI:]), le32(b[frMDLO:])
	pc := le32(b[frPC:])
	c.PC, c.NPC = pc, pc+4
	t.sigmask = uint64(le32(b[frMask:])) | uint64(le32(b[frMask+4:]))<<32
	c.ClearLL()
	return blockedRet() // registers are set: leave them alone
}

// kill records a signal for a thread (tgkill) or the process (kill).
func (p *Proc) kill(tid int, sig uint32) sysret {
	if sig == 0 {
		return ok(0)
	}
	if sig > 64 {
		return fail(eINVAL)
	}
	t := p.threads[tid]
	if t == nil {
		for _, th := range p.threads {
			if t == nil || th.TID < t.TID {
				t = th
			}
		}
	}
	if t == nil {
		return fail(3) // ESRCH
	}
	t.pending |= 1 << (sig - 1)
	return ok(0)
}

// deliverPending runs pending asynchronous signals of running threads.
func (p *Proc) deliverPending() {
	for _, cs := range p.cores {
		t := cs.cur
		if t == nil || t.pending&^t.sigmask == 0 || cs.c.NextInDelaySlot() {
			continue
		}
		for sig := 1; sig <= 64; sig++ {
			bit := uint64(1) << (sig - 1)
			if t.pending&bit == 0 || t.sigmask&bit != 0 {
				continue
			}
			t.pending &^= bit
			if act, ok := p.sigs[sig]; !ok || act.handler <= 1 {
				continue // default action of SIGURG and friends: ignore
			}
			p.setupFrame(cs, sig, 0xfffffffa /* SI_TKILL */, 0, cs.c.PC)
			break
		}
	}
}
