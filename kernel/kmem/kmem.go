// Package kmem knows the kernel's address map: which virtual ranges hold
// memory (the kernel image in KSEG0, the heap window in KUSEG and the paged
// space below it) and how to
// look at memory named by an address. System calls use it to refuse a bad
// pointer with EFAULT instead of faulting in trap context, and the fault
// report uses it to read stacks safely.
//
// Trap-safe.
package kmem

import "unsafe"

// Range is a half-open virtual address range.
type Range struct {
	Start, End uintptr
}

// Contains reports whether [p, p+n) lies in r.
func (r Range) Contains(p, n uintptr) bool {
	return p >= r.Start && p+n >= p && p+n <= r.End
}

// Size is the length of r.
func (r Range) Size() uintptr { return r.End - r.Start }

var (
	// Image is the loaded kernel image, its data and bss (KSEG0).
	Image Range
	// Window is the KUSEG window mapped onto RAM by wired TLB entries: the
	// Go heap, thread descriptors, page-allocator memory.
	Window Range
	// WindowPhys is the physical address Window.Start maps to.
	WindowPhys uint64

	// Paged is the process's paged space (mm.Space): its pages reach
	// frames through a page table and the TLB refill handler, and a page
	// may have no frame yet.
	Paged Range
	// Populate binds frames to every page of [p, p+n) in Paged and
	// reports whether they are all mapped: then the kernel may touch the
	// range (a TLB refill, never a fault).
	Populate func(p, n uintptr) bool
	// Resolve returns the window address of the byte at p in Paged if its
	// page has a frame, without binding one or taking a lock.
	Resolve func(p uintptr) (uintptr, bool)
)

// Valid reports whether [p, p+n) is memory the kernel can read and write.
// For the paged space it binds the frames the range lacks: so it is called
// in trap context, never with the space's lock held.
func Valid(p, n uintptr) bool {
	if n == 0 {
		if p == 0 {
			return false
		}
		n = 1
		if Paged.Contains(p, 1) {
			return Populate != nil && Populate(p, 1)
		}
		return Image.Contains(p, 1) || Window.Contains(p, 1)
	}
	if Image.Contains(p, n) || Window.Contains(p, n) {
		return true
	}
	return Paged.Contains(p, n) && Populate != nil && Populate(p, n)
}

// ValidAligned is Valid plus an alignment check (align is a power of two).
func ValidAligned(p, n, align uintptr) bool {
	return p&(align-1) == 0 && Valid(p, n)
}

// Ptr converts an address to a pointer. Callers check Valid first; the
// conversion goes through memory so that vet's uintptr rule (meant for
// pointers derived by arithmetic from Go objects) stays meaningful elsewhere.
func Ptr(a uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&a))
}

// Bytes returns the n bytes at p as a slice (no copy).
func Bytes(p, n uintptr) []byte {
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(Ptr(p)), n)
}

// U32 returns a pointer to the word at p.
func U32(p uintptr) *uint32 { return (*uint32)(Ptr(p)) }

// Read32 reads the word at p if it is memory, without binding frames or
// taking locks (a word of the paged space is read through the window, so
// it works at exception level too): the fault report reads stacks with it.
func Read32(p uintptr) (uint32, bool) {
	if p&3 != 0 {
		return 0, false
	}
	if Image.Contains(p, 4) || Window.Contains(p, 4) {
		return *U32(p), true
	}
	if Paged.Contains(p, 4) && Resolve != nil {
		if w, ok := Resolve(p); ok {
			return *U32(w), true
		}
	}
	return 0, false
}

// Zero clears n bytes at p.
func Zero(p, n uintptr) {
	clear(Bytes(p, n))
}
