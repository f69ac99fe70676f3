// Package linux is the kernel's Linux personality: the o32 system calls of
// MIPS Linux, served in trap context. Today its caller is the kernel's own Go
// runtime, which believes it runs on Linux; user processes will use the same
// layer later.
//
// Calls return their result in v0 with a3 = 0, or an errno in v0 with a3 = 1.
// Arguments 1-4 are in a0-a3, 5 and 6 at sp+16 and sp+20. A call that must
// wait parks the thread: either its result is already in its registers and a
// timeout replaces it, or the call is restarted when the thread is woken (its
// EPC rewound to the syscall instruction) and runs again with the deadline it
// first computed.
//
// Trap-safe: no allocation, no blocking on Go primitives, no Go pointers
// stored. Any call not served answers ENOSYS and is logged once by number and
// name.
package linux

import (
	"almos/arch/mips32"
	"almos/kernel/cpu"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/thread"
)

// Errno is a MIPS Linux error number (they differ from other architectures).
type Errno uint32

const (
	EPERM     Errno = 1
	ENOENT    Errno = 2
	ESRCH     Errno = 3
	EINTR     Errno = 4
	EIO       Errno = 5
	EBADF     Errno = 9
	EAGAIN    Errno = 11
	ENOMEM    Errno = 12
	EFAULT    Errno = 14
	EEXIST    Errno = 17
	ENODEV    Errno = 19
	EINVAL    Errno = 22
	EMFILE    Errno = 24
	ENOTTY    Errno = 25
	ESPIPE    Errno = 29
	ERANGE    Errno = 34
	ENOSYS    Errno = 89
	EOPNOTSUP Errno = 122
	ETIMEDOUT Errno = 145
)

// parked is returned by handlers that parked the thread: its registers hold
// (or will hold) the result.
const parked Errno = 0xffffffff

// Stats are the personality's counters. Each core counts its own (the
// kernel's 64-bit atomics on MIPS32 would take the Go runtime's internal
// spinlock, which a preempted thread may hold: never from trap context), and
// readers add them up.
type Stats struct {
	Calls            [512]uint64 // by number - 4000
	Errors           uint64
	NoSys            uint64
	FutexWaits       uint64
	FutexWakes       uint64
	FutexWoken       uint64
	FutexTimeouts    uint64
	FutexMismatch    uint64
	SignalsSent      uint64
	SignalsDelivered uint64
	Interrupted      uint64
	Faults           uint64
	ThreadsCreated   uint64
	ThreadsExited    uint64
	CreateFailures   uint64
}

var perCore [mips32.MaxCPU]Stats

func stats(c *cpu.CPU) *Stats { return &perCore[c.ID%mips32.MaxCPU] }

// Total adds up every core's counters.
func Total() Stats {
	var t Stats
	for i := range perCore {
		s := &perCore[i]
		for n, v := range s.Calls {
			t.Calls[n] += v
		}
		t.Errors += s.Errors
		t.NoSys += s.NoSys
		t.FutexWaits += s.FutexWaits
		t.FutexWakes += s.FutexWakes
		t.FutexWoken += s.FutexWoken
		t.FutexTimeouts += s.FutexTimeouts
		t.FutexMismatch += s.FutexMismatch
		t.SignalsSent += s.SignalsSent
		t.SignalsDelivered += s.SignalsDelivered
		t.Interrupted += s.Interrupted
		t.Faults += s.Faults
		t.ThreadsCreated += s.ThreadsCreated
		t.ThreadsExited += s.ThreadsExited
		t.CreateFailures += s.CreateFailures
	}
	return t
}

// noSysSeen has one bit per call number already reported as unserved. Any
// core may make the call: the bits are set atomically so that each number is
// reported once.
var noSysSeen seenSet

func arg(t *thread.Thread, i int) uint32 { return t.Frame.R[mips32.RegA0+i] }

// stackArg reads argument i (4 or 5) from the caller's stack.
func stackArg(t *thread.Thread, i int) (uint32, bool) {
	return kmem.Read32(uintptr(t.Frame.R[mips32.RegSP]) + uintptr(16+4*(i-4)))
}

func setResult(t *thread.Thread, v uint32, e Errno) {
	if e != 0 {
		t.Frame.R[mips32.RegV0] = uint32(e)
		t.Frame.R[mips32.RegA3] = 1
		return
	}
	t.Frame.R[mips32.RegV0] = v
	t.Frame.R[mips32.RegA3] = 0
}

// Syscall serves the system call t just made on core c.
func Syscall(c *cpu.CPU, t *thread.Thread) {
	n := t.Frame.R[mips32.RegV0]
	t.Syscalls++
	t.LastSyscall = n
	// Kept so that a call a signal interrupts can be made again.
	copy(t.SysArgs[:], t.Frame.R[mips32.RegA0:mips32.RegA3+1])
	st := stats(c)
	if n >= 4000 && n < 4000+uint32(len(st.Calls)) {
		st.Calls[n-4000]++
	}
	v, e := dispatch(c, t, n)
	if e == parked {
		return
	}
	if e != 0 {
		st.Errors++
	}
	setResult(t, v, e)
}

func dispatch(c *cpu.CPU, t *thread.Thread, n uint32) (uint32, Errno) {
	switch n {
	case 4001: // exit
		return sysExit(c, t)
	case 4003: // read
		return sysRead(c, t)
	case 4004: // write
		return sysWrite(c, t)
	case 4005: // open
		return 0, ENOENT
	case 4006: // close
		return sysClose(c, t)
	case 4020: // getpid
		return 1, 0
	case 4024, 4047, 4049, 4050: // getuid, getgid, geteuid, getegid
		return 0, 0
	case 4037: // kill
		return sysKill(c, t)
	case 4045: // brk
		return 0, 0
	case 4054: // ioctl
		return sysIoctl(c, t)
	case 4055, 4220: // fcntl, fcntl64
		return sysFcntl(c, t)
	case 4064: // getppid
		return 0, 0
	case 4090: // mmap
		return sysMmap(c, t)
	case 4210: // mmap2 (offset in pages; only anonymous mappings exist)
		return sysMmap(c, t)
	case 4091: // munmap
		return sysMunmap(c, t)
	case 4122: // uname
		return sysUname(c, t)
	case 4125: // mprotect
		return sysMprotect(c, t)
	case 4118, 4152: // fsync, fdatasync
		return sysFsync(c, t)
	case 4120: // clone
		return sysClone(c, t)
	case 4160: // sched_setscheduler
		return sysSchedSetscheduler(c, t)
	case 4161: // sched_getscheduler
		return sysSchedGetscheduler(c, t)
	case 4162: // sched_yield
		c.Sched.Yield()
		return 0, 0
	case 4166: // nanosleep
		return sysNanosleep(c, t, false)
	case 4192: // prctl
		return sysPrctl(c, t)
	case 4193: // rt_sigreturn
		return sysRtSigreturn(c, t)
	case 4194: // rt_sigaction
		return sysRtSigaction(c, t)
	case 4195: // rt_sigprocmask
		return sysRtSigprocmask(c, t)
	case 4206: // sigaltstack
		return sysSigaltstack(c, t)
	case 4217: // mincore
		return sysMincore(c, t)
	case 4218: // madvise
		return sysMadvise(c, t)
	case 4222: // gettid
		return uint32(t.TID), 0
	case 4236: // tkill
		return sysTkill(c, t, false)
	case 4238: // futex (32-bit time)
		return sysFutex(c, t, false)
	case 4239: // sched_setaffinity
		return sysSchedSetaffinity(c, t)
	case 4240: // sched_getaffinity
		return sysSchedGetaffinity(c, t)
	case 4246: // exit_group
		return sysExitGroup(c, t)
	case 4249: // epoll_ctl
		return sysEpollCtl(c, t)
	case 4250: // epoll_wait
		return sysEpollPwait(c, t)
	case 4252: // set_tid_address
		return uint32(t.TID), 0
	case 4263: // clock_gettime (32-bit time)
		return sysClockGettime(c, t, false)
	case 4264: // clock_getres (32-bit time)
		return sysClockGetres(c, t, false)
	case 4265: // clock_nanosleep (32-bit time)
		return sysClockNanosleep(c, t, false)
	case 4266: // tgkill
		return sysTkill(c, t, true)
	case 4288: // openat
		return 0, ENOENT
	case 4313: // epoll_pwait
		return sysEpollPwait(c, t)
	case 4325: // eventfd2
		return sysEventfd2(c, t)
	case 4326: // epoll_create1
		return sysEpollCreate1(c, t)
	case 4338: // prlimit64
		return sysPrlimit64(c, t)
	case 4353: // getrandom
		return sysGetrandom(c, t)
	case 4403: // clock_gettime64
		return sysClockGettime(c, t, true)
	case 4406: // clock_nanosleep_time64
		return sysClockNanosleep(c, t, true)
	case 4422: // futex_time64
		return sysFutex(c, t, true)
	}
	if n >= kcallBase && n < kcallBase+kcallCount {
		return kcall(c, t, n)
	}
	stats(c).NoSys++
	noSys(n)
	return 0, ENOSYS
}

// noSys logs the first use of an unserved call (every use of a number
// outside the o32 range the set covers).
func noSys(n uint32) {
	if n >= 4000 && !noSysSeen.First(n-4000) {
		return
	}
	var l klog.Line
	l.S("linux: system call ").U(uint64(n)).S(" (").S(SysName(n)).S(") is not served: ENOSYS")
	l.Print()
}

// SysName names an o32 system call number.
func SysName(n uint32) string {
	if n >= 4000 && n-4000 < uint32(len(sysNames)) && sysNames[n-4000] != "" {
		return sysNames[n-4000]
	}
	if n >= kcallBase && n < kcallBase+kcallCount {
		return "kernel call"
	}
	return "unknown"
}
