package mm

import "math/bits"

const (
	PageShift = 12
	PageSize  = 1 << PageShift
	MaxOrder  = 10 // largest block: 2^10 pages = 4 MiB
)

const (
	maxBlockPages = 1 << MaxOrder

	// noPage ends a free list. Page indices are stored as uint32 to halve the
	// metadata on 64-bit hosts; maxPages keeps every real index below noPage.
	noPage   = ^uint32(0)
	maxPages = 1 << 31
)

// Stats is a snapshot of a Buddy's counters.
type Stats struct {
	TotalPages uintptr // pages in the managed range, reserved ones included
	FreePages  uintptr
	UsedPages  uintptr // pages handed out and not yet returned; the rest are reserved
	// FreeBlocks[k] is the number of free blocks of order k. The DQDT
	// aggregates these to steer allocations to clusters that can serve them.
	FreeBlocks [MaxOrder + 1]uintptr
	Allocs     uintptr // successful Alloc, AllocRun and Claim calls
	Frees      uintptr // successful Free and FreeRange calls
	Failures   uintptr // refused requests: out of memory and rejected misuse
}

// Buddy is a binary buddy allocator of the page frames of one memory bank.
//
// Every page is in one of three states: reserved (never given to the
// allocator, or the zero state after Init), free, or used (handed out by
// Alloc, AllocRun or Claim). Free pages form blocks of 2^k pages aligned to
// 2^k pages, kept in one list per order, and coalescing is complete: two free
// buddies are always merged, so the free lists are the unique decomposition of
// the free pages into maximal aligned blocks of order at most MaxOrder.
//
// The state is integers and addresses only; the per-page metadata lives in the
// memory given to Init, laid out as (w = ceil(n/32) for n pages):
//
//	links [n]{next, prev uint32}  free-list links, meaningful at free block heads only
//	order [n]uint8 (padded to 4)  k+1 at the head page of a free block of order k, else 0
//	free  [w]uint32               bit set: page is free
//	used  [w]uint32               bit set: page is handed out
//
// The order bytes make buddy lookup O(1); the two bitmaps let range
// operations (FreeRange, Claim, AllocRun) check and update 32 pages per step
// and let Free refuse pages that were never handed out.
type Buddy struct {
	lock spinlock

	base   uintptr // address of page 0, aligned to a max-order block
	npages uintptr

	links, orders, freeBM, usedBM uintptr // metadata arrays

	heads    [MaxOrder + 1]uint32 // first free block of each order, noPage if none
	nonEmpty uint32               // bit k set iff heads[k] != noPage

	counts    [MaxOrder + 1]uintptr
	freePages uintptr
	usedPages uintptr
	allocs    uintptr
	frees     uintptr
	failures  uintptr
}

// metaLayout returns the offsets of the metadata arrays for n pages and the
// bytes they take, all from a 4-byte aligned start.
func metaLayout(n uintptr) (orders, freeBM, usedBM, size uintptr) {
	words := (n + 31) / 32
	orders = n * 8
	freeBM = orders + (n+3)&^3
	usedBM = freeBM + words*4
	size = usedBM + words*4
	return
}

// MetaBytes returns the bytes of metadata Init needs to manage npages pages
// (a little over 9 bytes per page). The figure includes slack so that meta
// need not be aligned. It returns 0 for a bank too large to manage.
func MetaBytes(npages uintptr) uintptr {
	if npages == 0 || npages > maxPages {
		return 0
	}
	_, _, _, size := metaLayout(npages)
	return size + 3
}

// Init manages [base, base+npages*PageSize) with the MetaBytes(npages) bytes
// at meta as metadata. base must be aligned to PageSize<<MaxOrder so that
// block alignment relative to base is also physical alignment (the caller
// aligns it down and simply never frees the leading pages). Every page starts
// reserved; the caller releases usable ranges with FreeRange. The metadata
// may be carved from the bank itself, as long as its pages are never freed.
//
// Init cannot report an error to trap-free callers by panicking; on a
// misaligned base, an empty or oversized range, a range that wraps the address
// space or a nil meta, it leaves an allocator that manages no pages (TotalPages
// is 0) and counts one failure. Init is not trap-safe and must not run
// concurrently with other methods.
func (b *Buddy) Init(base, npages, meta uintptr) {
	b.lock.lock()
	defer b.lock.unlock()

	b.base, b.npages = 0, 0
	b.links, b.orders, b.freeBM, b.usedBM = 0, 0, 0, 0
	for k := range b.heads {
		b.heads[k] = noPage
		b.counts[k] = 0
	}
	b.nonEmpty = 0
	b.freePages, b.usedPages = 0, 0
	b.allocs, b.frees, b.failures = 0, 0, 0

	const blockBytes = PageSize << MaxOrder
	if base&(blockBytes-1) != 0 || npages == 0 || npages > maxPages || meta == 0 ||
		npages-1 > (^uintptr(0)-base)>>PageShift {
		b.failures = 1
		return
	}
	m := (meta + 3) &^ 3
	orders, freeBM, usedBM, size := metaLayout(npages)
	zeroBytes(m, size)
	b.base, b.npages = base, npages
	b.links, b.orders, b.freeBM, b.usedBM = m, m+orders, m+freeBM, m+usedBM
}

// --- metadata accessors (caller holds the lock) ---

func (b *Buddy) next(i uint32) *uint32 { return u32At(b.links + uintptr(i)*8) }
func (b *Buddy) prev(i uint32) *uint32 { return u32At(b.links + uintptr(i)*8 + 4) }
func (b *Buddy) order(i uintptr) *uint8 {
	return u8At(b.orders + i)
}

// push puts the free block at page i on the list of order k.
func (b *Buddy) push(i uintptr, k uint) {
	p := uint32(i)
	h := b.heads[k]
	*b.next(p) = h
	*b.prev(p) = noPage
	if h != noPage {
		*b.prev(h) = p
	}
	b.heads[k] = p
	*b.order(i) = uint8(k + 1)
	b.counts[k]++
	b.nonEmpty |= 1 << k
}

// remove takes the free block at page i off the list of order k.
func (b *Buddy) remove(i uintptr, k uint) {
	p := uint32(i)
	n, pr := *b.next(p), *b.prev(p)
	if pr != noPage {
		*b.next(pr) = n
	} else {
		b.heads[k] = n
	}
	if n != noPage {
		*b.prev(n) = pr
	}
	*b.order(i) = 0
	b.counts[k]--
	if b.heads[k] == noPage {
		b.nonEmpty &^= 1 << k
	}
}

// insert adds the free block of order k at page i, merging it with its buddy
// as long as the buddy is a free block of the same order. The free bits of
// the block must already be set. Merging only with whole free blocks of the
// same order is enough for complete coalescing, because every free block
// already is maximal before the insertion.
func (b *Buddy) insert(i uintptr, k uint) {
	for k < MaxOrder {
		bud := i ^ (1 << k)
		if bud >= b.npages || *b.order(bud) != uint8(k+1) {
			break
		}
		b.remove(bud, k)
		i &= bud
		k++
	}
	b.push(i, k)
}

// release inserts the free pages [i, i+n) as maximal aligned blocks.
func (b *Buddy) release(i, n uintptr) {
	for n > 0 {
		k := uint(MaxOrder)
		if i != 0 {
			if tz := uint(bits.TrailingZeros(uint(i))); tz < k {
				k = tz
			}
		}
		if l := uint(bits.Len(uint(n))) - 1; l < k {
			k = l
		}
		b.insert(i, k)
		i += 1 << k
		n -= 1 << k
	}
}

// containing returns the free block holding the free page i.
func (b *Buddy) containing(i uintptr) (uintptr, uint, bool) {
	for k := uint(0); k <= MaxOrder; k++ {
		h := i &^ (1<<k - 1)
		if *b.order(h) == uint8(k+1) {
			return h, k, true
		}
	}
	return 0, 0, false
}

// take marks the free pages [i, i+n) used: it removes every free block that
// overlaps them and gives back the parts of those blocks outside the range.
func (b *Buddy) take(i, n uintptr) {
	end := i + n
	for p := i; p < end; {
		h, k, ok := b.containing(p)
		if !ok {
			// Unreachable while the metadata is consistent: the caller has
			// checked that every page is free. Stop rather than loop.
			break
		}
		b.remove(h, k)
		bend := h + 1<<k
		if h < p {
			b.release(h, p-h)
		}
		if bend > end {
			b.release(end, bend-end)
			bend = end
		}
		p = bend
	}
	clearBits(b.freeBM, i, n)
	setBits(b.usedBM, i, n)
	b.freePages -= n
	b.usedPages += n
}

// index converts a page address into a page index, refusing addresses outside
// the bank or not page-aligned. It never computes the end address, which can
// wrap to 0 for a bank at the top of a 32-bit address space.
func (b *Buddy) index(addr uintptr) (uintptr, bool) {
	if addr < b.base || (addr-b.base)&(PageSize-1) != 0 {
		return 0, false
	}
	i := (addr - b.base) >> PageShift
	return i, i < b.npages
}

// span validates the range of n pages at addr and returns its first index.
func (b *Buddy) span(addr, n uintptr) (uintptr, bool) {
	i, ok := b.index(addr)
	if !ok || n == 0 || n > b.npages-i {
		return 0, false
	}
	return i, true
}

func (b *Buddy) addr(i uintptr) uintptr { return b.base + i<<PageShift }

func (b *Buddy) fail() bool {
	b.failures++
	b.lock.unlock()
	return false
}

// Alloc returns a block of 2^order pages aligned to PageSize<<order, taken
// from the smallest free block that can hold it.
func (b *Buddy) Alloc(order uint) (uintptr, bool) {
	b.lock.lock()
	if order > MaxOrder {
		return 0, b.fail()
	}
	avail := b.nonEmpty >> order << order
	if avail == 0 {
		return 0, b.fail()
	}
	k := uint(bits.TrailingZeros32(avail))
	i := uintptr(b.heads[k])
	b.remove(i, k)
	// Split: the upper halves go back on the lists. Their buddies (the lower
	// halves) are not free, so no merge is possible.
	for k > order {
		k--
		b.push(i+1<<k, k)
	}
	n := uintptr(1) << order
	clearBits(b.freeBM, i, n)
	setBits(b.usedBM, i, n)
	b.freePages -= n
	b.usedPages += n
	b.allocs++
	a := b.addr(i)
	b.lock.unlock()
	return a, true
}

// Free returns the 2^order pages at addr. Every page of the block must be in
// use (handed out by Alloc, AllocRun or Claim, in any split: freeing half of
// an Alloc'd block and later the other half is fine); a block that is not
// aligned to its order, reaches outside the bank, or holds a free or reserved
// page is refused and nothing changes.
func (b *Buddy) Free(addr uintptr, order uint) bool {
	b.lock.lock()
	if order > MaxOrder {
		return b.fail()
	}
	n := uintptr(1) << order
	i, ok := b.span(addr, n)
	if !ok || i&(n-1) != 0 || !allBits(b.usedBM, i, n) {
		return b.fail()
	}
	clearBits(b.usedBM, i, n)
	setBits(b.freeBM, i, n)
	b.freePages += n
	b.usedPages -= n
	b.insert(i, order)
	b.frees++
	b.lock.unlock()
	return true
}

// FreeRange makes the npages pages at addr free, whether they were reserved
// or in use: it is how the owner of the bank releases usable memory after
// Init, and how runs from AllocRun and Claim are returned. The range is split
// into maximal aligned blocks, which coalesce with their free neighbours. A
// range that reaches outside the bank, is empty, is not page-aligned or holds
// a page that is already free is refused and nothing changes.
func (b *Buddy) FreeRange(addr, npages uintptr) bool {
	b.lock.lock()
	i, ok := b.span(addr, npages)
	if !ok || anyBits(b.freeBM, i, npages) {
		return b.fail()
	}
	b.usedPages -= countBits(b.usedBM, i, npages)
	clearBits(b.usedBM, i, npages)
	setBits(b.freeBM, i, npages)
	b.freePages += npages
	b.release(i, npages)
	b.frees++
	b.lock.unlock()
	return true
}

// AllocRun returns npages contiguous pages, of any length, aligned to a page
// only. A run that fits in a max-order block comes from the smallest free
// block that holds it, with the pages of that block beyond the run left free;
// longer runs, and shorter ones when no block is large enough but free
// neighbours are, come from the lowest-addressed run of free pages, found by
// scanning the free bitmap (linear in the bank size, 32 pages per step).
func (b *Buddy) AllocRun(npages uintptr) (uintptr, bool) {
	b.lock.lock()
	if npages == 0 || npages > b.freePages {
		return 0, b.fail()
	}
	i, found := uintptr(0), false
	if npages <= maxBlockPages {
		order := uint(bits.Len(uint(npages - 1)))
		if avail := b.nonEmpty >> order << order; avail != 0 {
			i, found = uintptr(b.heads[bits.TrailingZeros32(avail)]), true
		}
	}
	if !found {
		i, found = b.findRun(npages)
	}
	if !found {
		return 0, b.fail()
	}
	b.take(i, npages)
	b.allocs++
	a := b.addr(i)
	b.lock.unlock()
	return a, true
}

// findRun returns the first index of the lowest run of n free pages.
func (b *Buddy) findRun(n uintptr) (uintptr, bool) {
	words := (b.npages + 31) / 32
	var start, run uintptr
	for w := uintptr(0); w < words; w++ {
		x := *u32At(b.freeBM + w*4)
		switch x {
		case ^uint32(0):
			if run == 0 {
				start = w * 32
			}
			run += 32
			if run >= n {
				return start, true
			}
		case 0:
			run = 0
		default:
			for bit := uintptr(0); bit < 32; bit++ {
				if x&(1<<bit) == 0 {
					run = 0
					continue
				}
				if run == 0 {
					start = w*32 + bit
				}
				run++
				if run >= n {
					return start, true
				}
			}
		}
	}
	return 0, false
}

// Claim takes exactly the npages pages at addr if every one of them is free,
// and takes nothing otherwise (for mmap hints and MAP_FIXED). The pages are
// then in use and go back with FreeRange (or Free, for aligned blocks).
func (b *Buddy) Claim(addr, npages uintptr) bool {
	b.lock.lock()
	i, ok := b.span(addr, npages)
	if !ok || !allBits(b.freeBM, i, npages) {
		return b.fail()
	}
	b.take(i, npages)
	b.allocs++
	b.lock.unlock()
	return true
}

// IsFree reports whether the page holding addr is free. Addresses outside the
// bank are not free; they are not counted as failures.
func (b *Buddy) IsFree(addr uintptr) bool {
	b.lock.lock()
	i, ok := b.index(addr &^ (PageSize - 1))
	free := ok && testBit(b.freeBM, i)
	b.lock.unlock()
	return free
}

// IsUsed reports whether the page holding addr has been handed out and not
// returned. Together with IsFree it tells usable memory (free or used) from
// reserved memory that must not be touched.
func (b *Buddy) IsUsed(addr uintptr) bool {
	b.lock.lock()
	i, ok := b.index(addr &^ (PageSize - 1))
	used := ok && testBit(b.usedBM, i)
	b.lock.unlock()
	return used
}

// Contains reports whether addr lies in the managed range. It reads fields
// that only Init writes, so it takes no lock.
func (b *Buddy) Contains(addr uintptr) bool {
	_, ok := b.index(addr &^ (PageSize - 1))
	return ok
}

// Base returns the address of the first managed page.
func (b *Buddy) Base() uintptr { return b.base }

// Stats returns a consistent snapshot of the counters.
func (b *Buddy) Stats() Stats {
	b.lock.lock()
	s := Stats{
		TotalPages: b.npages,
		FreePages:  b.freePages,
		UsedPages:  b.usedPages,
		FreeBlocks: b.counts,
		Allocs:     b.allocs,
		Frees:      b.frees,
		Failures:   b.failures,
	}
	b.lock.unlock()
	return s
}
