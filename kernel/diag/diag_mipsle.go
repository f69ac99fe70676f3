// Package diag reports what kills the kernel: the exception, the registers
// and a symbolized stack of the thread or trap context that failed, then it
// powers the machine off with a failing status. It never returns and never
// hangs silently.
//
// Trap-safe: it formats into stack buffers, reads stacks only at addresses
// kmem says are memory, and symbolizes from the image's own pclntab without
// the Go runtime.
package diag

import (
	"sync/atomic"

	"almos/arch/mips32"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/symtab"
)

// Exit statuses the kernel reports when it powers off.
const (
	StatusOK          = 0
	StatusTestsFailed = 1
	StatusGoFatal     = 2 // the Go runtime's own exit code after a fatal error
	StatusKernelFault = 3
	StatusBadCmdline  = 4
	StatusTooSmall    = 5 // the machine lacks what the kernel needs to boot (RAM)
)

var (
	// PowerOff ends the machine (set at boot).
	PowerOff func(status int)
	// StopOthers halts the other cores (set at boot on machines with IPIs).
	StopOthers func()
	// BeforeReport prints what the console held back of the output that
	// led here (standard error's budget), before the kernel's report.
	BeforeReport func()

	// Symbols is the image's symbol table.
	Symbols   symtab.Table
	symbolsOK bool

	dying atomic.Uint32

	// goFatalAs, when set, replaces StatusGoFatal (see GoFatalAs).
	goFatalAs atomic.Int32
)

// GoFatalAs makes the Go runtime's coming death power off with status
// instead of StatusGoFatal: the in-kernel test watchdog asked the runtime
// for its goroutines (SIGQUIT), and the death that follows is a failed
// test's.
func GoFatalAs(status int) {
	goFatalAs.Store(int32(status))
}

// InitSymbols loads the image's pclntab; without it stacks print as bare
// addresses.
func InitSymbols() error {
	tab, text := symtab.Image()
	if err := Symbols.Init(tab); err != nil {
		return err
	}
	if text != 0 {
		Symbols.SetText(text)
	}
	symbolsOK = true
	return nil
}

// Fatal reports a fatal event and powers off with status. f is the register
// state to show (nil if none); tid and core say whose it is.
func Fatal(core uint32, tid int32, name string, f *mips32.Frame, status int, title, why string) {
	if !dying.CompareAndSwap(0, 1) {
		// Another core is already reporting; let it finish.
		for {
			mips32.Wait()
		}
	}
	if StopOthers != nil {
		StopOthers()
	}
	klog.Emergency()
	if BeforeReport != nil {
		BeforeReport()
	}
	var l klog.Line
	l.S("\n*** ").S(title).Print()
	l.S("*** ").S(why).Print()
	l.S("core ").U(uint64(core)).S(", thread ").D(int64(tid))
	if name != "" {
		l.S(" (").S(name).S(")")
	}
	l.Print()
	if f != nil {
		code := mips32.ExcCode(f.Cause)
		l.S("exception: ").S(mips32.ExcName(code)).S(" (code ").U(uint64(code)).S(")").Print()
		l.S("EPC ").X(f.EPC).S("  BadVAddr ").X(f.BadVA).S("  Cause ").X(f.Cause).S("  Status ").X(f.Status).Print()
		Registers(f)
		Stack(f)
	}
	if status == StatusGoFatal {
		if s := goFatalAs.Load(); s != 0 {
			status = int(s)
			l.S("*** the in-kernel test watchdog made the Go runtime print its goroutines and end").Print()
		}
	}
	l.S("*** powering off with status ").D(int64(status)).Print()
	if PowerOff != nil {
		PowerOff(status)
	}
	for {
		mips32.Wait()
	}
}

// Registers prints the general registers four to a line, with HI and LO.
func Registers(f *mips32.Frame) {
	var l klog.Line
	for i := 0; i < 32; i++ {
		l.Pad((i % 4) * 19)
		name := mips32.RegNames[i]
		l.Pad((i%4)*19 + 4 - len(name)).S(name).C(' ').X(f.R[i])
		if i%4 == 3 {
			l.Print()
		}
	}
	l.S("  hi ").X(f.HI).S("    lo ").X(f.LO).Print()
}

// Stack prints the symbolized Go frames of the stack f describes.
func Stack(f *mips32.Frame) {
	StackFrom(uintptr(f.EPC), uintptr(f.R[mips32.RegSP]), uintptr(f.R[mips32.RegRA]))
}

// StackFrom prints the symbolized Go frames from a pc, sp and ra.
func StackFrom(pc, sp, ra uintptr) {
	var l klog.Line
	if !symbolsOK {
		l.S("stack: no symbol table; pc ").X(uint32(pc)).S(" ra ").X(uint32(ra)).Print()
		return
	}
	l.S("stack:").Print()
	var frames [48]symtab.Frame
	n := Symbols.Unwind(pc, sp, ra, kmem.Read32, frames[:])
	if n == 0 {
		l.S("  0x").X(uint32(pc)).S(" (no Go frame here)").Print()
	}
	var buf [1024]byte
	for i := 0; i < n; i++ {
		out := Symbols.AppendFrame(buf[:0], frames[i])
		klog.Write(out)
	}
	if n == len(frames) {
		l.S("  ...").Print()
	}
}

// Where names the function containing pc ("?" if unknown).
func Where(pc uintptr) string {
	if !symbolsOK {
		return "?"
	}
	fn, ok := Symbols.FuncAt(pc)
	if !ok {
		return "?"
	}
	return Symbols.Name(fn)
}
