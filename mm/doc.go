// Package mm holds the per-cluster physical memory managers: a binary buddy
// allocator of the page frames of one memory bank (Buddy) and fixed-size kernel
// object caches carved from its pages (Cache).
//
// Trap-safe: after Init, every method of Buddy and Cache may be called from
// trap context (syscall emulation, page faults) on a per-core trap stack. No
// method allocates from the Go heap, blocks on a Go primitive, stores a Go
// pointer, creates an interface or panics on bad input: misuse (double free,
// a pointer or range the allocator did not hand out, an address outside the
// bank, a bad order) is refused with a false result, changes nothing and is
// counted in the Failures statistic. The zero value of either type refuses
// every request until Init. Each allocator serialises its callers with a
// spinlock held for short sections; the longest are linear in the size of the
// request (FreeRange, Claim, AllocRun) or, for AllocRun when no single free
// block holds the run, in the size of the bank (a bitmap scan at 32 pages a
// step). The spinlock does not mask interrupts: if an interrupt handler may
// use an allocator that the code it interrupted may hold, the caller must
// mask interrupts around the call. A Cache calls its Buddy while holding its
// own lock, never the other way round.
//
// Init and InitWindow are not trap-safe: call them once, in thread context,
// before any other method, and never concurrently with other methods.
//
// A Buddy holds only integers and addresses, never Go pointers, and keeps its
// per-page metadata in memory handed to Init by address, so a Buddy may itself
// live in raw memory reached by several kernel instances. The Buddy never
// reads or writes the pages it manages. A Cache does (slab headers and zeroed
// objects), so its Buddy's pages must be addressable, directly or through the
// window given to InitWindow.
package mm
