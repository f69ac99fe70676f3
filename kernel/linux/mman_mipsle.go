package linux

import (
	"almos/arch/mips32"
	"almos/kernel/cpu"
	"almos/kernel/klog"
	"almos/kernel/kmem"
	"almos/kernel/spin"
	"almos/kernel/thread"
	"almos/mm"
)

// The kernel process's memory mappings: a paged space (mm.Space) below the
// heap window, its pages bound to frames of any bank on first touch. Mapping
// memory takes no frame; the first access to a page faults (the TLB refill
// handler loads an invalid entry) and the fault binds a zeroed frame from the
// toucher's cluster, or from the nearest cluster with room. munmap,
// MADV_DONTNEED and a MAP_FIXED mapping over resident pages unbind frames:
// once every core's TLB is flushed they go back to their banks. System calls
// that read or write the process's memory check it with kmem.Valid, which
// binds the frames of the range first (kmem.Populate), so trap context never
// faults on a page of the space.

const (
	protNone  = 0
	mapShared = 0x1
	mapPriv   = 0x2
	mapFixed  = 0x10
	mapAnon   = 0x800
)

// The banks' page allocators, set at boot (the clusters' managers): where
// frames come from and go back to.
var (
	// AllocPages takes a run for a thread on core (its cluster first).
	AllocPages func(core uint32, npages uintptr) (uintptr, bool)
	// FreePages gives a range back.
	FreePages func(addr, npages uintptr) bool
	// PageStats adds up the allocators' statistics.
	PageStats func() mm.Stats
)

// VM is the kernel process's address space.
var VM struct {
	lock  spin.Lock
	Space mm.Space

	Maps, Unmaps uint64
	Failures     uint64 // mmap calls refused for want of room or frames
	Dontneed     uint64 // pages given back by MADV_DONTNEED
	Faults       uint64 // page faults that bound a frame
	NoFrame      uint64 // page faults no bank could serve
}

// InitVM makes [base, base+npages pages) the process's space, with its page
// table and state map at the given window addresses (SpaceTableBytes and
// SpaceStateBytes of npages). physOffset turns a frame's window address into
// its physical address; attr is the cache attribute of its pages.
func InitVM(base, npages, table, state uintptr, physOffset, attr uint32) bool {
	if !VM.Space.Init(base, npages, table, state, physOffset, attr) {
		return false
	}
	kmem.Paged = kmem.Range{Start: base, End: base + npages<<mm.PageShift}
	kmem.Populate = populate
	kmem.Resolve = resolve
	return true
}

// bind gives page i a zeroed frame from the cluster of core (VM.lock held)
// and refreshes this core's TLB entry of its pair.
func bind(core uint32, i uintptr) bool {
	f, ok := AllocPages(core, 1)
	if !ok {
		VM.NoFrame++
		return false
	}
	kmem.Zero(f, mm.PageSize)
	VM.Space.Fill(i, f)
	VM.Faults++
	mips32.UpdateTLB(VM.Space.Pair(i))
	return true
}

// pageFault serves a TLB miss or invalid exception of thread t at va: a
// mapped page gets its frame (or, already resident through another core,
// this core's stale TLB entry is refreshed). It reports false for an address
// the process has not mapped readable: the caller then signals.
func pageFault(c *cpu.CPU, t *thread.Thread, va uintptr) bool {
	i, in := VM.Space.Index(va, 1)
	if !in {
		return false
	}
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	if VM.Space.State(i) != mm.StateMapped {
		return false
	}
	if _, ok := VM.Space.Frame(i); ok {
		mips32.UpdateTLB(VM.Space.Pair(i))
		return true
	}
	if bind(c.ID, i) {
		return true
	}
	// The banks are empty: frames waiting in limbo may be all there is.
	VM.lock.Release()
	c.FlushTLBs()
	reclaim(c)
	VM.lock.Acquire(c.ID)
	if VM.Space.State(i) != mm.StateMapped {
		return false
	}
	if _, ok := VM.Space.Frame(i); ok || bind(c.ID, i) {
		return true
	}
	var l klog.Line
	l.S("mm: out of memory: no bank has a frame for the page at ").X(uint32(va)).S(" (thread ").D(int64(t.TID)).S(")").Print()
	fatalSignal(c, t, SIGBUS, "out of memory: a page fault no bank could serve")
	return true
}

// populate binds the frames of [p, p+n), all of which must be mapped, so
// that trap context can touch the range (kmem.Valid's check for the paged
// space). It also refreshes this core's TLB entries of the range, which may
// hold a page as invalid from before another core bound it.
func populate(p, n uintptr) bool {
	if n == 0 {
		n = 1
	}
	first, in := VM.Space.Index(p, n)
	if !in {
		return false
	}
	last := (p + n - 1 - VM.Space.Base()) >> mm.PageShift
	// The common case, every page mapped and resident, needs no lock: a
	// system call on memory that another thread unmaps meanwhile is the
	// program's race, as on Linux.
	resident := true
	for i := first; i <= last && resident; i++ {
		_, ok := VM.Space.Frame(i)
		resident = ok && VM.Space.State(i) == mm.StateMapped
	}
	if resident {
		for i := first &^ 1; i <= last; i += 2 {
			mips32.UpdateTLB(VM.Space.Pair(i))
		}
		return true
	}
	core := mips32.CPUNum()
	VM.lock.Acquire(core)
	defer VM.lock.Release()
	for i := first; i <= last; i++ {
		if VM.Space.State(i) != mm.StateMapped {
			return false
		}
	}
	for i := first; i <= last; i++ {
		if _, ok := VM.Space.Frame(i); ok {
			if i == first || i&1 == 0 {
				mips32.UpdateTLB(VM.Space.Pair(i))
			}
			continue
		}
		if !bind(core, i) {
			// As in pageFault: wait for limbo's frames, then once more.
			VM.lock.Release()
			c := &cpu.CPUs[core]
			c.FlushTLBs()
			reclaim(c)
			VM.lock.Acquire(core)
			if VM.Space.State(i) != mm.StateMapped {
				return false
			}
			if _, ok := VM.Space.Frame(i); !ok && !bind(core, i) {
				return false
			}
		}
	}
	return true
}

// resolve returns the window address of the byte at p of the space, if its
// page is resident, without binding anything or taking a lock: the fault
// report reads stacks through it, at exception level, where a TLB refill
// cannot be taken.
func resolve(p uintptr) (uintptr, bool) {
	i, in := VM.Space.Index(p, 1)
	if !in {
		return 0, false
	}
	f, ok := VM.Space.Frame(i)
	if !ok {
		return 0, false
	}
	return f + p&(mm.PageSize-1), true
}

// release unbinds the frames of [first, first+n) and gives them back to
// their banks, a batch at a time: each batch is taken under the lock, then
// every core is asked to flush its TLB and the frames wait in limbo until
// all have (retire). The caller holds no lock. Pages that are to become free
// or change mapping are first set reserved, so that meanwhile no fault binds
// or reuses their frames and no mmap hands them out; they get their new
// state after release. Pages that stay mapped (MADV_DONTNEED) may be touched
// meanwhile: a touch before the flush reaches the old frame, one after it
// gets a fresh one, as with the same race on Linux.
func release(c *cpu.CPU, first, n uintptr) {
	var batch [128]uintptr
	for n > 0 {
		VM.lock.Acquire(c.ID)
		done, k := VM.Space.Clear(first, n, batch[:])
		VM.lock.Release()
		if k > 0 {
			retire(c, batch[:k])
		}
		first += done
		n -= done
	}
}

// limbo holds frames unbound from their pages that some core's TLB may
// still reach, each with the TLB flush generation every online core must
// reach before it goes back to its bank. Releasing memory then costs no
// wait: the other cores flush at their next interrupt (an IPI asks them),
// and the frames go back at the next release or periodic tick after that.
// The ring lives in memory from cluster 0's bank; entries are appended in
// generation order (under the lock).
var limbo struct {
	lock   spin.Lock
	ring   uintptr // [size] of {frame, generation uint32}
	size   uintptr
	head   uintptr // oldest entry
	n      uintptr // entries held
	Freed  uint64  // frames given back from limbo
	Waited uint64  // times limbo was full and a release waited for every core
}

// InitLimbo gives limbo its ring: size entries of 8 bytes at mem.
func InitLimbo(mem, size uintptr) {
	limbo.ring, limbo.size = mem, size
}

// retire sends frames just unbound (their table entries cleared) to limbo.
// When limbo is full it waits for every core's flush instead and frees
// them at once.
func retire(c *cpu.CPU, frames []uintptr) {
	g := c.RequestFlushTLBs()
	limbo.lock.Acquire(c.ID)
	if limbo.n+uintptr(len(frames)) > limbo.size {
		limbo.Waited++
		limbo.lock.Release()
		c.FlushTLBs()
		freeFrames(c, frames)
		reclaim(c)
		return
	}
	for _, f := range frames {
		e := limbo.ring + 8*((limbo.head+limbo.n)%limbo.size)
		*kmem.U32(e) = uint32(f)
		*kmem.U32(e + 4) = g
		limbo.n++
	}
	limbo.lock.Release()
	reclaim(c)
}

// reclaim gives back the frames in limbo that no core's TLB can reach any
// more, and reports whether some are still waiting.
func reclaim(c *cpu.CPU) bool {
	gen, lag := cpu.TLBLag()
	limbo.lock.Acquire(c.ID)
	for limbo.n > 0 {
		e := limbo.ring + 8*limbo.head
		if gen-*kmem.U32(e + 4) < lag {
			break
		}
		f := uintptr(*kmem.U32(e))
		if !FreePages(f, 1) {
			var l klog.Line
			l.S("mm: could not give frame ").X(uint32(f)).S(" back to its bank").Print()
		}
		limbo.head = (limbo.head + 1) % limbo.size
		limbo.n--
		limbo.Freed++
	}
	waiting := limbo.n > 0
	limbo.lock.Release()
	return waiting
}

// freeFrames gives frames back at once (every TLB is known flushed).
func freeFrames(c *cpu.CPU, frames []uintptr) {
	for _, f := range frames {
		if !FreePages(f, 1) {
			var l klog.Line
			l.S("mm: could not give frame ").X(uint32(f)).S(" back to its bank").Print()
		}
	}
	limbo.lock.Acquire(c.ID)
	limbo.Freed += uint64(len(frames))
	limbo.lock.Release()
}

// limboTick is part of the periodic work: it gives back what limbo can,
// and asks to run again soon while frames wait.
func limboTick(c *cpu.CPU) int64 {
	if limbo.n == 0 {
		return 0
	}
	if reclaim(c) {
		return 10e6
	}
	return 0
}

// LimboFrames is how many frames wait in limbo.
func LimboFrames() uintptr { return limbo.n }

// span returns the pages of [addr, addr+length) if it lies in the space.
func span(addr, length uintptr) (first, n uintptr, ok bool) {
	if addr&(mm.PageSize-1) != 0 {
		return 0, 0, false
	}
	n = (length + mm.PageSize - 1) >> mm.PageShift
	first, ok = VM.Space.Index(addr, n<<mm.PageShift)
	return first, n, ok
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
	st := mm.StateMapped
	if prot == protNone {
		st = mm.StateReserved
	} else if free := PageStats().FreePages + LimboFrames(); uintptr(n) > free {
		// Frames are bound on first touch; a mapping larger than all
		// the free memory could never be touched whole: refuse it now
		// rather than fail a page fault later.
		VM.lock.Acquire(c.ID)
		VM.Failures++
		VM.lock.Release()
		return 0, ENOMEM
	}
	VM.lock.Acquire(c.ID)
	var first uintptr
	got := false
	if fixed {
		i, in := VM.Space.Index(addr, n<<mm.PageShift)
		if !in {
			VM.Failures++
			VM.lock.Release()
			return 0, ENOMEM
		}
		first, got = i, true
	} else if addr != 0 && addr&(mm.PageSize-1) == 0 {
		// A hint: honoured when the whole range is free.
		if i, in := VM.Space.Index(addr, n<<mm.PageShift); in && VM.Space.AllFree(i, n) {
			first, got = i, true
		}
	}
	if !got {
		i, ok := VM.Space.Find(n)
		if !ok {
			VM.Failures++
			VM.lock.Release()
			return 0, ENOMEM
		}
		first = i
	}
	if !fixed {
		// Free pages hold no frame: release clears them before they
		// become free.
		for i := first; i < first+n; i++ {
			if f, ok := VM.Space.Frame(i); ok {
				var l klog.Line
				l.S("mm: BUG: free page ").X(uint32(VM.Space.Addr(i))).S(" holds frame ").X(uint32(f)).Print()
				break
			}
		}
	}
	if !fixed {
		VM.Space.SetState(first, n, st)
		VM.Maps++
		VM.lock.Release()
		return uint32(VM.Space.Addr(first)), 0
	}
	// A fixed mapping replaces what was there: fresh pages read as zero,
	// so the old frames go first.
	VM.Space.SetState(first, n, mm.StateReserved)
	VM.Maps++
	VM.lock.Release()
	release(c, first, n)
	VM.lock.Acquire(c.ID)
	VM.Space.SetState(first, n, st)
	VM.lock.Release()
	return uint32(VM.Space.Addr(first)), 0
}

func sysMunmap(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	addr, length := uintptr(arg(t, 0)), uintptr(arg(t, 1))
	if addr&(mm.PageSize-1) != 0 || length == 0 {
		return 0, EINVAL
	}
	n := (length + mm.PageSize - 1) >> mm.PageShift
	first, in := VM.Space.Index(addr, mm.PageSize)
	if !in {
		return 0, 0 // nothing of ours there
	}
	if first+n > VM.Space.Pages() {
		n = VM.Space.Pages() - first
	}
	VM.lock.Acquire(c.ID)
	VM.Space.SetState(first, n, mm.StateReserved)
	VM.Unmaps++
	VM.lock.Release()
	release(c, first, n)
	VM.lock.Acquire(c.ID)
	VM.Space.SetState(first, n, mm.StateFree)
	VM.lock.Release()
	return 0, 0
}

func sysMprotect(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	addr, length, prot := uintptr(arg(t, 0)), uintptr(arg(t, 1)), arg(t, 2)
	first, n, ok := span(addr, length)
	if addr&(mm.PageSize-1) != 0 {
		return 0, EINVAL
	}
	if !ok {
		return 0, ENOMEM
	}
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	for i := first; i < first+n; i++ {
		if VM.Space.State(i) == mm.StateFree {
			return 0, ENOMEM
		}
	}
	// Protection is recorded, not enforced: a page made PROT_NONE keeps
	// its frame and its contents (Linux keeps them too), and stays
	// reachable until it is unmapped.
	st := mm.StateMapped
	if prot == protNone {
		st = mm.StateReserved
	}
	VM.Space.SetState(first, n, st)
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
	switch advice {
	case madvDontneed, madvRemove:
		// The pages stay mapped and read as zero from now on, as Linux
		// guarantees for private anonymous memory (the Go runtime relies
		// on it: it does not clear memory it scavenged): their frames go
		// back to the banks, and the next touch binds fresh zeroed ones.
		first, n, ok := span(addr, length)
		if !ok {
			return 0, ENOMEM
		}
		VM.lock.Acquire(c.ID)
		for i := first; i < first+n; i++ {
			if VM.Space.State(i) == mm.StateFree {
				VM.lock.Release()
				return 0, ENOMEM
			}
		}
		VM.Dontneed += uint64(n)
		VM.lock.Release()
		release(c, first, n)
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
	first, _, ok := span(addr, length)
	if !ok {
		return 0, ENOMEM
	}
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	out := kmem.Bytes(vec, n)
	for i := uintptr(0); i < n; i++ {
		if VM.Space.State(first+i) == mm.StateFree {
			return 0, ENOMEM
		}
		out[i] = 0
		if _, ok := VM.Space.Frame(first + i); ok {
			out[i] = 1
		}
	}
	return 0, 0
}

// checkVM cross-checks the space: the counters agree with the state map,
// every frame a page holds is allocated in its bank and held by that page
// only, and no page of a free state holds a frame. It logs and counts what
// is wrong.
func checkVM(c *cpu.CPU) int {
	VM.lock.Acquire(c.ID)
	defer VM.lock.Release()
	s := &VM.Space
	bad := 0
	report := func(l *klog.Line) {
		bad++
		if bad < 5 {
			l.Print()
		}
	}
	var mapped, reserved, resident uintptr
	for i := uintptr(0); i < s.Pages(); i++ {
		st := s.State(i)
		switch st {
		case mm.StateMapped:
			mapped++
		case mm.StateReserved:
			reserved++
		}
		f, ok := s.Frame(i)
		if !ok {
			continue
		}
		resident++
		var l klog.Line
		if st == mm.StateFree {
			l.S("vm check: unmapped page ").X(uint32(s.Addr(i))).S(" holds frame ").X(uint32(f))
			report(&l)
		}
		if PageFree(f) {
			l.S("vm check: page ").X(uint32(s.Addr(i))).S(" holds frame ").X(uint32(f)).S(", which is free in its bank")
			report(&l)
		}
	}
	if mapped != s.Mapped || reserved != s.Reserved || resident != s.Resident {
		var l klog.Line
		l.S("vm check: counters mapped ").U(uint64(s.Mapped)).S(" reserved ").U(uint64(s.Reserved)).S(" resident ").U(uint64(s.Resident)).
			S(", the map says ").U(uint64(mapped)).S(", ").U(uint64(reserved)).S(", ").U(uint64(resident))
		report(&l)
	}
	return bad
}

// PageFree tells whether a frame is free in its bank (set at boot).
var PageFree func(addr uintptr) bool
