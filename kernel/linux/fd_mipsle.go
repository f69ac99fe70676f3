package linux

import (
	"encoding/binary"

	"almos/kernel/cpu"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/ktime"
	"almos/kernel/spin"
	"almos/kernel/thread"
	"almos/kernel/wait"
)

type fileKind uint8

const (
	kindFree fileKind = iota
	kindConsole
	kindEventfd
	kindEpoll
)

// File status and descriptor flags (MIPS values).
const (
	oNonblock = 0x80
	oRDWR     = 2
	oCloexec  = 0x80000

	fGetfd    = 1
	fSetfd    = 2
	fGetfl    = 3
	fSetfl    = 4
	fdCloexec = 1

	efdSemaphore = 1
	efdNonblock  = 0x80
	efdCloexec   = 0x80000

	epollIn     = 0x1
	epollOut    = 0x4
	epollErr    = 0x8
	epollHup    = 0x10
	epollRdhup  = 0x2000
	epollET     = 0x80000000
	epollCtlAdd = 1
	epollCtlDel = 2
	epollCtlMod = 3

	maxFiles    = 64
	maxInterest = 16
)

type interest struct {
	fd     int32
	events uint32
	data   uint64
}

type file struct {
	kind    fileKind
	cloexec bool
	flags   uint32 // status flags (O_NONBLOCK)

	// eventfd
	count     uint64
	semaphore bool

	// epoll
	interests [maxInterest]interest
	ninterest int

	// waiters: eventfd readers, epoll_pwait callers, console readers
	q wait.Queue
}

var (
	// fdLock protects the descriptor table, eventfd counters and epoll
	// interest lists; wait-queue locks nest inside it.
	fdLock spin.Lock
	files  [maxFiles]file
)

func initFiles() {
	for fd := 0; fd < 3; fd++ {
		files[fd].kind = kindConsole
		files[fd].flags = oRDWR
	}
}

func lookup(fd uint32) (*file, Errno) {
	if fd >= maxFiles || files[fd].kind == kindFree {
		return nil, EBADF
	}
	return &files[fd], 0
}

func allocFile(kind fileKind) (int, Errno) {
	for fd := 3; fd < maxFiles; fd++ {
		if f := &files[fd]; f.kind == kindFree {
			// Reset field by field: the wait queue (empty on a free
			// file) keeps its lock word.
			f.kind, f.cloexec, f.flags = kind, false, 0
			f.count, f.semaphore, f.ninterest = 0, false, 0
			return fd, 0
		}
	}
	return -1, EMFILE
}

// parkOn parks the current thread on f's queue to run the call again when
// woken (or until deadline, then returning 0). fdLock is held.
func parkOn(c *cpu.CPU, t *thread.Thread, f *file, deadline int64) (uint32, Errno) {
	if !c.Park(t, deadline) {
		c.Unpark(t)
		return 0, ENOMEM
	}
	// Set up the restart before the token is armed (Add).
	t.Restart = true
	t.RestartDeadline = deadline
	t.Frame.EPC -= 4
	t.TimeoutRet, t.TimeoutErrno = 0, 0
	f.q.Lock(c.ID)
	f.q.Add(t.Entity(), 0)
	f.q.Unlock()
	return 0, parked
}

// wakeFile wakes every waiter of f and every epoll waiter watching fd.
// fdLock is held.
func wakeFile(c *cpu.CPU, fd int, f *file) {
	f.q.Lock(c.ID)
	f.q.Wake(1<<30, 0, cpu.WakeEntity)
	f.q.Unlock()
	for i := range files {
		ep := &files[i]
		if ep.kind != kindEpoll {
			continue
		}
		for j := 0; j < ep.ninterest; j++ {
			if ep.interests[j].fd == int32(fd) {
				ep.q.Lock(c.ID)
				ep.q.Wake(1<<30, 0, cpu.WakeEntity)
				ep.q.Unlock()
				break
			}
		}
	}
}

// consumeRestart takes the deadline a restarted call computed the first
// time; ok is false on a fresh call.
func consumeRestart(t *thread.Thread) (int64, bool) {
	if !t.Restart {
		return 0, false
	}
	t.Restart = false
	return t.RestartDeadline, true
}

func sysRead(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	fd, buf, n := arg(t, 0), uintptr(arg(t, 1)), uintptr(arg(t, 2))
	consumeRestart(t)
	if n > 1<<30 {
		n = 1 << 30
	}
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	f, e := lookup(fd)
	if e != 0 {
		return 0, e
	}
	if !kmem.Valid(buf, n) {
		return 0, EFAULT
	}
	switch f.kind {
	case kindConsole:
		if n == 0 {
			return 0, 0
		}
		got := consoleRead(kmem.Bytes(buf, n))
		if got > 0 {
			return uint32(got), 0
		}
		if f.flags&oNonblock != 0 {
			return 0, EAGAIN
		}
		consoleWaiters++
		return parkOn(c, t, &files[0], 0)
	case kindEventfd:
		if n < 8 {
			return 0, EINVAL
		}
		if f.count == 0 {
			if f.flags&oNonblock != 0 {
				return 0, EAGAIN
			}
			return parkOn(c, t, f, 0)
		}
		v := f.count
		if f.semaphore {
			v = 1
		}
		f.count -= v
		binary.LittleEndian.PutUint64(kmem.Bytes(buf, 8), v) // buf may be unaligned
		return 8, 0
	}
	return 0, EINVAL
}

func sysWrite(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	fd, buf, n := arg(t, 0), uintptr(arg(t, 1)), uintptr(arg(t, 2))
	if n > 1<<30 {
		n = 1 << 30
	}
	if !kmem.Valid(buf, n) && n != 0 {
		return 0, EFAULT
	}
	fdLock.Acquire(c.ID)
	f, e := lookup(fd)
	if e != 0 {
		fdLock.Release()
		return 0, e
	}
	switch f.kind {
	case kindConsole:
		fdLock.Release()
		if fd == 2 {
			writeStderr(c, kmem.Bytes(buf, n))
		} else {
			klog.Write(kmem.Bytes(buf, n))
		}
		return uint32(n), 0
	case kindEventfd:
		defer fdLock.Release()
		if n < 8 {
			return 0, EINVAL
		}
		v := uint64(*kmem.U32(buf)) | uint64(*kmem.U32(buf + 4))<<32
		if v == ^uint64(0) {
			return 0, EINVAL
		}
		if f.count+v < f.count || f.count+v == ^uint64(0) {
			return 0, EAGAIN
		}
		f.count += v
		if v != 0 {
			wakeFile(c, int(fd), f)
		}
		return 8, 0
	}
	fdLock.Release()
	return 0, EINVAL
}

func sysClose(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	fd := arg(t, 0)
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	f, e := lookup(fd)
	if e != 0 {
		return 0, e
	}
	if f.kind == kindConsole {
		return 0, 0
	}
	// Drop it from every interest list, and release its waiters.
	for i := range files {
		ep := &files[i]
		if ep.kind != kindEpoll {
			continue
		}
		for j := 0; j < ep.ninterest; j++ {
			if ep.interests[j].fd == int32(fd) {
				ep.interests[j] = ep.interests[ep.ninterest-1]
				ep.ninterest--
				break
			}
		}
	}
	f.q.Lock(c.ID)
	f.q.Wake(1<<30, 0, cpu.WakeEntity)
	f.q.Unlock()
	f.kind = kindFree
	return 0, 0
}

func sysFcntl(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	fd, cmd, v := arg(t, 0), arg(t, 1), arg(t, 2)
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	f, e := lookup(fd)
	if e != 0 {
		return 0, e
	}
	switch cmd {
	case fGetfd:
		if f.cloexec {
			return fdCloexec, 0
		}
		return 0, 0
	case fSetfd:
		f.cloexec = v&fdCloexec != 0
		return 0, 0
	case fGetfl:
		return f.flags | oRDWR, 0
	case fSetfl:
		f.flags = f.flags&^oNonblock | v&oNonblock
		return 0, 0
	}
	return 0, EINVAL
}

func sysIoctl(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	if _, e := lookup(arg(t, 0)); e != 0 {
		return 0, e
	}
	// No terminal control: the console is a raw serial line.
	return 0, ENOTTY
}

func sysEventfd2(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	initval, flags := arg(t, 0), arg(t, 1)
	if flags&^(efdSemaphore|efdNonblock|efdCloexec) != 0 {
		return 0, EINVAL
	}
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	fd, e := allocFile(kindEventfd)
	if e != 0 {
		return 0, e
	}
	f := &files[fd]
	f.count = uint64(initval)
	f.semaphore = flags&efdSemaphore != 0
	f.cloexec = flags&efdCloexec != 0
	if flags&efdNonblock != 0 {
		f.flags |= oNonblock
	}
	return uint32(fd), 0
}

func sysEpollCreate1(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	flags := arg(t, 0)
	if flags&^oCloexec != 0 {
		return 0, EINVAL
	}
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	fd, e := allocFile(kindEpoll)
	if e != 0 {
		return 0, e
	}
	files[fd].cloexec = flags&oCloexec != 0
	return uint32(fd), 0
}

func sysEpollCtl(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	epfd, op, fd, ev := arg(t, 0), arg(t, 1), arg(t, 2), uintptr(arg(t, 3))
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	ep, e := lookup(epfd)
	if e != 0 {
		return 0, e
	}
	if ep.kind != kindEpoll || fd == epfd {
		return 0, EINVAL
	}
	if _, e := lookup(fd); e != 0 {
		return 0, e
	}
	idx := -1
	for j := 0; j < ep.ninterest; j++ {
		if ep.interests[j].fd == int32(fd) {
			idx = j
		}
	}
	var events uint32
	var data uint64
	if op != epollCtlDel {
		if !kmem.ValidAligned(ev, 16, 4) {
			return 0, EFAULT
		}
		events = *kmem.U32(ev)
		data = uint64(*kmem.U32(ev + 8)) | uint64(*kmem.U32(ev + 12))<<32
	}
	switch op {
	case epollCtlAdd:
		if idx >= 0 {
			return 0, EEXIST
		}
		if ep.ninterest == maxInterest {
			return 0, ENOMEM
		}
		ep.interests[ep.ninterest] = interest{fd: int32(fd), events: events, data: data}
		ep.ninterest++
	case epollCtlMod:
		if idx < 0 {
			return 0, ENOENT
		}
		ep.interests[idx].events, ep.interests[idx].data = events, data
	case epollCtlDel:
		if idx < 0 {
			return 0, ENOENT
		}
		ep.interests[idx] = ep.interests[ep.ninterest-1]
		ep.ninterest--
	default:
		return 0, EINVAL
	}
	return 0, 0
}

// readiness is the event set fd would report now. fdLock is held.
func readiness(fd int32) uint32 {
	f := &files[fd]
	switch f.kind {
	case kindEventfd:
		r := uint32(epollOut)
		if f.count > 0 {
			r |= epollIn
		}
		return r
	case kindConsole:
		r := uint32(epollOut)
		if consoleAvailable() {
			r |= epollIn
		}
		return r
	}
	return 0
}

func sysEpollPwait(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	epfd, evs, maxev, timeout := arg(t, 0), uintptr(arg(t, 1)), int32(arg(t, 2)), int32(arg(t, 3))
	restartDeadline, restarted := consumeRestart(t)
	if maxev <= 0 || maxev > 1<<16 {
		return 0, EINVAL
	}
	if !kmem.ValidAligned(evs, uintptr(maxev)*16, 4) {
		return 0, EFAULT
	}
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	ep, e := lookup(epfd)
	if e != 0 {
		return 0, e
	}
	if ep.kind != kindEpoll {
		return 0, EINVAL
	}
	n := 0
	for j := 0; j < ep.ninterest && n < int(maxev); j++ {
		in := &ep.interests[j]
		r := readiness(in.fd) & (in.events | epollErr | epollHup)
		if r == 0 {
			continue
		}
		p := evs + uintptr(n)*16
		*kmem.U32(p) = r
		*kmem.U32(p + 4) = 0
		*kmem.U32(p + 8) = uint32(in.data)
		*kmem.U32(p + 12) = uint32(in.data >> 32)
		n++
	}
	if n > 0 || timeout == 0 {
		return uint32(n), 0
	}
	now := ktime.Now()
	deadline := restartDeadline
	if !restarted {
		deadline = 0
		if timeout > 0 {
			deadline = now + int64(timeout)*1e6
		}
	}
	if deadline != 0 && deadline <= now {
		return 0, 0
	}
	return parkOn(c, t, ep, deadline)
}

// Timeout is the cpu.OnTimeout hook: unlink the thread and give its call
// the timeout's result.
func Timeout(c *cpu.CPU, t *thread.Thread) {
	cpu.Unlink(c, t)
	if t.Restart {
		t.Restart = false
		t.Frame.EPC += 4
	}
	setResult(t, t.TimeoutRet, Errno(t.TimeoutErrno))
	if Errno(t.TimeoutErrno) == ETIMEDOUT {
		stats(c).FutexTimeouts++
	}
}

// sysFsync: nothing is buffered in the kernel; as on Linux, a terminal or
// an eventfd cannot be synced.
func sysFsync(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	fdLock.Acquire(c.ID)
	defer fdLock.Release()
	if _, e := lookup(arg(t, 0)); e != 0 {
		return 0, e
	}
	return 0, EINVAL
}
