package linux

import (
	"almos/arch/mips32"
	"almos/kernel/cpu"
	"almos/kernel/kmem"
	"almos/kernel/thread"
	"almos/sched"
)

// MIPS Linux signal numbers (they differ from x86 above SIGUSR1).
const (
	SIGHUP   = 1
	SIGINT   = 2
	SIGQUIT  = 3
	SIGILL   = 4
	SIGTRAP  = 5
	SIGABRT  = 6
	SIGFPE   = 8
	SIGKILL  = 9
	SIGBUS   = 10
	SIGSEGV  = 11
	SIGSYS   = 12
	SIGPIPE  = 13
	SIGALRM  = 14
	SIGTERM  = 15
	SIGUSR1  = 16
	SIGUSR2  = 17
	SIGCHLD  = 18
	SIGPWR   = 19
	SIGWINCH = 20
	SIGURG   = 21
	SIGSTOP  = 23
	SIGCONT  = 25
	SIGPROF  = 29

	maxSig = 64 // signals this kernel tracks (the ABI's sigset has 128)
)

var sigNames = [...]string{
	SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL",
	SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT", 7: "SIGEMT", SIGFPE: "SIGFPE",
	SIGKILL: "SIGKILL", SIGBUS: "SIGBUS", SIGSEGV: "SIGSEGV", SIGSYS: "SIGSYS",
	SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGUSR1: "SIGUSR1",
	SIGUSR2: "SIGUSR2", SIGCHLD: "SIGCHLD", SIGPWR: "SIGPWR", SIGWINCH: "SIGWINCH",
	SIGURG: "SIGURG", 22: "SIGIO", SIGSTOP: "SIGSTOP", 24: "SIGTSTP",
	SIGCONT: "SIGCONT", 26: "SIGTTIN", 27: "SIGTTOU", 28: "SIGVTALRM",
	SIGPROF: "SIGPROF", 30: "SIGXCPU", 31: "SIGXFSZ",
}

// SigName names a signal.
func SigName(sig int) string {
	if sig > 0 && sig < len(sigNames) && sigNames[sig] != "" {
		return sigNames[sig]
	}
	return "signal"
}

const (
	sigDFL = 0
	sigIGN = 1

	saSiginfo   = 0x8
	saOnstack   = 0x8000000
	saRestart   = 0x10000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000

	ssOnstack = 1
	ssDisable = 2

	sigBlock   = 1
	sigUnblock = 2
	sigSetmask = 3

	// si_code values
	siUser     = 0
	siTkill    = -6
	segvMaperr = 1
	segvAccerr = 2
	busAdraln  = 1
	busAdrerr  = 2
	illIllopc  = 1
	trapBrkpt  = 1
	fpeIntovf  = 2
)

type sigaction struct {
	handler uint32
	flags   uint32
	mask    uint64
}

// sigactions is the process's signal disposition table.
var sigactions [maxSig + 1]sigaction

func sigBit(sig int) uint64 { return 1 << uint(sig-1) }

const unblockable = 1<<(SIGKILL-1) | 1<<(SIGSTOP-1)

// defaultIgnored are the signals whose default action is to do nothing.
func defaultIgnored(sig int) bool {
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT || sig == SIGPWR
}

// The o32 rt_sigframe: argument save area, padding, siginfo, ucontext.
// Offsets follow Linux's C layout (u64 fields 8-byte aligned).
const (
	frameInfo   = 24
	frameUC     = 152
	ucFlags     = 0
	ucLink      = 4
	ucStack     = 8
	ucMcontext  = 24
	scPC        = 8
	scRegs      = 16
	scMDHI      = 552
	scMDLO      = 560
	ucSigmask   = ucMcontext + 592
	frameSize   = frameUC + ucSigmask + 16
	siginfoSize = 128
	siSigno     = 0
	siCode      = 4
	siErrno     = 8
	siAddr      = 12
	siPid       = 12
	siUID       = 16
)

func sysRtSigaction(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	sig := int(arg(t, 0))
	act, oact, size := uintptr(arg(t, 1)), uintptr(arg(t, 2)), arg(t, 3)
	if size != 16 {
		return 0, EINVAL
	}
	if sig < 1 || sig > 128 {
		return 0, EINVAL
	}
	if sig > maxSig {
		// Accepted and ignored: nothing here raises real-time signals
		// above 64.
		if oact != 0 {
			if !kmem.ValidAligned(oact, 24, 4) {
				return 0, EFAULT
			}
			kmem.Zero(oact, 24)
		}
		return 0, 0
	}
	if act != 0 && !kmem.ValidAligned(act, 24, 4) || oact != 0 && !kmem.ValidAligned(oact, 24, 4) {
		return 0, EFAULT
	}
	a := &sigactions[sig]
	if oact != 0 {
		*kmem.U32(oact) = a.flags
		*kmem.U32(oact + 4) = a.handler
		*kmem.U32(oact + 8) = uint32(a.mask)
		*kmem.U32(oact + 12) = uint32(a.mask >> 32)
		*kmem.U32(oact + 16) = 0
		*kmem.U32(oact + 20) = 0
	}
	if act != 0 {
		if sig == SIGKILL || sig == SIGSTOP {
			return 0, EINVAL
		}
		a.flags = *kmem.U32(act)
		a.handler = *kmem.U32(act + 4)
		a.mask = (uint64(*kmem.U32(act + 8)) | uint64(*kmem.U32(act + 12))<<32) &^ unblockable
	}
	return 0, 0
}

func sysRtSigprocmask(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	how, set, oset, size := arg(t, 0), uintptr(arg(t, 1)), uintptr(arg(t, 2)), arg(t, 3)
	if size != 16 {
		return 0, EINVAL
	}
	if set != 0 && !kmem.ValidAligned(set, 16, 4) || oset != 0 && !kmem.ValidAligned(oset, 16, 4) {
		return 0, EFAULT
	}
	old := t.SigMask
	if set != 0 {
		m := (uint64(*kmem.U32(set)) | uint64(*kmem.U32(set + 4))<<32) &^ unblockable
		switch how {
		case sigBlock:
			t.SigMask |= m
		case sigUnblock:
			t.SigMask &^= m
		case sigSetmask:
			t.SigMask = m
		default:
			return 0, EINVAL
		}
	}
	if oset != 0 {
		*kmem.U32(oset) = uint32(old)
		*kmem.U32(oset + 4) = uint32(old >> 32)
		*kmem.U32(oset + 8) = 0
		*kmem.U32(oset + 12) = 0
	}
	return 0, 0
}

func onAltStack(t *thread.Thread, sp uint32) bool {
	return t.Alt.Flags&ssDisable == 0 && t.Alt.Size != 0 && sp-t.Alt.SP < t.Alt.Size
}

func sysSigaltstack(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	ss, oss := uintptr(arg(t, 0)), uintptr(arg(t, 1))
	if ss != 0 && !kmem.ValidAligned(ss, 12, 4) || oss != 0 && !kmem.ValidAligned(oss, 12, 4) {
		return 0, EFAULT
	}
	sp := t.Frame.R[mips32.RegSP]
	if oss != 0 {
		flags := t.Alt.Flags
		if t.Alt.Size == 0 {
			flags = ssDisable
		} else if onAltStack(t, sp) {
			flags |= ssOnstack
		}
		*kmem.U32(oss) = t.Alt.SP
		*kmem.U32(oss + 4) = t.Alt.Size
		*kmem.U32(oss + 8) = uint32(flags)
	}
	if ss != 0 {
		if onAltStack(t, sp) {
			return 0, EPERM
		}
		nsp, nsize, nflags := *kmem.U32(ss), *kmem.U32(ss + 4), int32(*kmem.U32(ss + 8))
		if nflags&ssDisable != 0 {
			t.Alt = thread.AltStack{Flags: ssDisable}
			return 0, 0
		}
		if nflags&^ssOnstack != 0 {
			return 0, EINVAL
		}
		if nsize < 2048 {
			return 0, ENOMEM
		}
		if !kmem.Valid(uintptr(nsp), uintptr(nsize)) {
			return 0, EFAULT
		}
		t.Alt = thread.AltStack{SP: nsp, Size: nsize}
	}
	return 0, 0
}

// deliver sets up t to run the handler of sig when it next returns to its
// frame. It returns false if the signal cannot be delivered as a handler
// call: its action is the default one (which for most signals ends the
// process) or the frame cannot be written.
func deliver(t *thread.Thread, sig int, code int32, addr uint32) bool {
	a := &sigactions[sig]
	f := &t.Frame
	sp := f.R[mips32.RegSP]
	if a.flags&saOnstack != 0 && t.Alt.Size != 0 && t.Alt.Flags&ssDisable == 0 && !onAltStack(t, sp) {
		sp = t.Alt.SP + t.Alt.Size
	}
	sp = (sp - frameSize) &^ 7
	base := uintptr(sp)
	if !kmem.Valid(base, frameSize) {
		return false
	}
	kmem.Zero(base, frameSize)
	info := base + frameInfo
	*kmem.U32(info + siSigno) = uint32(sig)
	*kmem.U32(info + siCode) = uint32(code)
	*kmem.U32(info + siAddr) = addr
	uc := base + frameUC
	*kmem.U32(uc + ucStack) = t.Alt.SP
	*kmem.U32(uc + ucStack + 4) = t.Alt.Size
	altFlags := uint32(t.Alt.Flags)
	if t.Alt.Size == 0 {
		altFlags = ssDisable
	}
	*kmem.U32(uc + ucStack + 8) = altFlags
	mc := uc + ucMcontext
	*kmem.U32(mc + scPC) = f.EPC
	for i := 1; i < 32; i++ {
		*kmem.U32(mc + scRegs + uintptr(8*i)) = f.R[i]
		*kmem.U32(mc + scRegs + uintptr(8*i) + 4) = uint32(int32(f.R[i]) >> 31)
	}
	*kmem.U32(mc + scMDHI) = f.HI
	*kmem.U32(mc + scMDLO) = f.LO
	*kmem.U32(uc + ucSigmask) = uint32(t.SigMask)
	*kmem.U32(uc + ucSigmask + 4) = uint32(t.SigMask >> 32)

	t.SigMask |= a.mask
	if a.flags&saNodefer == 0 {
		t.SigMask |= sigBit(sig)
	}
	handler := a.handler
	if a.flags&saResethand != 0 {
		a.handler = sigDFL
	}
	f.R[mips32.RegA0] = uint32(sig)
	f.R[mips32.RegA1] = uint32(info)
	f.R[mips32.RegA2] = uint32(uc)
	f.R[mips32.RegSP] = sp
	f.R[mips32.RegT9] = handler
	f.R[mips32.RegRA] = uint32(mips32.SigreturnAddr())
	f.EPC = handler
	return true
}

func sysRtSigreturn(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	f := &t.Frame
	base := uintptr(f.R[mips32.RegSP])
	if !kmem.ValidAligned(base, frameSize, 8) {
		fatalSignal(c, t, SIGSEGV, "rt_sigreturn with a bad signal frame")
		return 0, parked
	}
	uc := base + frameUC
	mc := uc + ucMcontext
	for i := 1; i < 32; i++ {
		if i == 26 || i == 27 {
			continue
		}
		f.R[i] = *kmem.U32(mc + scRegs + uintptr(8*i))
	}
	f.HI = *kmem.U32(mc + scMDHI)
	f.LO = *kmem.U32(mc + scMDLO)
	f.EPC = *kmem.U32(mc + scPC)
	t.SigMask = (uint64(*kmem.U32(uc + ucSigmask)) | uint64(*kmem.U32(uc + ucSigmask + 4))<<32) &^ unblockable
	if t.FaultDepth > 0 {
		t.FaultDepth--
	}
	return 0, parked
}

// sendSignal makes sig pending for t; it is delivered when t next returns
// from the kernel with the signal unblocked.
func sendSignal(c *cpu.CPU, t *thread.Thread, sig int) {
	stats(c).SignalsSent++
	a := &sigactions[sig]
	if a.handler == sigIGN || a.handler == sigDFL && defaultIgnored(sig) {
		return
	}
	t.SigPending |= sigBit(sig)
	if t.SigMask&sigBit(sig) == 0 {
		interrupt(c, t, sig)
	}
}

// interrupt makes a thread with a deliverable signal notice it: a parked
// thread is woken, its call either restarted (the handler was installed with
// SA_RESTART and the call is one Linux restarts: read, a futex wait) or
// failed with EINTR; one running on another core is sent an IPI so it enters
// the kernel.
func interrupt(c *cpu.CPU, t *thread.Thread, sig int) {
	if t.Sched.Waiting() && t.Sched.TryClaimWake() {
		// Take it off its wait queue as a timeout would.
		cpu.Unlink(c, t)
		if sigactions[sig].flags&saRestart != 0 && restartable(t) {
			if !t.Restart {
				// The frame holds the call's result already: put the
				// call back as it was made, to run again.
				t.Frame.R[mips32.RegV0] = t.LastSyscall
				copy(t.Frame.R[mips32.RegA0:mips32.RegA3+1], t.SysArgs[:])
				t.Frame.EPC -= 4
			}
			// A restarted call starts afresh (its timeout too).
			t.Restart = false
		} else {
			if t.Restart {
				// The call was to run again when woken: step past it.
				t.Restart = false
				t.Frame.EPC += 4
			}
			setResult(t, 0, EINTR)
		}
		stats(c).Interrupted++
		cpu.Wake(t)
		return
	}
	if t.Sched.State == sched.Running && t.Sched.Core != c.ID && cpu.SendIPI != nil {
		cpu.SendIPI(t.Sched.Core)
	}
}

// restartable tells whether t's interrupted call is one Linux restarts after
// a handler installed with SA_RESTART: read, and an untimed futex wait. A
// timed futex wait returns EINTR instead, as epoll waits and sleeps do (on
// Linux its restart block is only used when no handler runs).
func restartable(t *thread.Thread) bool {
	switch t.LastSyscall {
	case 4003: // read
		return true
	case 4238, 4422: // futex, futex_time64: a3 is the timeout
		return t.SysArgs[3] == 0
	}
	return false
}

// Resume delivers a pending unblocked signal to t before it runs (the
// cpu.OnResume hook).
func Resume(c *cpu.CPU, t *thread.Thread) {
	p := t.SigPending &^ t.SigMask
	if p == 0 {
		return
	}
	for sig := 1; sig <= maxSig; sig++ {
		if p&sigBit(sig) == 0 {
			continue
		}
		t.SigPending &^= sigBit(sig)
		a := &sigactions[sig]
		if a.handler == sigIGN || a.handler == sigDFL && defaultIgnored(sig) {
			continue
		}
		if a.handler == sigDFL {
			fatalSignal(c, t, sig, "a signal whose default action ends the process")
			return
		}
		if !deliver(t, sig, siTkill, 0) {
			fatalSignal(c, t, SIGSEGV, "the signal frame could not be written")
		}
		stats(c).SignalsDelivered++
		return
	}
}

func sysTkill(c *cpu.CPU, t *thread.Thread, tg bool) (uint32, Errno) {
	tid, sig := int32(arg(t, 0)), int(arg(t, 1))
	if tg {
		tid, sig = int32(arg(t, 1)), int(arg(t, 2))
		if pid := int32(arg(t, 0)); pid != 1 {
			return 0, ESRCH
		}
	}
	if sig < 0 || sig > 128 {
		return 0, EINVAL
	}
	target, ok := thread.Lookup(tid, c.ID)
	if !ok {
		return 0, ESRCH
	}
	if sig == 0 || sig > maxSig {
		return 0, 0
	}
	sendSignal(c, target, sig)
	return 0, 0
}

func sysKill(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	pid, sig := int32(arg(t, 0)), int(arg(t, 1))
	if pid != 1 && pid != 0 && pid != -1 {
		return 0, ESRCH
	}
	if sig < 0 || sig > 128 {
		return 0, EINVAL
	}
	if sig == 0 || sig > maxSig {
		return 0, 0
	}
	// A process-directed signal goes to the caller if it does not block it.
	sendSignal(c, t, sig)
	return 0, 0
}

// Fault turns an exception of t into the signal Linux would send (the
// cpu.OnFault hook): the Go runtime then panics, as on Linux, or reports a
// fatal fault.
func Fault(c *cpu.CPU, t *thread.Thread) {
	f := &t.Frame
	code := mips32.ExcCode(f.Cause)
	sig, si := SIGSEGV, int32(segvMaperr)
	addr := f.BadVA
	switch code {
	case mips32.ExcMod:
		sig, si = SIGSEGV, segvAccerr
	case mips32.ExcTLBL, mips32.ExcTLBS:
		// A page of the paged space without a frame yet (or one this
		// core's TLB still holds as invalid): bind it and go on.
		if pageFault(c, t, uintptr(addr)) {
			return
		}
		sig, si = SIGSEGV, segvMaperr
	case mips32.ExcAdEL, mips32.ExcAdES:
		if addr >= 0x80000000 {
			// A kernel-segment address from user mode, or an
			// unaligned access: Linux sends SIGSEGV for the former and
			// SIGBUS for the latter.
			sig, si = SIGSEGV, segvMaperr
		}
		if addr&3 != 0 && addr < 0x80000000 {
			sig, si = SIGBUS, busAdraln
		}
	case mips32.ExcIBE, mips32.ExcDBE:
		sig, si = SIGBUS, busAdrerr
	case mips32.ExcRI, mips32.ExcCpU:
		sig, si, addr = SIGILL, illIllopc, f.EPC
	case mips32.ExcBp, mips32.ExcTr:
		sig, si, addr = SIGTRAP, trapBrkpt, f.EPC
	case mips32.ExcOv:
		sig, si, addr = SIGFPE, fpeIntovf, f.EPC
	default:
		fatalSignal(c, t, SIGILL, "an exception the kernel does not handle")
		return
	}
	stats(c).Faults++
	a := &sigactions[sig]
	if a.handler == sigDFL || a.handler == sigIGN || t.SigMask&sigBit(sig) != 0 || t.FaultDepth > 2 {
		fatalSignal(c, t, sig, "a fault with no handler to take it")
		return
	}
	t.FaultDepth++
	if !deliver(t, sig, si, addr) {
		fatalSignal(c, t, sig, "the signal frame could not be written")
	}
	stats(c).SignalsDelivered++
}
