package linux

import (
	"almos/arch/mips32"
	"almos/kernel/cpu"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/ktime"
	"almos/kernel/thread"
	"almos/sched"
)

// Clone flags.
const (
	cloneVM            = 0x100
	cloneFS            = 0x200
	cloneFiles         = 0x400
	cloneSighand       = 0x800
	cloneThread        = 0x10000
	cloneSysvsem       = 0x40000
	cloneSettls        = 0x80000
	cloneParentSettid  = 0x100000
	cloneChildCleartid = 0x200000
	cloneChildSettid   = 0x1000000
)

// Debug makes the personality log thread creation and exit (loglevel=debug).
var Debug bool

// PowerOff ends the machine with a status (set at boot).
var PowerOff func(status int)

// ExitStatus is what exit_group asked for, for the power-off report.
var ExitStatus int = -1

func sysClone(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	flags, stack, ptid := arg(t, 0), arg(t, 1), uintptr(arg(t, 2))
	ctid, _ := stackArg(t, 4)
	const need = cloneVM | cloneSighand | cloneThread
	if flags&need != need {
		// Only threads of the one address space: no fork yet.
		return 0, EINVAL
	}
	if flags&cloneParentSettid != 0 && !kmem.ValidAligned(ptid, 4, 4) {
		return 0, EFAULT
	}
	// Place first: the descriptor is taken from the bank of the cluster
	// the thread will run in (the child inherits the caller's affinity,
	// which is all placement looks at).
	core := cpu.Placement.Place(c, t)
	nt, ok := thread.New(core)
	if !ok {
		stats(c).CreateFailures++
		return 0, EAGAIN
	}
	nt.Frame = t.Frame
	nt.Frame.R[mips32.RegV0] = 0
	nt.Frame.R[mips32.RegA3] = 0
	if stack != 0 {
		nt.Frame.R[mips32.RegSP] = stack
	}
	nt.Kind = t.Kind
	nt.SigMask = t.SigMask
	nt.Affinity = t.Affinity
	nt.Created = ktime.Now()
	copy(nt.Name[:], t.Name[:])
	if flags&cloneChildCleartid != 0 {
		nt.ClearTID = uintptr(ctid)
	}
	if flags&cloneParentSettid != 0 {
		*kmem.U32(ptid) = uint32(nt.TID)
	}
	if flags&cloneChildSettid != 0 && kmem.ValidAligned(uintptr(ctid), 4, 4) {
		*kmem.U32(uintptr(ctid)) = uint32(nt.TID)
	}
	sched.InitEntity(&nt.Sched, core, t.Sched.Policy)
	stats(c).ThreadsCreated++
	if Debug {
		var l klog.Line
		l.S("linux: thread ").D(int64(t.TID)).S(" cloned thread ").D(int64(nt.TID)).S(" on core ").U(uint64(core)).Print()
	}
	// Once started, the thread may run, exit and be freed on another core
	// before this call returns: nothing of it is read after Start.
	tid := uint32(nt.TID)
	if cpu.OnMove != nil {
		cpu.OnMove(-1, int32(core))
	}
	cpu.Start(nt)
	return tid, 0
}

func exitThread(c *cpu.CPU, t *thread.Thread) {
	if t.ClearTID != 0 && kmem.ValidAligned(t.ClearTID, 4, 4) {
		*kmem.U32(t.ClearTID) = 0
		futexWakeUp(c, t.ClearTID, 1)
	}
	stats(c).ThreadsExited++
	if cpu.OnMove != nil {
		cpu.OnMove(int32(c.ID), -1)
	}
	if Debug {
		var l klog.Line
		l.S("linux: thread ").D(int64(t.TID)).S(" exited after ").Ms(t.Sched.RunNS).S(" of CPU").Print()
	}
	c.Exit(t)
}

func sysExit(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	exitThread(c, t)
	if thread.Live() <= 1 {
		// The last thread of the kernel's process is gone.
		sysExitGroupStatus(c, t, int(int32(arg(t, 0))))
	}
	return 0, parked
}

func sysExitGroup(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	sysExitGroupStatus(c, t, int(int32(arg(t, 0))))
	return 0, parked
}

func sysExitGroupStatus(c *cpu.CPU, t *thread.Thread, status int) {
	ExitStatus = status
	if status == 2 {
		// The Go runtime exits with 2 after a fatal error or an
		// unrecovered panic, having printed its own traceback. Add the
		// kernel's view of the thread that ended it.
		Fatal(c, t, status, "the Go runtime exited with status 2 (fatal error or unrecovered panic, reported above)")
		return
	}
	var l klog.Line
	l.S("kernel: exit_group(").D(int64(status)).S("): powering off").Print()
	PowerOff(status)
}

func sysSchedGetaffinity(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	pid, size, mask := int32(arg(t, 0)), arg(t, 1), uintptr(arg(t, 2))
	if pid != 0 {
		if _, ok := thread.Lookup(pid, c.ID); !ok && pid != 1 {
			return 0, ESRCH
		}
	}
	if size < 4 || size&3 != 0 {
		return 0, EINVAL
	}
	if !kmem.ValidAligned(mask, 4, 4) {
		return 0, EFAULT
	}
	*kmem.U32(mask) = onlineMask()
	return 4, 0
}

func onlineMask() uint32 {
	var m uint32
	for i := range cpu.CPUs {
		if cpu.CPUs[i].Online.Load() {
			m |= 1 << uint(i)
		}
	}
	return m
}

func sysSchedSetaffinity(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	pid, size, mask := int32(arg(t, 0)), arg(t, 1), uintptr(arg(t, 2))
	if size < 4 {
		return 0, EINVAL
	}
	if !kmem.ValidAligned(mask, 4, 4) {
		return 0, EFAULT
	}
	target := t
	if pid != 0 && pid != t.TID {
		var ok bool
		if target, ok = thread.Lookup(pid, c.ID); !ok {
			return 0, ESRCH
		}
	}
	m := *kmem.U32(mask) & onlineMask()
	if m == 0 {
		return 0, EINVAL
	}
	target.Affinity = m
	if target == t && m&(1<<c.ID) == 0 {
		// Move off this core now: the thread becomes ready on the first
		// allowed core. Its result must be in place before another core
		// can run it.
		setResult(t, 0, 0)
		migrateSelf(c, t, lowestCore(m))
		return 0, parked
	}
	return 0, 0
}

func lowestCore(m uint32) uint32 {
	for i := uint32(0); i < 32; i++ {
		if m&(1<<i) != 0 {
			return i
		}
	}
	return 0
}

// migrateSelf moves the current thread t to core dst: it stops running here
// and is posted to dst's inbox.
func migrateSelf(c *cpu.CPU, t *thread.Thread, dst uint32) {
	t.Sched.State = sched.Blocked // not runnable here any more
	if cpu.OnMove != nil {
		cpu.OnMove(int32(c.ID), int32(dst))
	}
	t.Sched.Core = dst
	t.Sched.Migrations++
	t.Sched.BeginWait()
	t.Sched.TryClaimWake()
	cpu.Wake(t)
}

// Scheduling policies (Linux numbering).
const (
	schedOther = 0
	schedFIFO  = 1
	schedRR    = 2
)

func sysSchedSetscheduler(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	pid, policy := int32(arg(t, 0)), arg(t, 1)
	if pid != 0 && pid != t.TID {
		// Only a thread's own policy can change: another thread may sit
		// in a run queue of its policy on another core.
		return 0, EPERM
	}
	switch policy {
	case schedOther, schedRR:
		t.Sched.Policy = sched.RoundRobin
	case schedFIFO:
		t.Sched.Policy = sched.FIFO
	default:
		return 0, EINVAL
	}
	return 0, 0
}

func sysSchedGetscheduler(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	pid := int32(arg(t, 0))
	target := t
	if pid != 0 && pid != t.TID {
		var ok bool
		if target, ok = thread.Lookup(pid, c.ID); !ok {
			return 0, ESRCH
		}
	}
	if target.Sched.Policy == sched.FIFO {
		return schedFIFO, 0
	}
	return schedOther, 0
}
