package boot

import (
	"unsafe"

	"almos/arch/mips32"
	"almos/boot/cmdline"
	"almos/kernel/clusters"
	"almos/kernel/cpu"
	"almos/kernel/diag"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/krand"
	"almos/kernel/ktime"
	"almos/kernel/linux"
	"almos/kernel/thread"
	"almos/mm"
	"almos/sched"
)

// Set by _kentry.
var (
	entryCount uint32
	loaderArgs [4]uint32
	bootG      [32]uintptr
	bootStack  [131072]byte
	// release[i] becomes core i's boot stack top when SMP bring-up lets
	// it go.
	release [mips32.MaxCPU]uintptr
)

// Per-core memory that must exist before any allocator: the EBase blocks
// (aligned by hand, hence one spare), trap stacks and fault-report stacks.
const (
	trapStackSize = 32 << 10
	nestStackSize = 16 << 10
	idleStackSize = 512
)

var (
	blockMem   [(mips32.MaxCPU + 1) * mips32.BlockSize]byte
	trapStacks [mips32.MaxCPU][trapStackSize]byte
	nestStacks [mips32.MaxCPU][nestStackSize]byte
	idleStacks [mips32.MaxCPU][idleStackSize]byte
)

// The heap window: KUSEG virtual addresses mapped onto RAM by wired TLB
// entries. The Go runtime's heap must lie below 0x80000000.
const (
	windowBase = 0x40000000
	windowMax  = 1 << 30
)

func imageBounds() (start, end uintptr)

// tooSmallText is the line _kentry prints on a machine whose RAM cannot hold
// the image (data in entry_mipsle.s; never called).
func tooSmallText()

func block(id uint32) *mips32.Block {
	base := (uintptr(unsafe.Pointer(&blockMem[0])) + mips32.BlockSize - 1) &^ (mips32.BlockSize - 1)
	return (*mips32.Block)(kmem.Ptr(base + uintptr(id)*mips32.BlockSize))
}

func consolePutc(c byte) { mips32.ConsoleUART.Putc(c) }

func consoleGetc() (byte, bool) { return mips32.ConsoleUART.Getc() }

// Static buffers for what the boot loader passed: it lives in low memory the
// kernel does not keep.
var (
	cmdlineBuf [1024]byte
	cmdlineLen int
	envBuf     [512]byte
	envLen     int
	memsize    uint64
	ememsize   uint64
	rngseed    [64]byte
	rngseedLen int
)

// cstring copies the NUL-terminated string at p (a KSEG0 address from the
// boot loader) into dst and returns its length.
func cstring(p uint32, dst []byte) int {
	if p < 0x80000000 || p >= 0xa0000000 {
		return 0
	}
	n := 0
	for n < len(dst) {
		c := *(*byte)(kmem.Ptr(uintptr(p) + uintptr(n)))
		if c == 0 {
			break
		}
		dst[n] = c
		n++
	}
	return n
}

// equal compares bytes with a string without converting (no allocation).
func equal(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

func parseDec(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + uint64(c-'0')
	}
	return v
}

// readLoaderArgs takes the command line and the memory sizes from QEMU's
// boot loader: a1 = argv table (argv[1] is -append), a2 = envp table of
// name, value pairs, a3 = low RAM size. With -semihosting a0 is -1.
func readLoaderArgs() {
	Boot.Semihosting = loaderArgs[0] == 0xffffffff
	argv, envp := loaderArgs[1], loaderArgs[2]
	if argv >= 0x80000000 && argv < 0xa0000000 {
		p := *(*uint32)(kmem.Ptr(uintptr(argv) + 4))
		cmdlineLen = cstring(p, cmdlineBuf[:])
	}
	if envp >= 0x80000000 && envp < 0xa0000000 {
		var name [32]byte
		for i := uintptr(0); i < 32; i += 2 {
			np := *(*uint32)(kmem.Ptr(uintptr(envp) + 4*i))
			vp := *(*uint32)(kmem.Ptr(uintptr(envp) + 4*i + 4))
			if np == 0 {
				break
			}
			n := cstring(np, name[:])
			v := envBuf[envLen:]
			m := cstring(vp, v)
			switch {
			case equal(name[:n], "memsize"):
				memsize = parseDec(v[:m])
			case equal(name[:n], "ememsize"):
				ememsize = parseDec(v[:m])
			case equal(name[:n], "rngseed"):
				rngseedLen = copy(rngseed[:], v[:m])
			}
		}
	}
	Boot.RAMBytes = ememsize
	if Boot.RAMBytes == 0 {
		Boot.RAMBytes = memsize
	}
	if Boot.RAMBytes == 0 {
		Boot.RAMBytes = uint64(loaderArgs[3])
	}
	Boot.Cmdline = unsafe.String(&cmdlineBuf[0], cmdlineLen)
	if cmdlineLen == 0 {
		Boot.Cmdline = ""
	}
}

// initCaches invalidates the L1 caches by index and makes KSEG0 cacheable.
// QEMU does not model caches; a real core needs this before K0 changes.
func initCaches(coherent, describe bool) {
	c1 := mips32.Config1()
	isets := uintptr(64) << ((c1 >> 22) & 7)
	iline := uintptr(0)
	if l := (c1 >> 19) & 7; l != 0 {
		iline = 2 << l
	}
	iways := uintptr((c1>>16)&7) + 1
	dsets := uintptr(64) << ((c1 >> 13) & 7)
	dline := uintptr(0)
	if l := (c1 >> 10) & 7; l != 0 {
		dline = 2 << l
	}
	dways := uintptr((c1>>7)&7) + 1
	mips32.ClearTagLo()
	if iline != 0 {
		mips32.ICacheIndexStoreTag(0x80000000, isets*iways*iline, iline)
	}
	if dline != 0 {
		mips32.DCacheIndexStoreTag(0x80000000, dsets*dways*dline, dline)
	}
	k0 := uint32(3) // cacheable, non-coherent, write-back
	if coherent {
		k0 = 5 // cacheable, coherent write-back: the CM keeps cores coherent
	}
	mips32.SetConfig(mips32.Config()&^7 | k0)
	icacheLine = iline
	if !describe {
		return
	}
	cacheDesc.S("L1 I ").U(uint64(isets * iways * iline >> 10)).S(" KiB ").U(uint64(iways)).S("-way ").U(uint64(iline)).S(" B lines, D ").
		U(uint64(dsets * dways * dline >> 10)).S(" KiB ").U(uint64(dways)).S("-way ").U(uint64(dline)).S(" B lines, KSEG0 cache attribute ").U(uint64(k0))
}

var (
	icacheLine uintptr
	cacheDesc  klog.Line
)

// installVectors prepares core id's block (installVectorsFor) and points
// this core's EBase at it.
func installVectors(id uint32) *mips32.Block {
	b := installVectorsFor(id)
	// EBase may be written only with Status.BEV set.
	st := mips32.Status()
	mips32.SetStatus(st | mips32.StatusBEV)
	mips32.SetEBase(uint32(uintptr(unsafe.Pointer(b))))
	return b
}

// TLB entry helpers.
func pageMask(size uint32) uint32 { return (size>>12 - 1) << 13 }

func entryLo(pa uint64, cache uint32, valid bool) uint32 {
	if !valid {
		return 0
	}
	return uint32(pa>>12)<<6 | cache<<3 | 1<<2 | 1<<1 | 1 // D, V, G
}

var windowEntries int

// mapWindow maps [windowBase, windowBase+size) onto physical RAM from
// phys with wired TLB entries, largest pages first (mips32.PlanWindow: no
// two entries' pair spans overlap), and invalidates every other entry.
func mapWindow(phys uint64, size uint32, cache uint32) {
	entries := (mips32.Config1()>>25)&0x3f + 1
	var plan [64]mips32.WindowEntry
	n, ok := mips32.PlanWindow(size, plan[:entries/2])
	if !ok {
		halt("early boot: the heap window needs more wired TLB entries than half the TLB")
	}
	for i, e := range plan[:n] {
		mips32.WriteTLB(uint32(i), (windowBase+e.Off)&^0x1fff, entryLo(phys+uint64(e.Off), cache, true),
			entryLo(phys+uint64(e.Off+e.Size), cache, e.Both), pageMask(e.Size))
	}
	idx := uint32(n)
	mips32.SetWired(idx)
	windowEntries = int(idx)
	// The other entries map distinct unmapped KSEG0 pages, invalid, so that
	// no two entries can ever match the same address; PageMask is left at
	// 4 KiB for the refill handler.
	mips32.FlushTLB(idx, entries)
}

// The paged space: the kernel process's mappings (the Go runtime's heap,
// stacks and metadata), below the heap window. Its size is eight times the
// RAM managed, within [128 MiB, 768 MiB]: address space the runtime may
// reserve without binding frames; its page table (4 bytes a page) and state
// map (1 byte a page) come from cluster 0's bank.
const (
	pagedMin = 128 << 20
	pagedMax = 768 << 20
)

var pagedBase, pagedSize, pagedTable uintptr

func initPagedSpace(ram uint64, cacheAttr uint32) {
	size := uintptr(min(max(8*ram, pagedMin), pagedMax))
	npages := size >> mm.PageShift
	tableRun := (mm.SpaceTableBytes(npages) + mm.PageSize - 1) >> mm.PageShift
	stateRun := (mm.SpaceStateBytes(npages) + mm.PageSize - 1) >> mm.PageShift
	table, ok1 := clusters.Managers[0].Pages.AllocRun(tableRun)
	state, ok2 := clusters.Managers[0].Pages.AllocRun(stateRun)
	if !ok1 || !ok2 {
		halt("early boot: no memory for the page table of the paged space")
	}
	base := windowBase - size
	if !linux.InitVM(base, npages, table, state, uint32(ramHighAlias-windowBase), cacheAttr) {
		halt("early boot: the paged space cannot be set up")
	}
	pagedBase, pagedSize, pagedTable = base, size, table
	// Limbo: frames given back wait there for every core's TLB flush.
	const limboEntries = 16384
	ring, ok := clusters.Managers[0].Pages.AllocRun(limboEntries * 8 >> mm.PageShift)
	if !ok {
		halt("early boot: no memory for the ring of frames awaiting TLB flushes")
	}
	linux.InitLimbo(ring, limboEntries)
	Boot.PagedBase, Boot.PagedSize = base, size
}

// tlbTimeout reports a core that did not flush its TLB when asked: frames
// cannot be given back safely, so the machine stops.
func tlbTimeout(c *cpu.CPU, other uint32) {
	var l klog.Line
	l.S("*** KERNEL FAULT: core ").U(uint64(c.ID)).S(" asked every core to flush its TLB; core ").U(uint64(other)).S(" did not answer within 30 s").Print()
	PowerOff(diag.StatusKernelFault)
}

// tlbSlow says that a core took over a second to answer a TLB flush (its
// host thread starved, or it is stuck with interrupts off).
func tlbSlow(c *cpu.CPU, other uint32) {
	var l klog.Line
	l.S("mm: core ").U(uint64(c.ID)).S(" waits for core ").U(uint64(other)).S(" to flush its TLB for over a second").Print()
}

// setPaged tells core b's TLB refill handler where the paged space is.
func setPaged(b *mips32.Block) {
	b.PagedTable = pagedTable
	b.PagedBase = pagedBase
	b.PagedSize = pagedSize
}

// cmdline problems found in early boot
var cmdlineStops int

func reportProblem(p cmdline.Problem) {
	var l klog.Line
	if p.Cut {
		// The loader dropped the tail without a word: say so, and that
		// the last word may be half of one.
		l.S("cmdline: the line reached QEMU malta's limit (").U(uint64(len(Boot.Cmdline))).
			S(" bytes; its loader keeps 255 and drops the rest): its end is lost; use at most ").D(cmdline.MaxLen).S(" bytes").Print()
		if p.Word != "" {
			l.S("cmdline: the last word, \"").S(p.Word).S("\", may be cut short: it is ignored").Print()
		}
		return
	}
	l.S("cmdline: \"").S(p.Word).S("\": ").S(p.What)
	if p.Opt != nil {
		var accepted [160]byte
		l.S("; ").S(p.Key).S(" takes ").B(accepted[:p.Opt.Describe(accepted[:])])
		if p.OnError == cmdline.Default {
			l.S("; using the default ").S(p.Opt.Default)
		}
	} else {
		l.S(" (known keys:")
		for i := range cmdline.Options {
			l.S(" ").S(cmdline.Options[i].Key)
		}
		l.S(")")
	}
	l.Print()
}

// early initializes the machine and returns the stack pointer of the Go
// runtime's start frame.
func early() uintptr {
	var ahead [16]byte
	nahead := mips32.ConsoleUART.Init(ahead[:])
	klog.Device = consolePutc
	klog.CPU = mips32.CPUNum
	maskPICs()
	readLoaderArgs()

	diag.PowerOff = PowerOff
	var l klog.Line
	if err := diag.InitSymbols(); err != nil {
		l.S("early boot: no symbol table: ").S(err.Error()).Print()
	}
	l.S("\nALMOS ").S(Version).S(": Advanced Locality Management Operating System, in Go").Print()
	checkRAM()

	// The CPS: a Coherence Manager at the address CMGCRBase names means
	// several cores and a GIC.
	// With -smp 1 QEMU still reports the GCR address in CP0 but the
	// registers read 0: check GCR_BASE itself.
	gcr := uintptr(mips32.CMGCRBase()) << 4
	hasCM := mips32.Config3()&(1<<29) != 0 && gcr == 0x1fbf8000 &&
		mips32.Read32(gcrBase+0x08)&0xffff8000 == 0x1fbf8000
	hasCPS = hasCM
	Boot.Cores = 1
	if hasCM {
		Boot.Cores = cpsInit()
	}
	cpu.Possible = Boot.Cores
	initCaches(hasCM, true)
	Boot.CacheInfo = unsafe.String(&cacheDesc.Bytes()[0], len(cacheDesc.Bytes()))

	b := installVectors(0)
	// Until the first thread exists, an exception can only be a fault of
	// early boot itself: report it.
	b.CurFrame = uintptr(unsafe.Pointer(&earlyFrame))
	mips32.SetHandlers(earlyFault, nestedFault)
	mips32.SetStatus(mips32.Status() &^ (mips32.StatusBEV | mips32.StatusERL | mips32.StatusEXL | mips32.StatusIE | mips32.StatusKSU))

	// Clock: calibrate Count (and the GIC counter) against the PIT.
	var clockHz uint64
	if hasCM {
		Boot.CountHz, clockHz = calibrate(5, gicCounter)
		Boot.ClockName = "GIC shared counter"
	} else {
		Boot.CountHz, _ = calibrate(5, nil)
		clockHz = Boot.CountHz
		Boot.ClockName = "CP0 Count (widened to 64 bits)"
	}
	Boot.ClockHz = clockHz
	cpu.InitCountClock(Boot.CountHz)
	wall := readRTC() * 1e9
	if hasCM {
		// Time 0 is the kernel's entry: back-date the GIC origin by the
		// Count ticks since then.
		since := uint64(mips32.Count()-entryCount) * clockHz / Boot.CountHz
		now := gicCounter()
		ktime.Init(gicCounter, clockHz, wall)
		ktime.Rebase(now - since)
	} else {
		cpu.CountClock64() // prime the widening with the entry time
		ktime.Init(cpu.CountClock64, clockHz, wall)
		ktime.Rebase(uint64(entryCount))
	}

	// Entropy: QEMU's rngseed (from the host's random source), the RTC,
	// and counter values that depend on boot timing.
	krand.Seed(rngseed[:rngseedLen])
	var mix [16]byte
	c := mips32.Count()
	for i := 0; i < 4; i++ {
		mix[i] = byte(c >> (8 * uint(i)))
		mix[4+i] = byte(entryCount >> (8 * uint(i)))
		mix[8+i] = byte(uint64(wall) >> (8 * uint(i+2)))
	}
	krand.Seed(mix[:])

	// Memory.
	imgStart, imgEnd := imageBounds()
	Boot.ImageStart = imgStart &^ 0xffff
	Boot.ImageEnd = (imgEnd + mm.PageSize - 1) &^ (mm.PageSize - 1)
	kmem.Image = kmem.Range{Start: Boot.ImageStart, End: Boot.ImageEnd}
	ram := Boot.RAMBytes
	if v, ok := cmdline.Get(Boot.Cmdline, "mem"); ok {
		if n, ok := cmdline.ParseSize(v); ok && n >= cmdline.MinRAM && uint64(n) < ram {
			ram = uint64(n)
		}
	}
	if ram > windowMax {
		ram = windowMax
	}
	ram &^= mm.PageSize<<mm.MaxOrder - 1 // whole 4 MiB blocks
	Boot.UsedRAM = ram
	Boot.Window = windowBase
	Boot.WindowPhys = ramHighAlias
	cacheAttr := uint32(3)
	if hasCM {
		cacheAttr = 5
	}
	cacheK0 = cacheAttr
	mapWindow(ramHighAlias, uint32(ram), cacheAttr)
	kmem.Window = kmem.Range{Start: windowBase, End: windowBase + uintptr(ram)}
	kmem.WindowPhys = ramHighAlias

	// Clusters: the mesh, one bank of RAM and one manager each. Cluster 0's
	// bank begins with what stays reserved: the first MiB (boot loader
	// data), the kernel image (both seen through the window).
	planned := 1
	if hasCM {
		planned = cpusWanted()
	}
	reserved0 := Boot.ImageEnd - 0x80000000
	topo := topology(planned, uint64(ram), reserved0)
	if !clusters.Init(topo, reserved0) {
		halt("early boot: a cluster's bank cannot hold its allocator")
	}
	initPagedSpace(uint64(ram), cacheAttr)
	linux.RAMBytes = Boot.RAMBytes
	if !clusters.InitTree() {
		halt("early boot: no memory for the DQDT")
	}

	// Core 0's scheduler and its first thread, the one the runtime starts on.
	if v, ok := cmdline.Get(Boot.Cmdline, "slice"); ok {
		if ms, ok := cmdline.ParseInt(v); ok && ms >= 1 && ms <= 1000 {
			cpu.Slice = ms * 1e6
		}
	}
	setPaged(b)
	tm, ok := timerMemory(0)
	if !ok {
		halt("early boot: no memory for the timer queue")
	}
	c0 := cpu.Init(0, b, tm, thread.MaxThreads, uintptr(unsafe.Pointer(&idleStacks[0][0]))+idleStackSize-16)
	t0, ok := thread.New(0)
	if !ok {
		halt("early boot: no thread descriptor")
	}
	t0.SetName("main")
	sched.InitEntity(&t0.Sched, 0, sched.RoundRobin)
	now := ktime.Now()
	t0.Created = now
	c0.Sched.Run(t0.Entity(), now)
	b.CurFrame = t0.Addr()

	linux.Init()
	cpu.Placement = clusters.Placer{}
	cpu.OnGive = clusters.Give
	cpu.OnLoad = clusters.ReportLoad
	cpu.OnMove = clusters.ThreadMoved
	cpu.SameCluster = sameCluster
	linux.OnTickExtra = clusters.Tick
	linux.AllocPages = clusters.AllocRun
	linux.FreePages = clusters.FreeRange
	linux.PageFree = clusters.IsFree
	cpu.OnTLBTimeout = tlbTimeout
	cpu.OnTLBSlow = tlbSlow
	linux.PageStats = clusters.MemStats
	clusters.ThreadMoved(-1, 0) // the first thread
	mips32.SetHandlers(cpu.Trap, nestedFault)
	linux.PowerOff = PowerOff
	linux.ConsoleGetc = consoleGetc
	linux.ConsoleTypeAhead(ahead[:nahead])

	// The other cores, before the Go runtime counts them.
	c0.Online.Store(true)
	cpu.Online.Store(1)
	if hasCM {
		diag.StopOthers = stopOthers
		// Not more than the topology holds (fewer only when the boot is
		// to stop at main because the mesh does not fit).
		bringUp(min(cpusWanted(), clusters.Topo.NumCores()))
	}
	Boot.Online = int(cpu.Online.Load())

	Boot.Board = "malta"
	Boot.PRId = mips32.PRId()
	Boot.CPUModel = cpuModel(Boot.PRId)
	switch cmdline.GetOr(Boot.Cmdline, "loglevel") {
	case "quiet":
		// Only problems from here on.
	case "debug":
		linux.Debug = true
		printBootLog()
	default:
		printBootLog()
	}

	// Command line: every mistake is reported; those that stop the boot
	// stop it once the Go runtime can print the full list (main).
	cmdlineStops = cmdline.Check(Boot.Cmdline, reportProblem)
	Boot.CmdlineStop = cmdlineStops > 0

	sp := startFrame()
	c0.UpNS = ktime.Now()
	Boot.EarlyNS = c0.UpNS
	// Interrupts on, timer armed: from here the core preempts and the
	// runtime's threads run under the scheduler.
	c0.Reschedule()
	mips32.SetStatus(mips32.Status()&^mips32.StatusIMs | mips32.StatusIM0<<7 | mips32.StatusIM0<<2 | mips32.StatusIE)
	return sp
}

// checkRAM stops the boot of a machine with less RAM than the kernel needs,
// with one line saying how much it has and how much it needs. (A machine
// whose RAM cannot even hold the image is stopped by _kentry.)
func checkRAM() {
	if Boot.RAMBytes >= cmdline.MinRAM {
		return
	}
	var l klog.Line
	l.S("early boot: ").U(Boot.RAMBytes >> 20).S(" MiB of RAM found; ALMOS needs at least ").U(cmdline.MinRAM >> 20).
		S(" MiB (QEMU -m ").U(cmdline.MinRAM >> 20).S("); powering off with status ").D(diag.StatusTooSmall).Print()
	PowerOff(diag.StatusTooSmall)
}

// earlyFrame receives the registers of an exception in early boot.
var earlyFrame mips32.Frame

// earlyFault reports an exception taken before the first thread exists.
func earlyFault(b *mips32.Block) {
	diag.Fatal(b.ID, -1, "early boot", &earlyFrame, diag.StatusKernelFault,
		"KERNEL FAULT in early boot", "an exception before the Go runtime started")
}

// halt stops the boot with a message when early boot cannot go on.
func halt(why string) {
	var l klog.Line
	l.S(why).Print()
	PowerOff(diag.StatusKernelFault)
}

// nestedFault reports an exception taken in trap context and powers off.
func nestedFault(b *mips32.Block) {
	tid := int32(-1)
	if b.CurFrame != 0 {
		tid = thread.At(b.CurFrame).TID
	}
	diag.Fatal(b.ID, tid, "trap context", &b.Nest, diag.StatusKernelFault,
		"KERNEL FAULT in trap context", "an exception while the kernel was handling a trap")
}

// PowerOff ends the machine with status: through semihosting when QEMU
// offers it (the status becomes QEMU's exit code), else by ACPI soft-off
// (QEMU exits with 0; the status is only printed), else by board reset.
func PowerOff(status int) {
	mips32.DisableInterrupts()
	if Boot.Semihosting {
		mips32.SemihostExit(uint32(status))
	}
	acpiPowerOff()
	resetBoard()
	for {
		mips32.Wait()
	}
}

func cpuModel(prid uint32) string {
	if prid>>16&0xff == 1 {
		switch prid >> 8 & 0xff {
		case 0xa8:
			return "MIPS P5600"
		case 0xa0:
			return "MIPS interAptiv"
		case 0x99:
			return "MIPS 1004Kc"
		case 0x93:
			return "MIPS 24Kf"
		case 0x97:
			return "MIPS 74Kf"
		}
		return "MIPS Technologies core"
	}
	return "unknown MIPS32 core"
}

func printBootLog() {
	var l klog.Line
	l.S("board:    ").S(Boot.Board).S(" (QEMU malta), ").S(Boot.CPUModel).S(", PRId ").X(Boot.PRId).Print()
	if Boot.Cores > 1 {
		logCores(cpusWanted())
	} else {
		l.S("cores:    1 present, 1 online").Print()
	}
	l.S("caches:   ").B(cacheDesc.Bytes()).Print()
	l.S("clock:    CP0 Count ").U(Boot.CountHz / 1000).S(" kHz; time from the ").S(Boot.ClockName)
	if Boot.ClockHz != Boot.CountHz {
		l.S(" at ").U(Boot.ClockHz / 1000).S(" kHz")
	}
	l.S(" (measured against the i8254 PIT)").Print()
	l.S("RAM:      ").U(Boot.RAMBytes >> 20).S(" MiB found, ").U(Boot.UsedRAM >> 20).S(" MiB managed").Print()
	l.S("memory map:").Print()
	l.S("  0x80000000-0x800fffff  KSEG0 low memory: boot loader data (reserved)").Print()
	l.S("  ").X(uint32(Boot.ImageStart)).S("-").X(uint32(Boot.ImageEnd - 1)).S("  KSEG0 kernel image, data, bss (").U(uint64(Boot.ImageEnd-Boot.ImageStart) >> 10).S(" KiB)").Print()
	l.S("  ").X(uint32(Boot.PagedBase)).S("-").X(uint32(Boot.PagedBase + Boot.PagedSize - 1)).S("  KUSEG paged space: the Go runtime's mappings, frames bound on first touch").Print()
	l.S("  ").X(windowBase).S("-").X(uint32(windowBase + Boot.UsedRAM - 1)).S("  KUSEG heap window -> physical ").X(uint32(ramHighAlias)).S(" (").D(int64(windowEntries)).S(" wired TLB entr")
	if windowEntries == 1 {
		l.S("y)")
	} else {
		l.S("ies)")
	}
	l.Print()
	st := clusters.MemStats()
	l.S("  page allocators: ").U(uint64(st.TotalPages)).S(" pages of 4 KiB in ").U(uint64(clusters.N())).S(" bank")
	if clusters.N() != 1 {
		l.S("s")
	}
	l.S(", ").U(uint64(st.FreePages)).S(" free").Print()
	l.S("  0xb8000000            KSEG1 ISA I/O (UART 0x3f8, PIT 0x40, RTC 0x70, ACPI 0x1000)").Print()
	if Boot.Cores > 1 {
		l.S("  0xbbdc0000 GIC, 0xbbde0000 CPC, 0xbfbf8000 GCR (KSEG1)").Print()
	}
	printTopology()
	// The line may be longer than a klog.Line holds: its text goes out
	// on its own, so the closing quote and the newline are never lost.
	l.S("cmdline:  \"").Flush()
	klog.Puts(Boot.Cmdline)
	l.S("\"").Print()
	if Boot.Semihosting {
		l.S("power-off: semihosting (exit status reaches the host)").Print()
	} else {
		l.S("power-off: ACPI soft-off (exit status printed only; run QEMU with -semihosting to get it)").Print()
	}
	l.S("early boot done in ").Ms(ktime.Now()).Print()
}
