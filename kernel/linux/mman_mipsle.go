package linux

import (
	"almos/kernel/cpu"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/spin"
	"almos/kernel/thread"
	"almos/mm"
)

// The process's memory mappings. The heap window is a direct map of the
// bank (virtual page i is physical page i of the bank), so mapping memory is
// taking pages from the bank's page allocator and unmapping is giving them
// back. A byte per page records what the process holds:
const (
	pageFree     = 0 // not the process's (free or the kernel's)
	pageRW       = 1 // mapped readable and writable
	pageReserved = 2 // mapped PROT_NONE: held, not yet zeroed
)

// minReservation (pages) is the largest PROT_NONE reservation always
// granted: the Go runtime's 4 MiB heap arena plus 4 MiB to align it.
const minReservation = 8 << 20 >> mm.PageShift

const (
	protNone  = 0
	mapShared = 0x1
	mapPriv   = 0x2
	mapFixed  = 0x10
	mapAnon   = 0x800
)

// The banks' page allocators, set at boot (the clusters' managers): where a
// mapping's pages come from and go back to.
var (
	// AllocPages takes a run for a thread on core (its cluster first).
	AllocPages func(core uint32, npages uintptr) (uintptr, bool)
	// ClaimPages takes exactly a range if it is all free.
	ClaimPages func(addr, npages uintptr) bool
	// FreePages gives a range back.
	FreePages func(addr, npages uintptr) bool
	// PageFree tells whether a page is free.
	PageFree func(addr uintptr) bool
	// PageStats adds up the allocators' statistics.
	PageStats func() mm.Stats
)

// VM is the state of the process's mappings.
var VM struct {
	lock   spin.Lock
	base   uintptr // first page of the window the allocators manage
	npages uintptr
	state  uintptr // [npages]byte

	// Pages held in each state, and counters.
	RW, Reserved uint64
	Maps, Unmaps uint64
	Failures     uint64
	Dontneed     uint64 // pages cleared by MADV_DONTNEED
	// RefusedReservations counts PROT_NONE reservations refused for size.
	RefusedReservations uint64
	ZeroedBytes         uint64
}

// InitVM sets up the mapping state of the window [base, base+npages
// pages). stateMem holds one byte per page (zeroed by the caller).
func InitVM(base, npages, stateMem uintptr) {
	VM.base = base
	VM.npages = npages
	VM.state = stateMem
}

func pageState(i uintptr) *byte { return &kmem.Bytes(VM.state+i, 1)[0] }

func pageIndex(va uintptr) (uintptr, bool) {
	if va < VM.base || va >= VM.base+VM.npages*mm.PageSize {
		return 0, false
	}
	return (va - VM.base) >> mm.PageShift, true
}

func setPages(first, n uintptr, st byte) {
	for i := first; i < first+n; i++ {
		p := pageState(i)
		switch *p {
		case pageRW:
			VM.RW--
		case pageReserved:
			VM.Reserved--
		}
		*p = st
		switch st {
		case pageRW:
			VM.RW++
		case pageReserved:
			VM.Reserved++
		}
	}
}

// zeroPages clears the pages of [first, first+n) that become readable.
func zeroPages(first, n uintptr) {
	kmem.Zero(VM.base+first<<mm.PageShift, n<<mm.PageShift)
	VM.ZeroedBytes += uint64(n << mm.PageShift)
}

// claimFixed makes [first, first+n) the process's, taking the pages that are
// free. It fails if a page belongs to the kernel.
func claimFixed(first, n uintptr) bool {
	for i := first; i < first+n; i++ {
		if *pageState(i) == pageFree && !PageFree(VM.base+i<<mm.PageShift) {
			return false
		}
	}
	i := first
	for i < first+n {
		if *pageState(i) != pageFree {
			i++
			continue
		}
		j := i
		for j < first+n && *pageState(j) == pageFree {
			j++
		}
		if !ClaimPages(VM.base+i<<mm.PageShift, j-i) {
			// Taken meanwhile by another core's allocation: give back
			// what this call claimed.
			undoClaims(first, i)
			return false
		}
		i = j
	}
	return true
}

// undoClaims frees the pages of [first, upto) this call just claimed: those
// still marked free in the state map.
func undoClaims(first, upto uintptr) {
	for i := first; i < upto; i++ {
		if *pageState(i) == pageFree && !PageFree(VM.base+i<<mm.PageShift) {
			FreePages(VM.base+i<<mm.PageShift, 1)
		}
	}
}

func sysMmap(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	r, e := mmap(c, t)
	if Debug {
		var l klog.Line
		l.S("mm: mmap(").X(arg(t, 0)).S(", ").X(arg(t, 1)).S(", prot ").U(uint64(arg(t, 2))).S(", flags ").X(arg(t, 3)).S(") = ")
		if e != 0 {
			l.S("-").U(uint64(e))
		} else {
			l.X(r)
		}
		l.Print()
	}
	return r, e
}

func mmap(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	addr, length, prot, flags := uintptr(arg(t, 0)), uintptr(arg(t, 1)), arg(t, 2), arg(t, 3)
	fd, ok := stackArg(t, 4)
	if !ok {
		return 0, EFAULT
	}
	if flags&mapAnon == 0 {
		if int32(fd) < 0 || fd >= maxFiles || files[fd].kind == kindFree {
			return 0, EBADF
		}
		return 0, ENODEV // no file can be mapped
	}
	if length == 0 || length > 1<<31 || flags&(mapShared|mapPriv) == 0 {
		return 0, EINVAL
	}
	n := (length + mm.PageSize - 1) >> mm.PageShift
	fixed := flags&mapFixed != 0
	if fixed && addr&(mm.PageSize-1) != 0 {
		return 0, EINVAL
	}
	if prot == protNone && !fixed && n > VM.npages/4 && n > minReservation {
		// A reservation of address space costs real pages in a direct
		// map. The Go runtime asks for 512, 256 or 128 MiB up front and,
		// refused, grows its heap 4 MiB at a time: leave the memory to
		// everything else. Each of those steps reserves 8 MiB (an arena
		// and its alignment slack, the excess unmapped at once), which a
		// small machine must grant.
		VM.RefusedReservations++
		return 0, ENOMEM
	}
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	var first uintptr
	got := false
	if fixed {
		i, in := pageIndex(addr)
		if !in || i+n > VM.npages || !claimFixed(i, n) {
			VM.Failures++
			return 0, ENOMEM
		}
		first, got = i, true
	} else if addr != 0 && addr&(mm.PageSize-1) == 0 {
		// A hint: honoured when the whole range is free.
		if i, in := pageIndex(addr); in && i+n <= VM.npages && ClaimPages(addr, n) {
			first, got = i, true
		}
	}
	if !got {
		va, ok := AllocPages(c.ID, n)
		if !ok {
			VM.Failures++
			return 0, ENOMEM
		}
		first, _ = pageIndex(va)
	}
	if !fixed {
		// Pages fresh from the allocator cannot be the process's already.
		for i := first; i < first+n; i++ {
			if *pageState(i) != pageFree {
				var l klog.Line
				l.S("mm: BUG: page ").X(uint32(VM.base + i<<mm.PageShift)).S(" handed out twice (mmap ").X(uint32(addr)).S(" len ").X(uint32(length)).S(")").Print()
				break
			}
		}
	}
	if prot == protNone {
		setPages(first, n, pageReserved)
	} else {
		zeroPages(first, n)
		setPages(first, n, pageRW)
	}
	VM.Maps++
	return uint32(VM.base + first<<mm.PageShift), 0
}

func sysMunmap(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	addr, length := uintptr(arg(t, 0)), uintptr(arg(t, 1))
	if addr&(mm.PageSize-1) != 0 || length == 0 {
		return 0, EINVAL
	}
	n := (length + mm.PageSize - 1) >> mm.PageShift
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	first, in := pageIndex(addr)
	if !in {
		return 0, 0 // nothing of ours there
	}
	if first+n > VM.npages {
		n = VM.npages - first
	}
	i := first
	for i < first+n {
		if *pageState(i) == pageFree {
			i++
			continue
		}
		j := i
		for j < first+n && *pageState(j) != pageFree {
			j++
		}
		setPages(i, j-i, pageFree)
		if !FreePages(VM.base+i<<mm.PageShift, j-i) {
			var l klog.Line
			l.S("mm: munmap could not free pages at ").X(uint32(VM.base + i<<mm.PageShift)).Print()
		}
		i = j
	}
	VM.Unmaps++
	return 0, 0
}

func sysMprotect(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	addr, length, prot := uintptr(arg(t, 0)), uintptr(arg(t, 1)), arg(t, 2)
	if addr&(mm.PageSize-1) != 0 {
		return 0, EINVAL
	}
	n := (length + mm.PageSize - 1) >> mm.PageShift
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	first, in := pageIndex(addr)
	if !in || first+n > VM.npages {
		return 0, ENOMEM
	}
	for i := first; i < first+n; i++ {
		if *pageState(i) == pageFree {
			return 0, ENOMEM
		}
	}
	// The window has no per-page protection: PROT_NONE is recorded, not
	// enforced. Reserved pages becoming accessible are zeroed now.
	for i := first; i < first+n; i++ {
		if prot != protNone && *pageState(i) == pageReserved {
			zeroPages(i, 1)
			setPages(i, 1, pageRW)
		} else if prot == protNone {
			setPages(i, 1, pageReserved)
		}
	}
	return 0, 0
}

// Advice values (MIPS Linux).
const (
	madvNormal   = 0
	madvDontneed = 4
	madvFree     = 8
	madvRemove   = 9
)

func sysMadvise(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	addr, length, advice := uintptr(arg(t, 0)), uintptr(arg(t, 1)), arg(t, 2)
	if addr&(mm.PageSize-1) != 0 {
		return 0, EINVAL
	}
	n := (length + mm.PageSize - 1) >> mm.PageShift
	switch advice {
	case madvDontneed, madvRemove:
		// Linux guarantees that a private anonymous page reads as zero
		// after MADV_DONTNEED, and the Go runtime relies on it: it
		// skips clearing memory it scavenged. With a direct map the
		// page cannot be taken away, so it is cleared now.
		VM.lock.Acquire(c.ID)
		defer VM.lock.Release()
		first, in := pageIndex(addr)
		if !in || first+n > VM.npages {
			return 0, ENOMEM
		}
		for i := first; i < first+n; i++ {
			if *pageState(i) == pageFree {
				return 0, ENOMEM
			}
		}
		for i := first; i < first+n; i++ {
			if *pageState(i) == pageRW {
				zeroPages(i, 1)
			}
		}
		VM.Dontneed += uint64(n)
		return 0, 0
	}
	// Other advice (MADV_FREE, huge-page hints, ...) is accepted and not
	// acted on: keeping the contents is a valid reading of each of them.
	return 0, 0
}

func sysMincore(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	addr, length, vec := uintptr(arg(t, 0)), uintptr(arg(t, 1)), uintptr(arg(t, 2))
	if addr&(mm.PageSize-1) != 0 {
		return 0, EINVAL
	}
	n := (length + mm.PageSize - 1) >> mm.PageShift
	if !kmem.Valid(vec, n) {
		return 0, EFAULT
	}
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	first, in := pageIndex(addr)
	if !in || first+n > VM.npages {
		return 0, ENOMEM
	}
	out := kmem.Bytes(vec, n)
	for i := uintptr(0); i < n; i++ {
		if *pageState(first + i) == pageFree {
			return 0, ENOMEM
		}
		out[i] = 1
	}
	return 0, 0
}

// checkVM cross-checks the mapping state: every page the process holds is
// allocated in the page allocator, and no thread descriptor lies in a page
// the process holds. It logs and counts what is wrong.
func checkVM(c *cpu.CPU) int {
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	bad := 0
	var rw, res uint64
	for i := uintptr(0); i < VM.npages; i++ {
		st := *pageState(i)
		if st == pageFree {
			continue
		}
		if st == pageRW {
			rw++
		} else {
			res++
		}
		if PageFree(VM.base + i<<mm.PageShift) {
			bad++
			if bad < 5 {
				var l klog.Line
				l.S("vm check: page ").X(uint32(VM.base + i<<mm.PageShift)).S(" is mapped but not allocated").Print()
			}
		}
	}
	if rw != VM.RW || res != VM.Reserved {
		bad++
		var l klog.Line
		l.S("vm check: counters RW ").U(VM.RW).S(" reserved ").U(VM.Reserved).S(", map says ").U(rw).S(" and ").U(res).Print()
	}
	thread.Each(c.ID, func(t *thread.Thread) {
		if i, in := pageIndex(t.Addr()); in && *pageState(i) != pageFree {
			bad++
			var l klog.Line
			l.S("vm check: thread ").D(int64(t.TID)).S(" descriptor at ").X(uint32(t.Addr())).S(" is in a mapped page").Print()
		}
	})
	return bad
}
