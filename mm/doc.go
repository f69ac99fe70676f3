// Package mm holds the per-cluster physical memory managers: a binary buddy
// allocator of the page frames of one memory bank (Buddy) and fixed-size kernel
// object caches carved from its pages (Cache).
//
// Trap-safe: after Init, every method of Buddy and Cache (except Cache.Name's
// caller using the string it returns, which is static) may be called from trap
// context on a per-core trap stack: no method allocates from the Go heap, blocks
// on a Go primitive, stores a Go pointer, creates an interface, or panics on bad
// input. Misuse (double free, foreign pointer, out-of-range address, bad order)
// is refused with a false result and counted in Stats().Failures. Each allocator
// serialises its callers with a spinlock held for a bounded, short time (the
// longest holds are AllocRun's bitmap scan and FreeRange/Claim over long ranges,
// which are linear in the range or bank size). The spinlock does not mask
// interrupts: if an interrupt handler may use an allocator that the interrupted
// code may be holding, the caller must mask interrupts around the call.
//
// Init methods are not trap-safe: call them once, in thread context, before any
// other method, and never concurrently with other methods.
//
// A Buddy holds only integers and addresses, never Go pointers, and keeps its
// metadata in memory handed to Init by address, so a Buddy (and its metadata)
// may live in raw memory shared between kernel instances. The Buddy never reads
// or writes the pages it manages; a Cache does (it keeps slab headers and hands
// out zeroed objects), so a Cache needs a Buddy whose pages are addressable
// through the window given to InitWindow.
package mm
