package symtab

// Frame is one physical frame found by Unwind.
type Frame struct {
	// PC is the faulting pc for the innermost frame and a return address
	// for the others (see Return).
	PC uintptr
	// SP is the stack pointer while the frame runs (after its prologue).
	SP uintptr
	// Func is the function containing PC; invalid for a pc outside the
	// text, which Unwind reports as the last frame (or as the first one,
	// for a call through a bad pointer).
	Func Func
	// Return is set when PC is a return address. Its file, line and
	// inlined frames are those of the call, at PC-1 (LookupPC).
	Return bool
}

// LookupPC returns the pc to use for the frame's file, line and inlined
// frames: the call instruction for a return address. The frame offset
// printed after the function name still uses PC, as the runtime's own
// tracebacks do.
func (fr Frame) LookupPC() uintptr {
	if fr.Return && fr.PC > 0 {
		return fr.PC - 1
	}
	return fr.PC
}

// Unwind walks the Go frames of a stack from a faulting context (pc, sp and
// ra = R31) and writes them into out, innermost first; it returns how many it
// wrote.
//
// The MIPS Go calling convention it relies on (cmd/internal/obj/mips): a call
// puts the return address in R31 (the address after the call's delay slot);
// a function with a frame stores R31 at -size(SP) and then subtracts size from
// SP, so from then on its return address is at 0(SP) and the caller's SP is
// SP+size, size being the pcsp value at the pc; a function without a frame (a
// leaf) never moves SP and returns through R31. So in the innermost frame
// SPDelta 0 (a leaf, a prologue before the SP adjustment, an epilogue after
// it) means the caller is in ra; everywhere else it is read from 0(SP).
//
// Calls the runtime injects from its signal handler (runtime.sigpanic,
// asyncPreempt, debugCallV2) are unwound as the runtime does: the handler
// pushed the interrupted function's R31 in one word above the injected
// frame and made the interrupted pc look like the caller, so that frame
// reports the exact pc (Return is false) and, if it had no frame at that pc,
// its caller is the pushed word.
//
// read returns the word at an address, or false if the address must not be
// read; Unwind reads nothing else and only reads aligned words.
//
// The walk stops after a function marked as the top of a stack
// (runtime.goexit, mstart, rt0_go...) or one that writes SP in ways the
// table cannot describe (context switches: runtime.gogo, systemstack...), at
// a pc outside the text (reported as a last frame with an invalid Func), at a
// frame size it does not know, at an unreadable, misaligned or non-increasing
// SP, at a zero return address, or when out is full.
//
// A first pc outside the text is taken for a call through a bad pointer
// (a nil func value): it is reported as an invalid first frame and the walk
// goes on from ra with the same SP.
func (t *Table) Unwind(pc, sp, ra uintptr, read func(addr uintptr) (uint32, bool), out []Frame) int {
	if len(out) == 0 {
		return 0
	}
	n := 0
	// regLR: the frame's return address may still be in a register (ra),
	// as in the innermost frame or one interrupted by an injected call.
	// ret: pc is a return address.
	regLR, ret := true, false
	f, ok := t.FuncAt(pc)
	if !ok {
		out[0] = Frame{PC: pc, SP: sp}
		n = 1
		if ra == 0 || n == len(out) {
			return n
		}
		pc = ra
		if f, ok = t.FuncAt(pc); !ok {
			out[1] = Frame{PC: pc, SP: sp, Return: true}
			return 2
		}
		regLR, ret = false, true
	}
	for n < len(out) {
		out[n] = Frame{PC: pc, SP: sp, Func: f, Return: ret}
		n++
		if t.Flag(f)&(FlagTopFrame|FlagSPWrite) != 0 {
			break
		}
		id := t.FuncID(f)
		if id == FuncIDGoexit || id == FuncIDMstart || id == FuncIDRt0Go {
			break
		}
		delta, ok := t.spDelta(f, pc)
		if !ok || delta < 0 || delta%ptrSize != 0 {
			break
		}
		var lr uintptr
		if regLR && delta == 0 {
			lr = ra
		} else {
			if sp%ptrSize != 0 {
				break
			}
			w, ok := read(sp)
			if !ok {
				break
			}
			lr = uintptr(w)
		}
		next := sp + uintptr(delta)
		if next < sp || (!regLR && next == sp) {
			break // wrapped, or no progress: the stack is not what the table says
		}
		if lr == 0 {
			break
		}
		regLR, ret = false, true
		if id == FuncIDSigpanic || id == FuncIDAsyncPreempt || id == FuncIDDebugCallV2 {
			// lr is the interrupted pc; the word above this frame holds
			// the interrupted function's R31.
			pushed, ok := read(next)
			if !ok || next+ptrSize < next {
				break
			}
			next += ptrSize
			if _, ok := t.FuncAt(lr); !ok {
				// The runtime pretends nothing was called from a pc
				// outside Go code: the caller is the pushed R31.
				lr = uintptr(pushed)
			} else {
				ra = uintptr(pushed)
				regLR, ret = true, false
			}
		}
		nf, ok := t.FuncAt(lr)
		if !ok {
			if n < len(out) {
				out[n] = Frame{PC: lr, SP: next, Return: true}
				n++
			}
			break
		}
		pc, sp, f = lr, next, nf
	}
	return n
}
