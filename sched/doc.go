// Package sched is the per-core scheduler of the kernel: each core owns a
// Core with its run queues (one per policy), its timer queue and an inbox for
// wake-ups sent by other cores. There is no global run queue and no global
// scheduler lock.
//
// Threads take part through an Entity embedded in their descriptor. Entities
// are named by address (uintptr) and linked intrusively, so the scheduler never
// allocates and never stores a Go pointer: the same code runs in trap context
// in the kernel and on the host in tests, where entities live in ordinary Go
// memory kept alive by the test.
//
// Ownership rule: only the owner core touches its run queues and timer queue
// (in trap context, interrupts off, so no lock is needed). Other cores reach a
// core only through its inbox, a lock-free stack drained by the owner; the
// one thing they read is the length of its run queues (Ready), an atomic
// snapshot.
//
// Trap-safe: no allocation, no blocking, no Go pointers stored; the inbox, the
// wait token and the queue lengths are sync/atomic operations.
package sched
