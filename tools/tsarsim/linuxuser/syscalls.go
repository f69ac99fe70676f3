package linuxuser

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"almos/tools/tsarsim/mem"
)

// MIPS errno values (they differ from other architectures).
const (
	ePERM      = 1
	eNOENT     = 2
	eINTR      = 4
	eBADF      = 9
	eAGAIN     = 11
	eNOMEM     = 12
	eACCES     = 13
	eFAULT     = 14
	eEXIST     = 17
	eNOTDIR    = 20
	eISDIR     = 21
	eINVAL     = 22
	eNOTTY     = 25
	eSPIPE     = 29
	eROFS      = 30
	eRANGE     = 34
	eNOSYS     = 89
	eTIMEDOUT  = 145
	eOPNOTSUPP = 122
)

// sysret is a system call's result: a value, an errno, or nothing yet
// because the thread blocked (or its registers were set another way).
type sysret struct {
	v     uint32
	errno bool
	block bool // the thread blocked; its result comes at wake-up
}

func ok(v uint32) sysret { return sysret{v: v} }
func fail(e int) sysret  { return sysret{v: uint32(e), errno: true} }
func blockedRet() sysret { return sysret{block: true} }
func okInt(v int) sysret { return sysret{v: uint32(int32(v))} }

// names of the calls the harness knows, for traces and the ENOSYS log.
var sysNames = map[uint32]string{
	4001: "exit", 4003: "read", 4004: "write", 4005: "open", 4006: "close", 4019: "lseek",
	4020: "getpid", 4024: "getuid", 4033: "access", 4037: "kill", 4045: "brk", 4047: "getgid",
	4049: "geteuid", 4050: "getegid", 4054: "ioctl", 4055: "fcntl", 4064: "getppid",
	4090: "mmap", 4091: "munmap", 4104: "setitimer", 4120: "clone", 4122: "uname",
	4125: "mprotect", 4140: "_llseek", 4162: "sched_yield", 4166: "nanosleep",
	4192: "prctl", 4193: "rt_sigreturn", 4194: "rt_sigaction", 4195: "rt_sigprocmask",
	4200: "pread64", 4203: "getcwd", 4012: "chdir", 4133: "fchdir", 4289: "mkdirat", 4294: "unlinkat", 4295: "renameat", 4297: "symlinkat", 4299: "fchmodat", 4316: "utimensat", 4212: "ftruncate64", 4118: "fsync", 4183: "socket", 4039: "mkdir", 4040: "rmdir", 4010: "unlink", 4038: "rename", 4094: "fchmod", 4152: "fdatasync", 4351: "renameat2", 4206: "sigaltstack", 4210: "mmap2", 4215: "fstat64",
	4217: "mincore", 4218: "madvise", 4219: "getdents64", 4222: "gettid", 4238: "futex",
	4240: "sched_getaffinity", 4246: "exit_group", 4252: "set_tid_address",
	4257: "timer_create", 4258: "timer_settime", 4261: "timer_delete", 4263: "clock_gettime",
	4264: "clock_getres", 4265: "clock_nanosleep", 4266: "tgkill", 4288: "openat",
	4293: "fstatat64", 4298: "readlinkat", 4300: "faccessat", 4309: "set_robust_list",
	4313: "epoll_pwait", 4325: "eventfd2", 4326: "epoll_create1", 4328: "pipe2",
	4249: "epoll_ctl", 4338: "prlimit64", 4353: "getrandom", 4403: "clock_gettime64",
	4407: "clock_nanosleep_time64", 4409: "timer_settime64", 4422: "futex_time64",
	4439: "faccessat2", 4441: "epoll_pwait2", 4366: "statx", 4214: "lstat64", 4213: "stat64",
}

// syscall serves the system call of the core's current thread. The PC
// has already been moved past the SYSCALL instruction.
func (p *Proc) syscall(cs *coreState) {
	c := cs.c
	p.usage.syscalls++
	nr := c.R[2]
	a := [6]uint32{c.R[4], c.R[5], c.R[6], c.R[7]}
	a[4], _ = p.readU32(c.R[29] + 16)
	a[5], _ = p.readU32(c.R[29] + 20)
	r := p.dispatchSys(cs, nr, a)
	if p.cfg.Trace != nil {
		fmt.Fprintf(p.cfg.Trace, "[%d] %s(%#x, %#x, %#x, %#x) = %#x err=%v block=%v\n", cs.cur.TID,
			sysNames[nr], a[0], a[1], a[2], a[3], r.v, r.errno, r.block)
	}
	if r.block {
		return
	}
	if cs.cur == nil {
		return // exited
	}
	c.R[2] = r.v
	c.R[7] = 0
	if r.errno {
		c.R[7] = 1
	}
}

func (p *Proc) dispatchSys(cs *coreState, nr uint32, a [6]uint32) sysret {
	c := cs.c
	t := cs.cur
	switch nr {
	case 4001: // exit: this thread
		p.exitThread(cs)
		return blockedRet()
	case 4246: // exit_group
		p.sys.Halt(int(a[0]&255), "exit_group")
		p.exit = true
		c.Halted = true
		return blockedRet()
	case 4003:
		return p.read(cs, a[0], a[1], a[2])
	case 4004:
		return p.write(cs, a[0], a[1], a[2])
	case 4005:
		return p.openat(-100, a[0], a[1], a[2])
	case 4288:
		return p.openat(int32(a[0]), a[1], a[2], a[3])
	case 4006:
		return p.close(a[0])
	case 4020, 4064:
		return ok(1)
	case 4222:
		return okInt(t.TID)
	case 4024, 4047, 4049, 4050:
		return ok(0)
	case 4037: // kill(pid, sig)
		return p.kill(0, a[1])
	case 4266: // tgkill(tgid, tid, sig)
		return p.kill(int(a[1]), a[2])
	case 4045:
		return p.sysBrk(a[0])
	case 4090:
		return p.mmap(cs, a[0], a[1], a[2], a[3], a[4], uint64(a[5]))
	case 4210:
		return p.mmap(cs, a[0], a[1], a[2], a[3], a[4], uint64(a[5])<<12)
	case 4091:
		if a[0]&(mem.PageSize-1) != 0 {
			return fail(eINVAL)
		}
		p.unmapRange(a[0], a[1])
		return ok(0)
	case 4125: // mprotect
		if a[0]&(mem.PageSize-1) != 0 {
			return fail(eINVAL)
		}
		for v := a[0] >> 12; v < (a[0]+a[1]+mem.PageSize-1)>>12; v++ {
			if p.pt[v].state == pteNone {
				return fail(eNOMEM)
			}
			p.pt[v].prot = uint8(a[2] & 7)
		}
		p.invalidate(a[0], a[1])
		return ok(0)
	case 4218: // madvise
		if a[2] == 4 { // MADV_DONTNEED: the next touch reads zeros
			p.discard(a[0], a[1])
		}
		return ok(0)
	case 4217: // mincore
		n := (a[1] + mem.PageSize - 1) >> 12
		vec := make([]byte, n)
		for i := range vec {
			if p.pt[a[0]>>12+uint32(i)].state == pteBacked {
				vec[i] = 1
			}
		}
		if !p.writeMem(a[2], vec, c.Cluster) {
			return fail(eFAULT)
		}
		return ok(0)
	case 4120:
		return p.clone(cs, a)
	case 4162: // sched_yield
		if len(cs.queue) > 0 {
			c.R[2], c.R[7] = 0, 0
			p.save(cs)
			t.state = runnable
			cs.queue = append(cs.queue, t)
			cs.cur = nil
			p.dispatch(cs)
			return blockedRet()
		}
		return ok(0)
	case 4166: // nanosleep(req *timespec32, rem)
		var b [8]byte
		if !p.readMem(a[0], b[:]) {
			return fail(eFAULT)
		}
		ns := uint64(le32(b[:]))*1e9 + uint64(le32(b[4:]))
		return p.sleep(cs, ns)
	case 4265, 4407: // clock_nanosleep(clock, flags, req, rem)
		ns, okr := p.readTimespec(a[2], nr == 4407)
		if !okr {
			return fail(eFAULT)
		}
		if a[1]&1 != 0 { // TIMER_ABSTIME
			now := p.clock(a[0], c.Cnt.Cycles)
			if ns <= now {
				return ok(0)
			}
			ns -= now
		}
		return p.sleep(cs, ns)
	case 4263, 4403:
		return p.clockGettime(cs, a[0], a[1], nr == 4403)
	case 4264: // clock_getres
		if a[1] != 0 {
			var b [8]byte
			put32(b[4:], 1)
			p.writeMem(a[1], b[:], c.Cluster)
		}
		return ok(0)
	case 4238, 4422:
		return p.futexCall(cs, a, nr == 4422)
	case 4240: // sched_getaffinity(pid, len, mask)
		n := (len(p.M.Cores) + 31) / 32 * 4
		if int(a[1]) < n {
			return fail(eINVAL)
		}
		mask := make([]byte, n)
		for i := range p.cores {
			mask[i/8] |= 1 << (i % 8)
		}
		if !p.writeMem(a[2], mask, c.Cluster) {
			return fail(eFAULT)
		}
		return okInt(n)
	case 4252: // set_tid_address
		t.clearTID = a[0]
		return okInt(t.TID)
	case 4309: // set_robust_list
		return ok(0)
	case 4194: // rt_sigaction(sig, act, old, size)
		sig := int(a[0])
		if a[2] != 0 {
			old := p.sigs[sig]
			var b [16]byte
			put32(b[0:], old.flags)
			put32(b[4:], old.handler)
			p.writeMem(a[2], b[:], c.Cluster)
		}
		if a[1] != 0 {
			var b [16]byte
			if !p.readMem(a[1], b[:]) {
				return fail(eFAULT)
			}
			p.sigs[sig] = sigAction{flags: le32(b[:]), handler: le32(b[4:]),
				mask: uint64(le32(b[8:])) | uint64(le32(b[12:]))<<32}
		}
		return ok(0)
	case 4195: // rt_sigprocmask(how, set, old, size)
		if a[2] != 0 {
			var b [8]byte
			put64(b[:], t.sigmask)
			p.writeMem(a[2], b[:], c.Cluster)
		}
		if a[1] != 0 {
			var b [8]byte
			if !p.readMem(a[1], b[:]) {
				return fail(eFAULT)
			}
			s := uint64(le32(b[:])) | uint64(le32(b[4:]))<<32
			switch a[0] {
			case 1:
				t.sigmask |= s
			case 2:
				t.sigmask &^= s
			case 3:
				t.sigmask = s
			}
		}
		return ok(0)
	case 4206: // sigaltstack(new, old); stack_t is {sp, size, flags} on mips
		if a[1] != 0 {
			var b [12]byte
			put32(b[0:], t.altSP)
			put32(b[4:], t.altSize)
			fl := t.altFlags
			if t.altSize == 0 {
				fl = ssDisable
			} else if c.R[29]-t.altSP < t.altSize {
				fl |= ssOnStack
			}
			put32(b[8:], fl)
			p.writeMem(a[1], b[:], c.Cluster)
		}
		if a[0] != 0 {
			var b [12]byte
			if !p.readMem(a[0], b[:]) {
				return fail(eFAULT)
			}
			t.altSP, t.altSize, t.altFlags = le32(b[:]), le32(b[4:]), le32(b[8:])
			if t.altFlags&ssDisable != 0 {
				t.altSP, t.altSize = 0, 0
			}
		}
		return ok(0)
	case 4104, 4257, 4258, 4261, 4409: // interval timers: accepted, never fire
		if nr == 4257 && a[2] != 0 {
			p.writeU32(a[2], 1, c.Cluster)
		}
		return ok(0)
	case 4122: // uname
		var b [6 * 65]byte
		for i, s := range []string{"Linux", "tsarsim", "6.1.0", "#1 SMP tsarsim", "mips", "(none)"} {
			copy(b[65*i:], s)
		}
		if !p.writeMem(a[0], b[:], c.Cluster) {
			return fail(eFAULT)
		}
		return ok(0)
	case 4055: // fcntl(fd, cmd, arg)
		f := p.fd(a[0])
		if f == nil {
			return fail(eBADF)
		}
		switch a[1] {
		case 1, 2: // F_GETFD, F_SETFD
			return ok(0)
		case 3: // F_GETFL
			if f.kind == fdStdout || f.kind == fdPipeW {
				return ok(1 | f.flags)
			}
			return ok(f.flags)
		case 4: // F_SETFL
			f.flags = a[2] &^ 3
			return ok(0)
		}
		return fail(eINVAL)
	case 4054: // ioctl
		return fail(eNOTTY)
	case 4192: // prctl
		return fail(eINVAL)
	case 4338: // prlimit64(pid, resource, new, old)
		if a[3] != 0 {
			var b [16]byte
			put64(b[:], 1024)
			put64(b[8:], 4096)
			if a[1] == 3 { // RLIMIT_STACK
				put64(b[:], stackSize)
				put64(b[8:], ^uint64(0))
			}
			p.writeMem(a[3], b[:], c.Cluster)
		}
		return ok(0)
	case 4353: // getrandom(buf, len, flags)
		b := make([]byte, a[1])
		for i := range b {
			b[i] = byte(p.rand())
		}
		if !p.writeMem(a[0], b, c.Cluster) {
			return fail(eFAULT)
		}
		return okInt(len(b))
	case 4012, 4133: // chdir(path), fchdir(fd)
		var hp, gp string
		if nr == 4012 {
			var e int
			if hp, gp, e = p.resolve2(-100, a[0]); e != 0 {
				return fail(e)
			}
		} else if f := p.fd(a[0]); f != nil && f.kind == fdHost {
			hp, gp = f.path, f.gpath
		} else {
			return fail(eBADF)
		}
		fi, err := os.Stat(hp)
		if err != nil {
			return fail(errnoOf(err))
		}
		if !fi.IsDir() {
			return fail(eNOTDIR)
		}
		p.cwd = strings.TrimSuffix(gp, "/")
		if p.cwd == "" {
			p.cwd = "/"
		}
		return ok(0)
	case 4203: // getcwd
		s := p.cwd + "\x00"
		if int(a[1]) < len(s) {
			return fail(eRANGE)
		}
		if !p.writeMem(a[0], []byte(s), c.Cluster) {
			return fail(eFAULT)
		}
		return okInt(len(s))
	case 4215: // fstat64
		f := p.fd(a[0])
		if f == nil {
			return fail(eBADF)
		}
		return p.statFile(cs, f, a[1])
	case 4293: // fstatat64(dirfd, path, buf, flags)
		return p.fstatat(cs, int32(a[0]), a[1], a[2], a[3])
	case 4213, 4214:
		return p.fstatat(cs, -100, a[0], a[1], map[uint32]uint32{4213: 0, 4214: 0x100}[nr])
	case 4300, 4439, 4033: // faccessat(dirfd, path, mode)
		pa := a[1]
		if nr == 4033 {
			pa = a[0]
		}
		dirfd := int32(a[0])
		if nr == 4033 {
			dirfd = -100
		}
		hp, e := p.resolve(dirfd, pa)
		if e != 0 {
			return fail(e)
		}
		if _, err := os.Stat(hp); err != nil {
			return fail(errnoOf(err))
		}
		return ok(0)
	case 4019: // lseek(fd, off, whence)
		return p.seek(a[0], int64(int32(a[1])), a[2], 0)
	case 4140: // _llseek(fd, hi, lo, result, whence)
		return p.seek(a[0], int64(uint64(a[1])<<32|uint64(a[2])), a[4], a[3])
	case 4200: // pread64(fd, buf, count, pad, lo, hi)
		return p.pread(cs, a[0], a[1], a[2], int64(uint64(a[5])<<32|uint64(a[4])))
	case 4219:
		return p.getdents(cs, a[0], a[1], a[2])
	case 4325: // eventfd2(init, flags)
		return okInt(p.newFD(&file{kind: fdEventfd, counter: uint64(a[0])}))
	case 4328: // pipe2(fds, flags)
		pp := &pipe{readers: 1, writers: 1}
		r := p.newFD(&file{kind: fdPipeR, pipe: pp, flags: a[1] & 0x80})
		w := p.newFD(&file{kind: fdPipeW, pipe: pp, flags: a[1] & 0x80})
		var b [8]byte
		put32(b[:], uint32(r))
		put32(b[4:], uint32(w))
		if !p.writeMem(a[0], b[:], c.Cluster) {
			return fail(eFAULT)
		}
		return ok(0)
	case 4326:
		return okInt(p.newFD(&file{kind: fdEpoll, epoll: map[int32]epollReg{}}))
	case 4249:
		return p.epollCtl(a[0], a[1], a[2], a[3])
	case 4313, 4441:
		return p.epollWait(cs, a[0], a[1], a[2], int32(a[3]), nr == 4441)
	case 4193: // rt_sigreturn
		return p.sigreturn(cs)
	}
	if r, done := p.fileCall(cs, nr, a); done {
		return r
	}
	if !p.warn[nr] {
		p.warn[nr] = true
		name := sysNames[nr]
		if name == "" {
			name = "unknown"
		}
		fmt.Fprintf(p.cfg.Stderr, "tsarsim: system call %d (%s) not served: ENOSYS\n", nr, name)
	}
	return fail(eNOSYS)
}

func (p *Proc) exitThread(cs *coreState) {
	t := cs.cur
	if t.clearTID != 0 {
		p.writeU32(t.clearTID, 0, cs.c.Cluster)
		p.futexWake(t.clearTID, 1)
	}
	t.state = exited
	delete(p.threads, t.TID)
	cs.cur = nil
	p.dispatch(cs)
	if len(p.threads) == 0 {
		p.sys.Halt(0, "last thread exited")
	}
}

func (p *Proc) clone(cs *coreState, a [6]uint32) sysret {
	const cloneVM, cloneThread = 0x100, 0x10000
	if a[0]&cloneVM == 0 || a[0]&cloneThread == 0 {
		return fail(eNOSYS) // fork is not supported: one address space
	}
	c := cs.c
	t := p.newThread()
	copy(t.R[:], c.R[:32])
	t.HI, t.LO, t.PC, t.NPC = c.HI, c.LO, c.PC, c.NPC
	t.R[0] = 0
	t.R[2], t.R[7] = 0, 0
	if a[1] != 0 {
		t.R[29] = a[1]
	}
	const parentSetTID, childClearTID, childSetTID = 0x100000, 0x200000, 0x1000000
	if a[0]&childClearTID != 0 {
		t.clearTID = a[4]
	}
	if a[0]&parentSetTID != 0 {
		p.writeU32(a[2], uint32(t.TID), c.Cluster)
	}
	if a[0]&childSetTID != 0 {
		p.writeU32(a[4], uint32(t.TID), c.Cluster)
	}
	t.sigmask = cs.cur.sigmask
	p.place(t)
	return okInt(t.TID)
}

func (p *Proc) sysBrk(addr uint32) sysret {
	if addr <= p.brk {
		if addr >= p.brkBase {
			// Shrinking is allowed but keeps the pages.
			return ok(p.brk)
		}
		return ok(p.brk)
	}
	end := (addr + mem.PageSize - 1) &^ (mem.PageSize - 1)
	for v := p.brk >> 12; v < end>>12; v++ {
		if p.pt[v].state != pteNone {
			return ok(p.brk)
		}
	}
	p.mapRange(p.brk, end-p.brk, protRead|protWrite)
	p.brk = addr
	return ok(p.brk)
}

func (p *Proc) mmap(cs *coreState, addr, length, prot, flags, fd uint32, off uint64) sysret {
	const mapFixed, mapAnon = 0x10, 0x800
	if length == 0 {
		return fail(eINVAL)
	}
	n := (length + mem.PageSize - 1) &^ (mem.PageSize - 1)
	var va uint32
	switch {
	case flags&mapFixed != 0:
		if addr&(mem.PageSize-1) != 0 || uint64(addr)+uint64(n) > userTop {
			return fail(eINVAL)
		}
		p.unmapRange(addr, n)
		va = addr
	default:
		if addr != 0 && addr&(mem.PageSize-1) == 0 && p.free_(addr, n) {
			va = addr
		} else if v, ok := p.findFree(n); ok {
			va = v
		} else {
			return fail(eNOMEM)
		}
	}
	p.mapRange(va, n, uint8(prot&7))
	if flags&mapAnon == 0 {
		f := p.fd(fd)
		if f == nil || f.kind != fdHost {
			p.unmapRange(va, n)
			return fail(eBADF)
		}
		buf := make([]byte, length)
		k, _ := f.host.ReadAt(buf, int64(off))
		old := p.pt[va>>12].prot
		p.mapRange(va, n, old|protWrite)
		p.writeMem(va, buf[:k], cs.c.Cluster)
		p.mapRange(va, n, old)
	}
	return ok(va)
}

// free_ reports whether [va, va+n) is unmapped.
func (p *Proc) free_(va, n uint32) bool {
	if uint64(va)+uint64(n) > mmapTop {
		return false
	}
	for v := va >> 12; v < (va+n)>>12; v++ {
		if p.pt[v].state != pteNone {
			return false
		}
	}
	return true
}

// findFree finds n bytes of address space, top down below mmapTop.
func (p *Proc) findFree(n uint32) (uint32, bool) {
	pages := n >> 12
	run := uint32(0)
	for v := uint32(mmapTop>>12) - 1; v > 0x100; v-- {
		if p.pt[v].state == pteNone {
			run++
			if run == pages {
				return v << 12, true
			}
		} else {
			run = 0
		}
	}
	return 0, false
}

func (p *Proc) sleep(cs *coreState, ns uint64) sysret {
	t := cs.cur
	deadline := cs.c.Cnt.Cycles + max(p.cycles(ns), 1)
	p.sleepUntil(cs, deadline, func() { p.wake(t, 0, false) })
	return blockedRet()
}

// clock returns a clock in nanoseconds at a core's cycle count.
func (p *Proc) clock(id uint32, cycles uint64) uint64 {
	ns := p.nanos(cycles)
	if id == 0 || id == 8 || id == 11 { // REALTIME, REALTIME_ALARM, TAI
		ns += uint64(epoch)
	}
	return ns
}

func (p *Proc) clockGettime(cs *coreState, id, ts uint32, t64 bool) sysret {
	ns := p.clock(id, cs.c.Cnt.Cycles)
	return p.writeTimespec(cs, ts, ns, t64)
}

func (p *Proc) writeTimespec(cs *coreState, va uint32, ns uint64, t64 bool) sysret {
	var b []byte
	if t64 {
		b = make([]byte, 16)
		put64(b, ns/1e9)
		put64(b[8:], ns%1e9)
	} else {
		b = make([]byte, 8)
		put32(b, uint32(ns/1e9))
		put32(b[4:], uint32(ns%1e9))
	}
	if !p.writeMem(va, b, cs.c.Cluster) {
		return fail(eFAULT)
	}
	return ok(0)
}

func (p *Proc) readTimespec(va uint32, t64 bool) (uint64, bool) {
	if t64 {
		var b [16]byte
		if !p.readMem(va, b[:]) {
			return 0, false
		}
		sec := uint64(le32(b[:])) | uint64(le32(b[4:]))<<32
		return sec*1e9 + uint64(le32(b[8:])), true
	}
	var b [8]byte
	if !p.readMem(va, b[:]) {
		return 0, false
	}
	return uint64(le32(b[:]))*1e9 + uint64(le32(b[4:])), true
}

func (p *Proc) futexCall(cs *coreState, a [6]uint32, t64 bool) sysret {
	op := a[1] & 127
	switch op {
	case 0, 9: // WAIT, WAIT_BITSET
		v, okr := p.readU32(a[0])
		if !okr {
			return fail(eFAULT)
		}
		if v != a[2] {
			return fail(eAGAIN)
		}
		t := cs.cur
		t.futex = a[0]
		p.futex[a[0]] = append(p.futex[a[0]], t)
		if a[3] != 0 {
			ns, okr := p.readTimespec(a[3], t64)
			if !okr {
				return fail(eFAULT)
			}
			deadline := cs.c.Cnt.Cycles + max(p.cycles(ns), 1)
			if op == 9 { // absolute (CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME)
				now := p.clock(map[bool]uint32{true: 0, false: 1}[a[1]&256 != 0], cs.c.Cnt.Cycles)
				if ns <= now {
					deadline = cs.c.Cnt.Cycles + 1
				} else {
					deadline = cs.c.Cnt.Cycles + p.cycles(ns-now)
				}
			}
			p.sleepUntil(cs, deadline, func() {
				p.unwait(t)
				p.wake(t, eTIMEDOUT, true)
			})
		} else {
			p.block(cs)
		}
		return blockedRet()
	case 1, 10: // WAKE, WAKE_BITSET
		return okInt(p.futexWake(a[0], int(a[2])))
	}
	return fail(eNOSYS)
}

func (p *Proc) unwait(t *Thread) {
	q := p.futex[t.futex]
	for i, w := range q {
		if w == t {
			q = append(q[:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(p.futex, t.futex)
	} else {
		p.futex[t.futex] = q
	}
}

func (p *Proc) futexWake(addr uint32, n int) int {
	q := p.futex[addr]
	woken := 0
	for len(q) > 0 && woken < n {
		t := q[0]
		q = q[1:]
		p.wake(t, 0, false)
		woken++
	}
	if len(q) == 0 {
		delete(p.futex, addr)
	} else {
		p.futex[addr] = q
	}
	return woken
}

func (p *Proc) read(cs *coreState, fd, buf, n uint32) sysret {
	f := p.fd(fd)
	if f == nil {
		return fail(eBADF)
	}
	switch f.kind {
	case fdStdin:
		if p.cfg.Stdin == nil {
			return ok(0)
		}
		b := make([]byte, n)
		k, err := p.cfg.Stdin.Read(b)
		if k == 0 && err != nil && err != io.EOF {
			return fail(eINTR)
		}
		p.writeMem(buf, b[:k], cs.c.Cluster)
		return okInt(k)
	case fdHost:
		if f.dir != nil || f.host == nil {
			return fail(eISDIR)
		}
		b := make([]byte, n)
		k, err := f.host.Read(b)
		if err != nil && err != io.EOF {
			return fail(eINVAL)
		}
		if !p.writeMem(buf, b[:k], cs.c.Cluster) {
			return fail(eFAULT)
		}
		return okInt(k)
	case fdEventfd:
		if n < 8 {
			return fail(eINVAL)
		}
		if f.counter == 0 {
			return fail(eAGAIN) // the runtime reads it non-blocking
		}
		var b [8]byte
		put64(b[:], f.counter)
		f.counter = 0
		p.writeMem(buf, b[:], cs.c.Cluster)
		return ok(8)
	case fdPipeR:
		pp := f.pipe
		if len(pp.buf) == 0 {
			if pp.writers == 0 {
				return ok(0)
			}
			if f.flags&0x80 != 0 { // O_NONBLOCK on mips is 0x80
				return fail(eAGAIN)
			}
			t := cs.cur
			pp.waiting = append(pp.waiting, t)
			t.R[4], t.R[5], t.R[6] = fd, buf, n
			// Restart the call when woken: back up to the SYSCALL.
			cs.c.PC, cs.c.NPC = cs.c.PC-4, cs.c.PC
			cs.c.R[2] = 4003
			p.block(cs)
			return blockedRet()
		}
		k := min(int(n), len(pp.buf))
		p.writeMem(buf, pp.buf[:k], cs.c.Cluster)
		pp.buf = pp.buf[k:]
		return okInt(k)
	}
	return fail(eBADF)
}

func (p *Proc) write(cs *coreState, fd, buf, n uint32) sysret {
	f := p.fd(fd)
	if f == nil {
		return fail(eBADF)
	}
	b := make([]byte, n)
	if !p.readMem(buf, b) {
		return fail(eFAULT)
	}
	switch f.kind {
	case fdStdout:
		f.w.Write(b)
		return okInt(len(b))
	case fdHost:
		if f.host == nil || !p.writable(f.path) {
			return fail(eBADF)
		}
		k, err := f.host.Write(b)
		if err != nil {
			return fail(errnoOf(err))
		}
		return okInt(k)
	case fdEventfd:
		if n < 8 {
			return fail(eINVAL)
		}
		f.counter += uint64(le32(b)) | uint64(le32(b[4:]))<<32
		p.pollWake()
		return ok(8)
	case fdPipeW:
		pp := f.pipe
		pp.buf = append(pp.buf, b...)
		for _, t := range pp.waiting {
			p.resume(t)
		}
		pp.waiting = nil
		p.pollWake()
		return okInt(len(b))
	}
	return fail(eBADF)
}

func (p *Proc) openat(dirfd int32, pathVA, flags, mode uint32) sysret {
	hp, gp, e := p.resolve2(dirfd, pathVA)
	if e != 0 {
		return fail(e)
	}
	if flags&oAccMode != 0 || flags&(oCreat|oTrunc) != 0 {
		return p.openWrite(hp, gp, flags, mode)
	}
	fi, err := os.Stat(hp)
	if err != nil {
		return fail(errnoOf(err))
	}
	f := &file{kind: fdHost, path: hp, gpath: gp}
	if fi.IsDir() {
		ents, err := os.ReadDir(hp)
		if err != nil {
			return fail(errnoOf(err))
		}
		f.dir = ents
		if f.dir == nil {
			f.dir = []os.DirEntry{}
		}
	} else {
		h, err := os.Open(hp)
		if err != nil {
			return fail(errnoOf(err))
		}
		f.host = h
	}
	return okInt(p.newFD(f))
}

// hostOnly reports paths that describe the host, not files: /proc and
// /sys answer ENOENT so that a run does not depend on the host's kernel
// (the Go runtime reads the transparent huge page size there).
func hostOnly(path string) bool {
	return path == "/proc" || path == "/sys" || strings.HasPrefix(path, "/proc/") || strings.HasPrefix(path, "/sys/")
}

// errnoOf converts a host error to a MIPS errno (the numbers differ from
// the host's above 34).
func errnoOf(err error) int {
	switch {
	case errors.Is(err, errIsDir):
		return eISDIR
	case errors.Is(err, errNotDir):
		return eNOTDIR
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		switch e {
		case syscall.ENOTEMPTY:
			return 93
		case syscall.ELOOP:
			return 90
		case syscall.ENAMETOOLONG:
			return 78
		}
		if e < 35 {
			return int(e) // the classic numbers are shared
		}
		return eINVAL
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return eNOENT
	case errors.Is(err, fs.ErrPermission):
		return eACCES
	case errors.Is(err, fs.ErrExist):
		return eEXIST
	}
	return eINVAL
}

func (p *Proc) close(fd uint32) sysret {
	f := p.fd(fd)
	if f == nil {
		return fail(eBADF)
	}
	if f.host != nil {
		f.host.Close()
	}
	if f.pipe != nil {
		if f.kind == fdPipeR {
			f.pipe.readers--
		} else {
			f.pipe.writers--
			for _, t := range f.pipe.waiting {
				p.resume(t)
			}
			f.pipe.waiting = nil
		}
	}
	p.fds[fd] = nil
	return ok(0)
}

func (p *Proc) seek(fd uint32, off int64, whence, result uint32) sysret {
	f := p.fd(fd)
	if f == nil {
		return fail(eBADF)
	}
	if f.kind != fdHost || f.host == nil {
		return fail(eSPIPE)
	}
	pos, err := f.host.Seek(off, int(whence))
	if err != nil {
		return fail(eINVAL)
	}
	if result != 0 {
		var b [8]byte
		put64(b[:], uint64(pos))
		p.writeMem(result, b[:], 0)
		return ok(0)
	}
	return ok(uint32(pos))
}

func (p *Proc) pread(cs *coreState, fd, buf, n uint32, off int64) sysret {
	f := p.fd(fd)
	if f == nil || f.kind != fdHost || f.host == nil {
		return fail(eBADF)
	}
	b := make([]byte, n)
	k, err := f.host.ReadAt(b, off)
	if err != nil && err != io.EOF {
		return fail(eINVAL)
	}
	p.writeMem(buf, b[:k], cs.c.Cluster)
	return okInt(k)
}

func (p *Proc) fstatat(cs *coreState, dirfd int32, pathVA, buf, flags uint32) sysret {
	path, okp := p.readString(pathVA, 4096)
	if !okp {
		return fail(eFAULT)
	}
	if path == "" && flags&0x1000 != 0 { // AT_EMPTY_PATH
		f := p.fd(uint32(dirfd))
		if f == nil {
			return fail(eBADF)
		}
		return p.statFile(cs, f, buf)
	}
	hp, e := p.resolve(dirfd, pathVA)
	if e != 0 {
		return fail(e)
	}
	var fi os.FileInfo
	var err error
	if flags&0x100 != 0 { // AT_SYMLINK_NOFOLLOW
		fi, err = os.Lstat(hp)
	} else {
		fi, err = os.Stat(hp)
	}
	if err != nil {
		return fail(errnoOf(err))
	}
	return p.writeStat(cs, fi, buf)
}

func (p *Proc) statFile(cs *coreState, f *file, buf uint32) sysret {
	if f.kind == fdHost {
		fi, err := os.Stat(f.path)
		if err != nil {
			return fail(errnoOf(err))
		}
		return p.writeStat(cs, fi, buf)
	}
	// Character device for the terminal streams, FIFO for the rest.
	mode := uint32(0o10600)
	if f.kind == fdStdout || f.kind == fdStdin {
		mode = 0o20620
	}
	var b [160]byte
	put32(b[24:], mode)
	put32(b[28:], 1)
	put32(b[88:], 4096)
	if !p.writeMem(buf, b[:], cs.c.Cluster) {
		return fail(eFAULT)
	}
	return ok(0)
}

// writeStat fills a mips o32 struct stat64 (160 bytes).
func (p *Proc) writeStat(cs *coreState, fi os.FileInfo, buf uint32) sysret {
	var b [160]byte
	mode := uint32(fi.Mode().Perm())
	switch {
	case fi.IsDir():
		mode |= 0o040000
	case fi.Mode()&fs.ModeSymlink != 0:
		mode |= 0o120000
	default:
		mode |= 0o100000
	}
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
		put32(b[0:], uint32(st.Dev))
	}
	put64(b[16:], ino)
	put32(b[24:], mode)
	put32(b[28:], 1)
	put64(b[56:], uint64(fi.Size()))
	mt := fi.ModTime()
	for _, off := range []int{64, 72, 80} {
		put32(b[off:], uint32(mt.Unix()))
		put32(b[off+4:], uint32(mt.Nanosecond()))
	}
	put32(b[88:], 4096)
	put64(b[96:], uint64((fi.Size()+511)/512))
	if !p.writeMem(buf, b[:], cs.c.Cluster) {
		return fail(eFAULT)
	}
	return ok(0)
}

// getdents64 writes linux_dirent64 records: ino u64, off i64, reclen
// u16, type u8, name.
func (p *Proc) getdents(cs *coreState, fd, buf, n uint32) sysret {
	f := p.fd(fd)
	if f == nil || f.kind != fdHost {
		return fail(eBADF)
	}
	if f.dir == nil {
		return fail(eNOTDIR)
	}
	var out []byte
	for f.dirPos < len(f.dir) {
		e := f.dir[f.dirPos]
		name := e.Name()
		reclen := (19 + len(name) + 1 + 7) &^ 7
		if len(out)+reclen > int(n) {
			break
		}
		rec := make([]byte, reclen)
		put64(rec, uint64(f.dirPos+1))
		put64(rec[8:], uint64(f.dirPos+1))
		rec[16], rec[17] = byte(reclen), byte(reclen>>8)
		typ := byte(8) // DT_REG
		if e.IsDir() {
			typ = 4
		} else if e.Type()&fs.ModeSymlink != 0 {
			typ = 10
		}
		rec[18] = typ
		copy(rec[19:], name)
		out = append(out, rec...)
		f.dirPos++
	}
	if len(out) == 0 && f.dirPos < len(f.dir) {
		return fail(eINVAL)
	}
	if !p.writeMem(buf, out, cs.c.Cluster) {
		return fail(eFAULT)
	}
	return okInt(len(out))
}

func (p *Proc) epollCtl(epfd, op, fd, ev uint32) sysret {
	e := p.fd(epfd)
	if e == nil || e.kind != fdEpoll {
		return fail(eBADF)
	}
	switch op {
	case 1, 3: // ADD, MOD
		var b [16]byte
		if !p.readMem(ev, b[:]) {
			return fail(eFAULT)
		}
		e.epoll[int32(fd)] = epollReg{events: le32(b[:]), data: uint64(le32(b[8:])) | uint64(le32(b[12:]))<<32}
	case 2:
		delete(e.epoll, int32(fd))
	}
	return ok(0)
}

// epollWait returns the ready registered files, or blocks with the
// timeout (milliseconds; -1 forever) until one is ready.
func (p *Proc) epollWait(cs *coreState, epfd, evs, maxev uint32, timeout int32, ts64 bool) sysret {
	e := p.fd(epfd)
	if e == nil || e.kind != fdEpoll {
		return fail(eBADF)
	}
	if ts64 { // epoll_pwait2 takes a timespec pointer
		if uint32(timeout) == 0 {
			timeout = -1
		} else {
			ns, _ := p.readTimespec(uint32(timeout), true)
			timeout = int32(ns / 1e6)
		}
	}
	if n := p.collect(cs, e, evs, maxev); n > 0 || timeout == 0 {
		return okInt(n)
	}
	t := cs.cur
	e.waiting = append(e.waiting, t)
	// When woken, redo the call: back up to the SYSCALL with the
	// arguments restored.
	cs.c.PC, cs.c.NPC = cs.c.PC-4, cs.c.PC
	cs.c.R[2] = 4313
	if ts64 {
		cs.c.R[2] = 4441
	}
	if timeout > 0 {
		deadline := cs.c.Cnt.Cycles + p.cycles(uint64(timeout)*1e6)
		p.sleepUntil(cs, deadline, func() {
			p.unpoll(e, t)
			// Timed out: return 0 events instead of redoing the call.
			t.PC, t.NPC = t.PC+4, t.PC+8
			p.wake(t, 0, false)
		})
	} else {
		p.block(cs)
	}
	return blockedRet()
}

func (p *Proc) collect(cs *coreState, e *file, evs, maxev uint32) int {
	n := 0
	// Deterministic order: by file descriptor.
	for fd := int32(0); fd < int32(len(p.fds)) && uint32(n) < maxev; fd++ {
		reg, okr := e.epoll[fd]
		if !okr || p.fds[fd] == nil {
			continue
		}
		r := p.fds[fd].ready() & (reg.events | 0x18)
		if r == 0 {
			continue
		}
		var b [16]byte
		put32(b[:], r)
		put64(b[8:], reg.data)
		p.writeMem(evs+uint32(16*n), b[:], cs.c.Cluster)
		n++
	}
	return n
}

func (p *Proc) unpoll(e *file, t *Thread) {
	for i, w := range e.waiting {
		if w == t {
			e.waiting = append(e.waiting[:i], e.waiting[i+1:]...)
			return
		}
	}
}

// pollWake restarts every epoll waiter after a file became ready.
func (p *Proc) pollWake() {
	for _, f := range p.fds {
		if f == nil || f.kind != fdEpoll {
			continue
		}
		for _, t := range f.waiting {
			if t.state == blocked {
				p.removeTimer(t)
				p.resume(t)
			}
		}
		f.waiting = nil
	}
}

func (p *Proc) removeTimer(t *Thread) {
	t.deadline = 0
	t.onTime = nil
}
