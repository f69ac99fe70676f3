package boot

import (
	"unsafe"

	"almos/arch/mips32"
	"almos/boot/cmdline"
	"almos/kernel/cpu"
	"almos/kernel/diag"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/ktime"
	"almos/kernel/thread"
)

// SMP bring-up. Core 0 prepares every other core's block (vectors, trap and
// fault stacks, fake gs, scheduler, idle thread), routes the IPIs, then lets
// the cores go: it stores each core's block address in release[id], starts
// cores 1-7 through the CPC at a reset stub, and waits for every core to
// enter its scheduler. All of it happens before the Go runtime starts, so the
// runtime finds every core online when it counts them.

var (
	// resetStubMem holds, 4 KiB aligned, the two instructions a core
	// started by the CPC runs first: a jump to the kernel entry.
	resetStubMem [2 * 4096]byte
	hasCPS       bool
	cacheK0      uint32
)

func kentry() uintptr

// bringUp starts cores 1..n-1 and returns how many entered their scheduler.
func bringUp(n int) int {
	if n <= 1 {
		return 1
	}
	routeIPIs(n)
	cpu.SendIPI = sendIPI
	cpu.OnIRQ = irq
	for id := 1; id < n; id++ {
		b := installVectorsFor(uint32(id))
		tm, ok := timerMemory(uint32(id))
		if !ok {
			halt("SMP bring-up: no memory for a timer queue")
		}
		c := cpu.Init(uint32(id), b, tm, thread.MaxThreads, uintptr(unsafe.Pointer(&idleStacks[id][0]))+idleStackSize-16)
		c.Block().CurFrame = 0
	}
	stub := (uintptr(unsafe.Pointer(&resetStubMem[0])) + 4095) &^ 4095
	w := (*[2]uint32)(kmem.Ptr(stub))
	w[0] = 2<<26 | uint32(kentry()>>2)&0x3ffffff // j _kentry
	w[1] = 0
	if icacheLine != 0 {
		mips32.SyncICache(stub, 8, icacheLine)
	}
	start := ktime.Now()
	bringStart = start
	for id := 1; id < n; id++ {
		// Through KSEG1: the waiting core reads it uncached.
		*(*uintptr)(kmem.Ptr(uintptr(unsafe.Pointer(&release[id])) | 0x20000000)) = uintptr(unsafe.Pointer(block(uint32(id))))
	}
	startVPs(n, uint32(stub))
	// Wait for every core, at most a second.
	for cpu.Online.Load() < int32(n) && ktime.Now()-start < 1e9 {
	}
	return int(cpu.Online.Load())
}

var bringStart int64

// installVectorsFor prepares core id's block: "j trapEntry; nop" at each
// vector, the trap and fault-report stacks with their fake gs. It does not
// touch any core's EBase.
func installVectorsFor(id uint32) *mips32.Block {
	b := block(id)
	entry := uint32(mips32.TrapEntryAddr())
	j := 2<<26 | (entry>>2)&0x3ffffff
	for _, off := range [...]uintptr{mips32.VecCacheError, mips32.VecGeneral, mips32.VecInterrupt} {
		v := (*[2]uint32)(unsafe.Pointer(&b.Vectors[off]))
		v[0] = j
		v[1] = 0
	}
	// TLB refills go to their own handler: the paged space's misses never
	// reach Go code.
	refill := uint32(mips32.RefillEntryAddr())
	v := (*[2]uint32)(unsafe.Pointer(&b.Vectors[mips32.VecRefill]))
	v[0] = 2<<26 | (refill>>2)&0x3ffffff
	v[1] = 0
	setPaged(b)
	if icacheLine != 0 {
		mips32.SyncICache(uintptr(unsafe.Pointer(b)), 0x400, icacheLine)
	}
	b.ID = id
	b.TrapSP = uintptr(unsafe.Pointer(&trapStacks[id][0])) + trapStackSize - 16
	b.SetFakeG(uintptr(unsafe.Pointer(&trapStacks[id][0])), uintptr(unsafe.Pointer(&trapStacks[id][0]))+trapStackSize, 2048)
	b.TrapG = uintptr(unsafe.Pointer(&b.G[0]))
	b.NestFrame = uintptr(unsafe.Pointer(&b.Nest))
	b.NestSP = uintptr(unsafe.Pointer(&nestStacks[id][0])) + nestStackSize - 16
	b.SetNestG(uintptr(unsafe.Pointer(&nestStacks[id][0])), uintptr(unsafe.Pointer(&nestStacks[id][0]))+nestStackSize, 2048)
	b.NestG = uintptr(unsafe.Pointer(&b.NG[0]))
	return b
}

// secondaryMain runs on a released core, on its trap stack: it sets the core
// up like early boot set up core 0 and enters the core's idle thread.
func secondaryMain(b *mips32.Block) {
	id := b.ID
	initCaches(hasCPS, false)
	mips32.SetStatus(mips32.Status() | mips32.StatusBEV)
	mips32.SetEBase(uint32(uintptr(unsafe.Pointer(b))))
	mips32.SetStatus(mips32.Status() &^ (mips32.StatusBEV | mips32.StatusERL | mips32.StatusEXL | mips32.StatusIE | mips32.StatusKSU))
	mapWindow(ramHighAlias, uint32(Boot.UsedRAM), cacheK0)
	c := &cpu.CPUs[id]
	now := ktime.Now()
	c.UpNS = now
	c.BringUpNS = now - bringStart
	c.Idle.Sched.LastStart = now
	b.CurFrame = c.Idle.Addr()
	c.Online.Store(true)
	cpu.Online.Add(1)
	c.Reschedule()
	mips32.EnterFrame(b.CurFrame)
}

// irq handles the GIC pin of a core: its IPI.
func irq(c *cpu.CPU, pending uint32) {
	// Lower the IPI first, then take the work: work posted after this
	// point raises the IPI again. The work is taken whatever the pending
	// bit said (QEMU may show the pin before the bit, or after).
	ipi := takeIPI(c.ID)
	c.TakeWork()
	if ipi {
		c.Stats.IPIs++
		return
	}
	// The pin is up for something else: say what, once, so that an
	// interrupt storm is visible rather than a silent slowdown.
	c.Stats.Spurious++
	if c.Stats.Spurious == 1 {
		var l klog.Line
		l.S("irq: core ").U(uint64(c.ID)).S(": GIC pin 0 up with no IPI pending; GIC pending ").
			X(mips32.Read32(gicBase + gicShPend)).S(" ").X(mips32.Read32(gicBase + gicShPend + 4)).
			S(", local pending ").X(mips32.Read32(gicBase + gicLocal + gicVPPend)).
			S(" mask ").X(mips32.Read32(gicBase + gicLocal + gicVPMask)).Print()
	}
}

// stopOthers halts every other core (a fatal report is being printed).
func stopOthers() {
	self := mips32.CPUNum()
	for i := 0; i < cpu.Possible; i++ {
		if uint32(i) != self && cpu.CPUs[i].Online.Load() {
			cpu.CPUs[i].Post(cpu.WorkHalt)
			sendIPI(uint32(i))
		}
	}
}

// cpusWanted is the number of cores to bring up: all, or cpus= from the
// command line.
func cpusWanted() int {
	n := Boot.Cores
	if v, ok := cmdline.Get(Boot.Cmdline, "cpus"); ok {
		if k, ok := cmdline.ParseInt(v); ok && k >= 1 && int(k) < n {
			n = int(k)
		}
	}
	return n
}

func logCores(n int) {
	var l klog.Line
	l.S("cores:    ").U(uint64(cpu.Online.Load())).S(" of ").U(uint64(Boot.Cores)).S(" online; core 0 boots, the others came up in (ms):").Print()
	l.S("         ")
	for i := 1; i < n; i++ {
		c := &cpu.CPUs[i]
		l.S(" ").U(uint64(i)).S(":")
		if c.Online.Load() {
			ms := c.BringUpNS / 1e3
			l.U(uint64(ms / 1000)).C('.').U(uint64(ms % 1000 / 100))
		} else {
			l.S("failed")
		}
		if i%8 == 0 && i+1 < n {
			l.Print()
			l.S("         ")
		}
	}
	l.Print()
	_ = diag.StatusOK
}
