package linux

import (
	"unsafe"

	"almos/dqdt"
	"almos/kernel/clusters"
	"almos/kernel/cpu"
	"almos/kernel/diag"
	"almos/kernel/kapi"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/krand"
	"almos/kernel/ktime"
	"almos/kernel/thread"
	"almos/mm"
)

const (
	kcallBase  = kapi.CallBase
	kcallCount = kapi.CallCount
)

// RAMBytes is the machine's RAM (set at boot).
var RAMBytes uint64

func kcall(c *cpu.CPU, t *thread.Thread, n uint32) (uint32, Errno) {
	switch n {
	case kapi.CallPowerOff:
		status := int(int32(arg(t, 0)))
		var l klog.Line
		l.S("kernel: power off, status ").D(int64(status)).Print()
		PowerOff(status)
		return 0, parked
	case kapi.CallMemStats:
		p := uintptr(arg(t, 0))
		var m kapi.MemStats
		if !kmem.ValidAligned(p, unsafe.Sizeof(m), 4) {
			return 0, EFAULT
		}
		memStats(c, (*kapi.MemStats)(kmem.Ptr(p)))
		return 0, 0
	case kapi.CallSysStats:
		p := uintptr(arg(t, 0))
		var s kapi.SysStats
		if !kmem.ValidAligned(p, unsafe.Sizeof(s), 4) {
			return 0, EFAULT
		}
		sysStats((*kapi.SysStats)(kmem.Ptr(p)))
		return 0, 0
	case kapi.CallClock:
		p := uintptr(arg(t, 0))
		var k kapi.Clock
		if !kmem.ValidAligned(p, unsafe.Sizeof(k), 4) {
			return 0, EFAULT
		}
		out := (*kapi.Clock)(kmem.Ptr(p))
		out.Counter = ktime.Counter()
		out.NS = ktime.Now()
		out.Hz = ktime.Hz()
		out.CountHz = cpu.CountHz
		return 0, 0
	case kapi.CallWhere:
		return c.ID, 0
	case kapi.CallIPIPing:
		return ipiPing(c, arg(t, 0), arg(t, 1))
	case kapi.CallClusters:
		p, max := uintptr(arg(t, 0)), uintptr(arg(t, 1))
		var ci kapi.ClusterInfo
		if !kmem.ValidAligned(p, max*unsafe.Sizeof(ci), 4) {
			return 0, EFAULT
		}
		return uint32(clusterInfo(p, int(max))), 0
	case kapi.CallTree:
		p, max := uintptr(arg(t, 0)), uintptr(arg(t, 1))
		var tn kapi.TreeNode
		if !kmem.ValidAligned(p, max*unsafe.Sizeof(tn), 4) {
			return 0, EFAULT
		}
		return uint32(treeNodes(p, int(max))), 0
	case kapi.CallAddrHome:
		// The cluster whose bank holds the byte at the address: for the
		// paged space, its page's frame (-1 while it has none).
		a := uintptr(arg(t, 0))
		if w, ok := resolve(a); ok {
			a = w
		}
		return uint32(int32(clusters.OfAddr(a))), 0
	case kapi.CallLocality:
		p := uintptr(arg(t, 0))
		var l kapi.Locality
		if !kmem.ValidAligned(p, unsafe.Sizeof(l), 4) {
			return 0, EFAULT
		}
		s := &clusters.Stats
		out := (*kapi.Locality)(kmem.Ptr(p))
		*out = kapi.Locality{PlacedLocal: uint64(s.PlacedLocal.Load()), PlacedRemote: uint64(s.PlacedRemote.Load()),
			Spills: uint64(s.Spills.Load()), Pulls: uint64(s.Pulls.Load()), PullsAnswered: uint64(s.PullsAnswered.Load()),
			PulledRemote: uint64(s.PulledRemote.Load()), LoadScale: dqdt.LoadScale}
		for k := range s.PlacedOn {
			out.PlacedOn[k] = uint64(s.PlacedOn[k].Load())
		}
		return 0, 0
	case kapi.CallPlaceMode:
		m := arg(t, 0)
		if m > kapi.PlaceLocal {
			return 0, EINVAL
		}
		return clusters.Mode.Swap(m), 0
	case kapi.CallWatchdog:
		p, n, ms := uintptr(arg(t, 0)), uintptr(arg(t, 1)), arg(t, 2)
		if n > 32 || n != 0 && !kmem.Valid(p, n) {
			return 0, EFAULT
		}
		var name []byte
		if n != 0 {
			name = kmem.Bytes(p, n)
		}
		armWatchdog(c, t, name, int64(ms)*1e6)
		return 0, 0
	case kapi.CallDumpThreads:
		DumpThreads(c)
		return 0, 0
	case kapi.CallCheckVM:
		return uint32(checkVM(c)), 0
	case kapi.CallCPUs:
		p, max := uintptr(arg(t, 0)), uintptr(arg(t, 1))
		var ci kapi.CPUInfo
		if !kmem.ValidAligned(p, max*unsafe.Sizeof(ci), 4) {
			return 0, EFAULT
		}
		return uint32(cpuInfo(p, int(max))), 0
	case kapi.CallThreads:
		p, max := uintptr(arg(t, 0)), uintptr(arg(t, 1))
		var ti kapi.ThreadInfo
		if !kmem.ValidAligned(p, max*unsafe.Sizeof(ti), 4) {
			return 0, EFAULT
		}
		return uint32(threadInfo(c, p, int(max))), 0
	case kapi.CallLog:
		p, max := uintptr(arg(t, 0)), uintptr(arg(t, 1))
		if !kmem.Valid(p, max) {
			return 0, EFAULT
		}
		return uint32(klog.History(kmem.Bytes(p, max))), 0
	case kapi.CallFault:
		switch arg(t, 0) {
		case kapi.FaultTrapLoad:
			var l klog.Line
			l.S("kernel: faulting on purpose in trap context (load from 0x00000010)").Print()
			v := *kmem.U32(0x10)
			return v, 0
		}
		return 0, EINVAL
	}
	return 0, ENOSYS
}

func memStats(c *cpu.CPU, m *kapi.MemStats) {
	reclaim(c)
	s := PageStats()
	*m = kapi.MemStats{
		RAMBytes:    RAMBytes,
		PageSize:    mm.PageSize,
		TotalPages:  uint64(s.TotalPages),
		FreePages:   uint64(s.FreePages),
		MappedRW:    uint64(VM.Space.Mapped),
		Reserved:    uint64(VM.Space.Reserved),
		Resident:    uint64(VM.Space.Resident),
		Maps:        VM.Maps,
		Unmaps:      VM.Unmaps,
		MapFailures: VM.Failures,
		ZeroedBytes: VM.Faults * mm.PageSize,
		PageFaults:  VM.Faults,
		Released:    limbo.Freed,
		Limbo:       uint64(LimboFrames()),
		TLBFlushes:  uint64(cpu.TLBFlushes.Load()),
		SpacePages:  uint64(VM.Space.Pages()),
		ImageBytes:  uint64(kmem.Image.Size()),
	}
	for i := range m.FreeBlocks {
		m.FreeBlocks[i] = uint64(s.FreeBlocks[i])
	}
	m.KernelPages = m.TotalPages - m.FreePages - m.Resident - m.Limbo
}

func sysStats(s *kapi.SysStats) {
	t := Total()
	var calls uint64
	for _, n := range t.Calls {
		calls += n
	}
	*s = kapi.SysStats{
		Calls:            calls,
		Errors:           t.Errors,
		NoSys:            t.NoSys,
		FutexWaits:       t.FutexWaits,
		FutexWakes:       t.FutexWakes,
		FutexWoken:       t.FutexWoken,
		FutexTimeouts:    t.FutexTimeouts,
		SignalsSent:      t.SignalsSent,
		SignalsDelivered: t.SignalsDelivered,
		Interrupted:      t.Interrupted,
		Faults:           t.Faults,
		ThreadsCreated:   t.ThreadsCreated,
		ThreadsExited:    t.ThreadsExited,
	}
}

// cpuInfo fills in each core's state for display. Other cores' fields are
// read while their owners may be changing them: the result is a snapshot,
// not a consistent cut. The queue lengths are atomic; a 64-bit counter,
// written only by its own core, may read torn across a carry into its high
// word, which a display can bear and an atomic read would not be worth (a
// 64-bit atomic takes a lock on MIPS32).
func cpuInfo(p uintptr, max int) int {
	var ci kapi.CPUInfo
	n := 0
	for i := range cpu.CPUs {
		if n >= max || i >= cpu.Possible {
			break
		}
		c := &cpu.CPUs[i]
		out := (*kapi.CPUInfo)(kmem.Ptr(p + uintptr(n)*unsafe.Sizeof(ci)))
		*out = kapi.CPUInfo{ID: uint32(i)}
		if c.Online.Load() {
			out.Online = 1
			out.Current = c.Current().TID
			out.Ready = uint32(c.Sched.Ready())
			out.Timers = uint32(c.Sched.Timers())
		}
		out.Traps, out.Syscalls, out.Interrupts = c.Stats.Traps, c.Stats.Syscalls, c.Stats.Interrupts
		out.TimerIRQs, out.IPIs, out.Faults = c.Stats.TimerIRQs, c.Stats.IPIs, c.Stats.Faults
		out.Spurious = c.Stats.Spurious
		st := &c.Sched.Stats
		out.Switches, out.Preemptions, out.Wakeups, out.Posted = st.Switches, st.Preemptions, st.Wakeups, st.Posted
		out.Throttles = st.Throttles
		out.SliceNS = c.Sched.Slice
		out.IdleNS, out.UpNS, out.BringUpNS = st.IdleNS, c.UpNS, c.BringUpNS
		n++
	}
	return n
}

func threadInfo(c *cpu.CPU, p uintptr, max int) int {
	var ti kapi.ThreadInfo
	n := 0
	thread.Each(c.ID, func(t *thread.Thread) {
		if n >= max {
			return
		}
		out := (*kapi.ThreadInfo)(kmem.Ptr(p + uintptr(n)*unsafe.Sizeof(ti)))
		*out = kapi.ThreadInfo{
			TID:         t.TID,
			Core:        t.Sched.Core,
			State:       uint32(t.Sched.State),
			Policy:      uint32(t.Sched.Policy),
			RunNS:       t.Sched.RunNS,
			Switches:    t.Sched.Switches,
			Preempted:   t.Sched.Preempted,
			Syscalls:    t.Syscalls,
			LastSyscall: t.LastSyscall,
			Migrations:  t.Sched.Migrations,
			Name:        t.Name,
		}
		n++
	})
	return n
}

func clusterInfo(p uintptr, max int) int {
	var ci kapi.ClusterInfo
	n := 0
	for id := 0; id < clusters.N() && n < max; id++ {
		m := &clusters.Managers[id]
		x, y := clusters.Topo.Coords(id)
		st := m.Pages.Stats()
		out := (*kapi.ClusterInfo)(kmem.Ptr(p + uintptr(n)*unsafe.Sizeof(ci)))
		*out = kapi.ClusterInfo{ID: int32(id), X: int32(x), Y: int32(y), FirstCore: int32(m.FirstCore), NCores: int32(m.NCores),
			BankBase: m.Bank.Base, BankSize: m.Bank.Size, TotalPages: uint64(st.TotalPages), FreePages: uint64(st.FreePages),
			Spilled: uint64(m.Spilled.Load()), Lent: uint64(m.Lent.Load())}
		if clusters.Ready {
			if s, ok := clusters.Tree.Cluster(id); ok {
				out.Threads, out.Load = s.Threads, s.Load
			}
			for k := 0; k < m.NCores && k < len(out.CoreLoad); k++ {
				out.CoreLoad[k] = clusters.Tree.CoreLoad(id, k)
			}
		}
		n++
	}
	return n
}

func treeNodes(p uintptr, max int) int {
	if !clusters.Ready {
		return 0
	}
	var tn kapi.TreeNode
	n := 0
	for l := 0; l <= clusters.Tree.Levels(); l++ {
		nx, ny := clusters.Tree.Dims(l)
		for i := 0; i < nx; i++ {
			for j := 0; j < ny; j++ {
				s, ok := clusters.Tree.Node(l, i, j)
				if !ok || n >= max {
					continue
				}
				out := (*kapi.TreeNode)(kmem.Ptr(p + uintptr(n)*unsafe.Sizeof(tn)))
				*out = kapi.TreeNode{Level: int32(l), I: int32(i), J: int32(j), Clusters: s.Clusters, Cores: s.Cores,
					Threads: s.Threads, Load: s.Load, MinLoad: s.MinLoad, MaxLoad: s.MaxLoad}
				copy(out.Free[:], s.Free[:])
				n++
			}
		}
	}
	return n
}

// Random fills p from the kernel's generator.
func Random(core uint32, p []byte) { krand.Read(core, p) }

// Fatal reports a fatal condition of thread t and powers off.
func Fatal(c *cpu.CPU, t *thread.Thread, status int, why string) {
	diag.Fatal(c.ID, t.TID, t.NameString(), &t.Frame, status, "KERNEL: fatal", why)
}

// fatalSignal ends the kernel with the report of a signal no handler takes.
// SIGABRT with its default action is the Go runtime dying on purpose after
// a fatal error or an unrecovered panic (GOTRACEBACK=crash raises it once the
// runtime printed its report): that ends with the runtime's status, 2.
func fatalSignal(c *cpu.CPU, t *thread.Thread, sig int, why string) {
	var l klog.Line
	l.S("kernel: thread ").D(int64(t.TID)).S(" got ").S(SigName(sig)).S(": ").S(why).Print()
	if sig == SIGABRT {
		diag.Fatal(c.ID, t.TID, t.NameString(), &t.Frame, diag.StatusGoFatal, "KERNEL: fatal",
			"the Go runtime aborted (fatal error or unrecovered panic, reported above)")
		return
	}
	diag.Fatal(c.ID, t.TID, t.NameString(), &t.Frame, diag.StatusKernelFault, "KERNEL FAULT: unhandled signal", why)
}

// Init installs the personality's hooks.
func Init() {
	initFiles()
	cpu.OnSyscall = Syscall
	cpu.OnFault = Fault
	cpu.OnTimeout = Timeout
	cpu.OnResume = Resume
	cpu.OnTick = tick
	diag.BeforeReport = FlushStderr
}

// OnTickExtra is more periodic work (the clusters' reports and pulls).
var OnTickExtra func(c *cpu.CPU, now int64) int64

// tick is the cpu.OnTick hook: console polling and OnTickExtra, at the
// shorter of the intervals they ask for.
func tick(c *cpu.CPU, now int64) int64 {
	w := ConsoleTick(c, now)
	watchdogTick(c, now)
	stderrTick(c, now)
	if x := limboTick(c); x > 0 && (w == 0 || x < w) {
		w = x
	}
	if OnTickExtra != nil {
		if x := OnTickExtra(c, now); x > 0 && (w == 0 || x < w) {
			w = x
		}
	}
	return w
}

// ipiPing measures IPI round trips from c to core dst in trap context: send,
// wait for dst's IPI handler to answer, rounds times. It returns the
// elapsed clock ticks (the GIC counter, shared by all cores).
func ipiPing(c *cpu.CPU, dst, rounds uint32) (uint32, Errno) {
	if cpu.SendIPI == nil || dst >= uint32(cpu.Possible) || dst == c.ID || !cpu.CPUs[dst].Online.Load() || rounds == 0 || rounds > 100000 {
		return 0, EINVAL
	}
	d := &cpu.CPUs[dst]
	start := ktime.Counter()
	for i := uint32(0); i < rounds; i++ {
		want := d.Pongs.Load() + 1
		d.Post(cpu.WorkPong)
		cpu.SendIPI(dst)
		deadline := ktime.Now() + 1e9
		for d.Pongs.Load() < want {
			if ktime.Now() > deadline {
				var l klog.Line
				l.S("ipi ping: core ").U(uint64(dst)).S(" did not answer: IPIs ").U(d.Stats.IPIs).S(", interrupts ").U(d.Stats.Interrupts).S(", traps ").U(d.Stats.Traps).S(", pongs ").U(uint64(d.Pongs.Load())).Print()
				return 0, ETIMEDOUT
			}
		}
	}
	return uint32(ktime.Counter() - start), 0
}
