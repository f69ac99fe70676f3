// Package spin is the kernel's spinlock.
//
// Trap-safe. A spinlock may be taken only where the holder cannot be
// preempted on its core: in trap context (interrupts off) or in early boot.
// Thread-context kernel code never takes one; it enters the kernel through a
// system call instead, so a thread holding a lock can never be switched out
// in favour of another that spins on the same lock on the same core.
package spin

import "sync/atomic"

// Lock is a test-and-test-and-set spinlock.
type Lock struct {
	v atomic.Uint32
	// Holder is 1 + the core that holds the lock (0 when free), kept for
	// diagnostics.
	Holder atomic.Uint32
}

// Acquire takes the lock on behalf of core.
func (l *Lock) Acquire(core uint32) {
	for {
		if l.v.Load() == 0 && l.v.CompareAndSwap(0, 1) {
			l.Holder.Store(core + 1)
			return
		}
	}
}

// TryAcquire takes the lock if it is free.
func (l *Lock) TryAcquire(core uint32) bool {
	if l.v.Load() == 0 && l.v.CompareAndSwap(0, 1) {
		l.Holder.Store(core + 1)
		return true
	}
	return false
}

// Release frees the lock.
func (l *Lock) Release() {
	l.Holder.Store(0)
	l.v.Store(0)
}

// Held reports whether someone holds the lock.
func (l *Lock) Held() bool { return l.v.Load() != 0 }
