package linux

import (
	"sync/atomic"

	"almos/kernel/cpu"
	"almos/kernel/kmem"
	"almos/kernel/ktime"
	"almos/kernel/thread"
	"almos/kernel/wait"
)

// Futex operations.
const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivateFlag   = 128
	futexClockRealtime = 256
	futexCmdMask       = 0x7f
)

// futexBuckets hash futex addresses to wait queues. One address space
// (the kernel's) so the virtual address is the key.
var futexBuckets [256]wait.Queue

func futexBucket(addr uintptr) *wait.Queue {
	h := uint32(addr>>2) * 0x9e3779b1
	return &futexBuckets[h>>24]
}

func sysFutex(c *cpu.CPU, t *thread.Thread, time64 bool) (uint32, Errno) {
	uaddr := uintptr(arg(t, 0))
	op := arg(t, 1)
	val := arg(t, 2)
	if !kmem.ValidAligned(uaddr, 4, 4) {
		return 0, EFAULT
	}
	switch op & futexCmdMask {
	case futexWait, futexWaitBitset:
		var deadline int64
		if ts := uintptr(arg(t, 3)); ts != 0 {
			d, e := readTimespec(ts, time64)
			if e != 0 {
				return 0, e
			}
			now := ktime.Now()
			if op&futexCmdMask == futexWait {
				deadline = now + d
			} else if op&futexClockRealtime != 0 {
				deadline = d - ktime.Wall() + now
			} else {
				deadline = d
			}
			if deadline <= now {
				deadline = now // expired already: checked below
			}
		}
		return futexWaitOn(c, t, uaddr, val, deadline)
	case futexWake, futexWakeBitset:
		return futexWakeUp(c, uaddr, int(val)), 0
	case futexRequeue, futexCmpRequeue:
		uaddr2, ok := stackArg(t, 4)
		if !ok || !kmem.ValidAligned(uintptr(uaddr2), 4, 4) {
			return 0, EFAULT
		}
		nrequeue := int(arg(t, 3)) // val2 travels in the timeout slot
		var cmp uint32
		if op&futexCmdMask == futexCmpRequeue {
			v3, ok := stackArg(t, 5)
			if !ok {
				return 0, EFAULT
			}
			cmp = v3
		}
		return futexRequeueOp(c, uaddr, uintptr(uaddr2), int(val), nrequeue, op&futexCmdMask == futexCmpRequeue, cmp)
	}
	return 0, ENOSYS
}

func futexWaitOn(c *cpu.CPU, t *thread.Thread, uaddr uintptr, val uint32, deadline int64) (uint32, Errno) {
	stats(c).FutexWaits++
	q := futexBucket(uaddr)
	if deadline != 0 && deadline <= ktime.Now() {
		// A timeout already past: only the value check remains.
		if atomic.LoadUint32(kmem.U32(uaddr)) != val {
			stats(c).FutexMismatch++
			return 0, EAGAIN
		}
		stats(c).FutexTimeouts++
		return 0, ETIMEDOUT
	}
	if !c.Park(t, deadline) {
		c.Unpark(t)
		return 0, ENOMEM
	}
	q.Lock(c.ID)
	if atomic.LoadUint32(kmem.U32(uaddr)) != val {
		q.Unlock()
		c.Unpark(t)
		stats(c).FutexMismatch++
		return 0, EAGAIN
	}
	// The result of a wake-up, and of a timeout, before the token is armed.
	setResult(t, 0, 0)
	t.TimeoutRet, t.TimeoutErrno = 0, uint32(ETIMEDOUT)
	q.Add(t.Entity(), uaddr)
	q.Unlock()
	return 0, parked
}

func futexWakeUp(c *cpu.CPU, uaddr uintptr, n int) uint32 {
	stats(c).FutexWakes++
	if n <= 0 {
		return 0
	}
	q := futexBucket(uaddr)
	q.Lock(c.ID)
	woken := q.Wake(n, uaddr, cpu.WakeEntity)
	q.Unlock()
	stats(c).FutexWoken += uint64(woken)
	return uint32(woken)
}

func futexRequeueOp(c *cpu.CPU, uaddr, uaddr2 uintptr, nwake, nrequeue int, compare bool, cmp uint32) (uint32, Errno) {
	q1, q2 := futexBucket(uaddr), futexBucket(uaddr2)
	// Lock in address order so two requeues cannot deadlock.
	first, second := q1, q2
	if uintptrOfQueue(q2) < uintptrOfQueue(q1) {
		first, second = q2, q1
	}
	first.Lock(c.ID)
	if second != first {
		second.Lock(c.ID)
	}
	unlock := func() {
		if second != first {
			second.Unlock()
		}
		first.Unlock()
	}
	if compare && atomic.LoadUint32(kmem.U32(uaddr)) != cmp {
		unlock()
		return 0, EAGAIN
	}
	woken := q1.Wake(nwake, uaddr, cpu.WakeEntity)
	moved := 0
	if nrequeue > 0 {
		moved = q1.Requeue(q2, nrequeue, uaddr, uaddr2)
	}
	unlock()
	return uint32(woken + moved), 0
}
