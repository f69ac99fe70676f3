package linux

import (
	"almos/kernel/cpu"
	"almos/kernel/kmem"
	"almos/kernel/ktime"
	"almos/kernel/thread"
	"almos/sched"
)

// Clock ids.
const (
	clockRealtime       = 0
	clockMonotonic      = 1
	clockProcessCPUTime = 2
	clockThreadCPUTime  = 3
	clockMonotonicRaw   = 4
	clockRealtimeCoarse = 5
	clockMonotonicCoars = 6
	clockBoottime       = 7

	timerAbstime = 1
)

// readTimespec reads a timespec at p: {int32 sec; int32 nsec} or, with
// time64, {int64 sec; int32 nsec; pad}. It returns nanoseconds.
func readTimespec(p uintptr, time64 bool) (int64, Errno) {
	var sec, nsec int64
	if time64 {
		if !kmem.ValidAligned(p, 16, 4) {
			return 0, EFAULT
		}
		lo, hi := *kmem.U32(p), *kmem.U32(p + 4)
		sec = int64(uint64(hi)<<32 | uint64(lo))
		nsec = int64(int32(*kmem.U32(p + 8)))
	} else {
		if !kmem.ValidAligned(p, 8, 4) {
			return 0, EFAULT
		}
		sec = int64(int32(*kmem.U32(p)))
		nsec = int64(int32(*kmem.U32(p + 4)))
	}
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, EINVAL
	}
	const maxSec = (1 << 62) / 1_000_000_000
	if sec > maxSec {
		sec = maxSec
	}
	return sec*1e9 + nsec, 0
}

func writeTimespec(p uintptr, ns int64, time64 bool) Errno {
	sec, nsec := ns/1e9, ns%1e9
	if time64 {
		if !kmem.ValidAligned(p, 16, 4) {
			return EFAULT
		}
		*kmem.U32(p) = uint32(sec)
		*kmem.U32(p + 4) = uint32(uint64(sec) >> 32)
		*kmem.U32(p + 8) = uint32(nsec)
		*kmem.U32(p + 12) = 0
		return 0
	}
	if !kmem.ValidAligned(p, 8, 4) {
		return EFAULT
	}
	*kmem.U32(p) = uint32(sec)
	*kmem.U32(p + 4) = uint32(nsec)
	return 0
}

func clockNow(t *thread.Thread, id uint32) (int64, Errno) {
	switch id {
	case clockRealtime, clockRealtimeCoarse:
		return ktime.Wall(), 0
	case clockMonotonic, clockMonotonicRaw, clockMonotonicCoars, clockBoottime:
		return ktime.Now(), 0
	case clockThreadCPUTime:
		run := t.Sched.RunNS
		if t.Sched.State == sched.Running { // add the current stint
			run += ktime.Now() - t.Sched.LastStart
		}
		return run, 0
	case clockProcessCPUTime:
		return processCPUTime(), 0
	}
	return 0, EINVAL
}

func sysClockGettime(c *cpu.CPU, t *thread.Thread, time64 bool) (uint32, Errno) {
	ns, e := clockNow(t, arg(t, 0))
	if e != 0 {
		return 0, e
	}
	return 0, writeTimespec(uintptr(arg(t, 1)), ns, time64)
}

func sysClockGetres(c *cpu.CPU, t *thread.Thread, time64 bool) (uint32, Errno) {
	if _, e := clockNow(t, arg(t, 0)); e != 0 {
		return 0, e
	}
	if p := uintptr(arg(t, 1)); p != 0 {
		res := int64(1e9 / ktime.Hz())
		if res == 0 {
			res = 1
		}
		return 0, writeTimespec(p, res, time64)
	}
	return 0, 0
}

// sleepUntil parks t until deadline (monotonic ns). Only a signal ends the
// sleep early.
func sleepUntil(c *cpu.CPU, t *thread.Thread, deadline int64) (uint32, Errno) {
	if deadline <= ktime.Now() {
		return 0, 0
	}
	if !c.Park(t, deadline) {
		c.Unpark(t)
		return 0, ENOMEM
	}
	setResult(t, 0, 0)
	t.TimeoutRet, t.TimeoutErrno = 0, 0
	// No queue: arm the token here, last, so a signal can end the sleep.
	t.Sched.BeginWait()
	return 0, parked
}

func sysNanosleep(c *cpu.CPU, t *thread.Thread, time64 bool) (uint32, Errno) {
	d, e := readTimespec(uintptr(arg(t, 0)), time64)
	if e != 0 {
		return 0, e
	}
	return sleepUntil(c, t, ktime.Now()+d)
}

func sysClockNanosleep(c *cpu.CPU, t *thread.Thread, time64 bool) (uint32, Errno) {
	id, flags := arg(t, 0), arg(t, 1)
	d, e := readTimespec(uintptr(arg(t, 2)), time64)
	if e != 0 {
		return 0, e
	}
	now := ktime.Now()
	var deadline int64
	switch id {
	case clockMonotonic, clockBoottime:
		deadline = now + d
		if flags&timerAbstime != 0 {
			deadline = d
		}
	case clockRealtime:
		deadline = now + d
		if flags&timerAbstime != 0 {
			deadline = d - ktime.Wall() + now
		}
	default:
		return 0, EINVAL
	}
	return sleepUntil(c, t, deadline)
}

// processCPUTime sums the run time of every live thread.
func processCPUTime() int64 {
	var sum int64
	thread.Each(cpu.Self().ID, func(t *thread.Thread) { sum += t.Sched.RunNS })
	return sum
}
