// Package wait holds wait queues: lists of blocked threads, each protected by
// a spinlock, on which futexes, eventfds, epoll instances and the console
// park their waiters.
//
// The protocol that makes a wake-up happen exactly once, whichever of a waker
// on another core, a signal or the waiter's own timeout comes first: a
// waiter links itself under the queue lock and arms its entity's wait token
// last (Add does both); a waker, under the same lock, takes the token
// (sched.Entity.TryClaimWake) and unlinks the entities it won; the timeout
// and signal paths take the token first and then unlink under the lock.
// Whoever holds the token makes the thread ready, and is the only one to
// write the thread's registers from then on.
//
// Trap-safe. Queues hold entity addresses, never Go pointers.
package wait

import (
	"almos/kernel/spin"
	"almos/sched"
)

// Queue is a FIFO of waiting entities.
type Queue struct {
	lock       spin.Lock
	head, tail uintptr
	n          int32
}

// Lock takes the queue's lock on behalf of core.
func (q *Queue) Lock(core uint32) { q.lock.Acquire(core) }

// Unlock releases it.
func (q *Queue) Unlock() { q.lock.Release() }

// Len is the number of waiters (read under the lock for an exact value).
func (q *Queue) Len() int { return int(q.n) }

func addr(q *Queue) uintptr { return uintptrOf(q) }

// Add links entity e (address a) at the tail, with key, and arms its wait
// token last: a waker can only take a token of a linked entity. Lock held.
func (q *Queue) Add(a uintptr, key uintptr) {
	e := sched.At(a)
	e.WaitQ = addr(q)
	e.WaitKey = key
	e.WaitNext = 0
	e.WaitPrev = q.tail
	if q.tail != 0 {
		sched.At(q.tail).WaitNext = a
	} else {
		q.head = a
	}
	q.tail = a
	q.n++
	e.BeginWait()
}

// Remove unlinks a if it is on q. Lock held.
func (q *Queue) Remove(a uintptr) bool {
	e := sched.At(a)
	if e.WaitQ != addr(q) {
		return false
	}
	if e.WaitPrev != 0 {
		sched.At(e.WaitPrev).WaitNext = e.WaitNext
	} else {
		q.head = e.WaitNext
	}
	if e.WaitNext != 0 {
		sched.At(e.WaitNext).WaitPrev = e.WaitPrev
	} else {
		q.tail = e.WaitPrev
	}
	e.WaitNext, e.WaitPrev, e.WaitQ = 0, 0, 0
	q.n--
	return true
}

// Wake wakes up to n waiters whose key is key (any key if key is 0), oldest
// first, calling wake for each one it won. It returns how many it woke. Lock
// held.
func (q *Queue) Wake(n int, key uintptr, wake func(a uintptr)) int {
	woken := 0
	a := q.head
	for a != 0 && woken < n {
		e := sched.At(a)
		next := e.WaitNext
		if key == 0 || e.WaitKey == key {
			if e.TryClaimWake() {
				q.Remove(a)
				wake(a)
				woken++
			}
		}
		a = next
	}
	return woken
}

// Requeue moves up to n waiters with key from q to dst (both locked),
// changing their key to newKey. It returns how many it moved.
func (q *Queue) Requeue(dst *Queue, n int, key, newKey uintptr) int {
	moved := 0
	a := q.head
	for a != 0 && moved < n {
		e := sched.At(a)
		next := e.WaitNext
		if e.WaitKey == key && e.Waiting() {
			q.Remove(a)
			dst.Add(a, newKey) // re-arms the token, still armed
			moved++
		}
		a = next
	}
	return moved
}

// At returns the queue at address a (an entity's WaitQ).
func At(a uintptr) *Queue { return queueAt(a) }
