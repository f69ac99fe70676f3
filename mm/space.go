package mm

// Space is a paged address space: a virtual range whose pages map page
// frames of any bank through a linear page table, one EntryLo word per page,
// so that the table holds each TLB entry's even/odd pair side by side (the
// TLB refill handler loads the pair of BadVAddr>>13 with two loads). A page
// is in one of three states: free (not the process's), reserved (PROT_NONE:
// held, inaccessible) or mapped (readable and writable); a mapped or
// reserved page is resident when its table entry holds a frame. Frames are
// bound lazily: mapping a range takes no frame, the first touch of a page
// does (Fill), and giving a page back (Clear) unbinds its frame, which the
// caller returns to its bank once no core's TLB can still reach it. That is
// how memory the Go runtime releases (MADV_DONTNEED) goes back to the page
// allocators, and how first-touch placement works: the frame comes from the
// cluster of the thread that touches the page.
//
// Space knows nothing of TLBs, locks or allocators: its caller serialises
// the calls, allocates and frees frames and keeps the TLBs coherent.
//
// Trap-safe: no method allocates, and the table and state map are named by
// address (memory given to Init), never by Go pointer.
type Space struct {
	base  uintptr // first virtual address
	pages uintptr // pages in the range
	table uintptr // [pages]uint32: EntryLo of each page
	state uintptr // [pages]byte: StateFree, StateReserved or StateMapped

	// physOffset turns a frame's address into its physical address
	// (physical = frame + physOffset, modulo 2^32); attr is the EntryLo
	// cache attribute of mapped pages.
	physOffset uint32
	attr       uint32

	next uintptr // where Find starts looking

	// Pages in each state, resident pages, and counters.
	Mapped, Reserved, Resident uintptr
	Fills, Clears              uint64
}

// Page states.
const (
	StateFree     byte = 0
	StateReserved byte = 1 // PROT_NONE
	StateMapped   byte = 2 // readable and writable
)

// EntryLo bits of a page table entry.
const (
	pteGlobal = 1 << 0
	pteValid  = 1 << 1
	pteDirty  = 1 << 2 // writable
	pteAttr   = 3      // cache attribute shift
	ptePFN    = 6      // page frame number shift
)

// invalidPTE is a table entry without a frame. It keeps the global bit so
// that a TLB entry pairing it with a valid page stays global (a pair is
// global only when both halves are).
const invalidPTE = pteGlobal

// SpaceTableBytes and SpaceStateBytes are the sizes of the memory Init needs
// for a space of npages pages.
func SpaceTableBytes(npages uintptr) uintptr { return npages * 4 }
func SpaceStateBytes(npages uintptr) uintptr { return npages }

// Init makes s the space [base, base+npages*PageSize), every page free, with
// its table and state map at the given addresses. base must be aligned to a
// page pair (8 KiB) and npages even, so that each TLB entry's pair lies in
// the space, and the space must lie in the 32-bit address space.
func (s *Space) Init(base, npages, table, state uintptr, physOffset, attr uint32) bool {
	*s = Space{}
	if base&(2*PageSize-1) != 0 || npages == 0 || npages&1 != 0 || table&3 != 0 ||
		uint64(base)+uint64(npages)*PageSize > 1<<32 {
		return false
	}
	s.base, s.pages, s.table, s.state = base, npages, table, state
	s.physOffset, s.attr = physOffset, attr
	zeroBytes(state, npages)
	for i := uintptr(0); i < npages; i++ {
		*u32At(table + 4*i) = invalidPTE
	}
	return true
}

// Base, Pages and Table describe the space (the refill handler needs them).
func (s *Space) Base() uintptr  { return s.base }
func (s *Space) Pages() uintptr { return s.pages }
func (s *Space) Table() uintptr { return s.table }

// Index returns the page index of va and whether [va, va+n bytes) lies in
// the space.
func (s *Space) Index(va, n uintptr) (uintptr, bool) {
	if va < s.base || va+n < va || va+n > s.base+s.pages*PageSize {
		return 0, false
	}
	return (va - s.base) >> PageShift, true
}

// Addr returns the virtual address of page i.
func (s *Space) Addr(i uintptr) uintptr { return s.base + i<<PageShift }

// State returns the state of page i.
func (s *Space) State(i uintptr) byte { return *u8At(s.state + i) }

// PTE returns the table entry of page i.
func (s *Space) PTE(i uintptr) uint32 { return *u32At(s.table + 4*i) }

// Frame returns the frame bound to page i, if any.
func (s *Space) Frame(i uintptr) (uintptr, bool) {
	e := s.PTE(i)
	if e&pteValid == 0 {
		return 0, false
	}
	return uintptr(e>>ptePFN<<PageShift - s.physOffset), true
}

// Pair returns the TLB entry of the pair holding page i: EntryHi's VPN2
// (ASID 0) and both EntryLo words.
func (s *Space) Pair(i uintptr) (hi, lo0, lo1 uint32) {
	even := i &^ 1
	return uint32(s.Addr(even)), s.PTE(even), s.PTE(even + 1)
}

// Find returns the first page of a run of n free pages, looking from where
// the last search ended, then from the start.
func (s *Space) Find(n uintptr) (uintptr, bool) {
	if n == 0 || n > s.pages {
		return 0, false
	}
	if i, ok := s.findFrom(s.next, n); ok {
		return i, true
	}
	return s.findFrom(0, n)
}

func (s *Space) findFrom(from, n uintptr) (uintptr, bool) {
	run := uintptr(0)
	for i := from; i < s.pages; i++ {
		if s.State(i) != StateFree {
			run = 0
			continue
		}
		run++
		if run == n {
			first := i + 1 - n
			s.next = i + 1
			return first, true
		}
	}
	return 0, false
}

// AllFree reports whether [first, first+n) holds free pages only.
func (s *Space) AllFree(first, n uintptr) bool {
	for i := first; i < first+n; i++ {
		if s.State(i) != StateFree {
			return false
		}
	}
	return true
}

// SetState sets the state of [first, first+n). Pages becoming free must not
// be resident (Clear them first).
func (s *Space) SetState(first, n uintptr, st byte) {
	for i := first; i < first+n; i++ {
		p := u8At(s.state + i)
		switch *p {
		case StateMapped:
			s.Mapped--
		case StateReserved:
			s.Reserved--
		}
		*p = st
		switch st {
		case StateMapped:
			s.Mapped++
		case StateReserved:
			s.Reserved++
		}
	}
}

// Fill binds frame to page i, which must not be resident.
func (s *Space) Fill(i, frame uintptr) {
	pa := uint32(frame) + s.physOffset
	*u32At(s.table + 4*i) = pa>>PageShift<<ptePFN | s.attr<<pteAttr | pteDirty | pteValid | pteGlobal
	s.Resident++
	s.Fills++
}

// Clear unbinds the frames of the resident pages of [first, first+n),
// writing them to out, and stops when out is full. It returns how many
// pages of the range it went through and how many frames it wrote: the
// caller frees those frames once no TLB holds them, then calls again for
// the rest of the range.
func (s *Space) Clear(first, n uintptr, out []uintptr) (done uintptr, k int) {
	for done < n {
		i := first + done
		if f, ok := s.Frame(i); ok {
			if k == len(out) {
				return done, k
			}
			out[k] = f
			k++
			*u32At(s.table + 4*i) = invalidPTE
			s.Resident--
			s.Clears++
		}
		done++
	}
	return done, k
}
