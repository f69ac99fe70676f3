package mm

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// CacheStats is a snapshot of a Cache's counters.
type CacheStats struct {
	ObjSize  uintptr // bytes between objects (the size rounded up to the alignment)
	PerSlab  uintptr // objects in one slab
	InUse    uintptr // objects handed out and not freed
	Free     uintptr // free objects in the slabs the cache holds
	Slabs    uintptr // slabs held, the spare included
	Pages    uintptr // pages held from the Buddy
	Allocs   uintptr
	Frees    uintptr
	Failures uintptr // out of memory, unusable cache, and rejected frees
}

// Cache hands out fixed-size kernel objects (thread descriptors, queue
// nodes) carved from slabs: blocks of 2^k pages taken from a Buddy.
//
// Each slab starts with a header (below) followed by its objects. A slab is
// aligned to its size, so the slab of an object is found by masking its
// address; the header's magic, owner and self fields then let Free refuse
// pointers the cache did not hand out, and its bitmap refuses double frees.
// Slabs with both free and used objects are on a doubly linked partial list;
// full slabs are on no list (Free finds them by address); a slab whose last
// object is freed is kept as the single spare, or given back to the Buddy if
// there already is one, so an idle cache holds at most one slab.
//
// The cache reads and writes its slabs through the window given to
// InitWindow: the slab of Buddy page p is at p+window.
type Cache struct {
	lock spinlock

	name   string
	pages  *Buddy
	window uintptr
	id     uintptr // distinguishes this cache's slab headers from other caches'
	ready  bool

	stride    uintptr // object size rounded up to the alignment
	perSlab   uintptr
	first     uintptr // offset of the first object in a slab
	slabOrder uint
	slabBytes uintptr

	partial uintptr // first partial slab (address through the window), 0 if none
	spare   uintptr // one empty slab kept to absorb alloc/free churn, 0 if none
	slabs   uintptr

	inUse    uintptr
	allocs   uintptr
	frees    uintptr
	failures uintptr
}

// Slab header: uintptr fields followed by the in-use bitmap (uint32 words,
// bit set = object handed out).
const (
	hMagic = iota // slabMagic while the slab belongs to a cache, 0 once given back
	hOwner        // Cache.id
	hSelf         // the slab's own address, so a copied header does not pass
	hNext         // next slab on the partial list
	hPrev         // previous slab on the partial list
	hInUse        // objects handed out from this slab
	hHint         // lowest bitmap word that may have a clear bit
	hWords

	ptrSize   = unsafe.Sizeof(uintptr(0))
	hdrFixed  = hWords * ptrSize
	slabMagic = 0x51ab51ab

	// A slab is sized for at least minPerSlab objects when that needs no more
	// than 2^slabPrefOrder pages, to keep header and tail waste small without
	// holding large blocks for big objects.
	minPerSlab    = 8
	slabPrefOrder = 3
)

// cacheIDs hands out cache identities. It is only touched by Init.
var cacheIDs atomic.Uint32

// Init sets the cache up for objects of objSize bytes aligned to align (a
// power of two up to PageSize; 0 means pointer alignment), carved from pages
// of the given Buddy, whose pages must be addressable as they are. Init is
// not trap-safe: call it once, in thread context. On invalid arguments the
// cache is left unusable: every Alloc fails and is counted.
func (c *Cache) Init(name string, objSize, align uintptr, pages *Buddy) {
	c.InitWindow(name, objSize, align, pages, 0)
}

// InitWindow is Init for a Buddy of physical addresses that the kernel reads
// through a fixed window (such as KSEG0): page p of the Buddy is accessed at
// p+window, and objects are handed out and freed by their windowed address.
// window must be aligned to PageSize<<MaxOrder.
func (c *Cache) InitWindow(name string, objSize, align uintptr, pages *Buddy, window uintptr) {
	*c = Cache{name: name, pages: pages, window: window}
	c.id = uintptr(cacheIDs.Add(1))
	if pages == nil || objSize == 0 || align&(align-1) != 0 || align > PageSize ||
		window&(PageSize<<MaxOrder-1) != 0 || objSize > PageSize<<MaxOrder {
		return
	}
	if align < ptrSize {
		// Objects are at least word-aligned (0 asks for the default): the
		// header before them is made of words, and smaller alignment would
		// save little.
		align = ptrSize
	}
	c.stride = (objSize + align - 1) &^ (align - 1)
	chosen := false
	for k := uint(0); k <= MaxOrder; k++ {
		per, first := slabLayout(PageSize<<k, c.stride, align)
		if per == 0 {
			continue
		}
		if !chosen || (k <= slabPrefOrder && c.perSlab < minPerSlab) {
			c.slabOrder, c.perSlab, c.first, chosen = k, per, first, true
		}
		if per >= minPerSlab || k >= slabPrefOrder {
			break
		}
	}
	if !chosen {
		return
	}
	c.slabBytes = PageSize << c.slabOrder
	c.ready = true
}

// slabLayout returns how many objects of the given stride fit in a slab of
// size bytes after the header, and the offset of the first one.
func slabLayout(size, stride, align uintptr) (per, first uintptr) {
	if size <= hdrFixed {
		return 0, 0
	}
	per = (size - hdrFixed) / stride
	for per > 0 {
		first = (hdrFixed + (per+31)/32*4 + align - 1) &^ (align - 1)
		if first+per*stride <= size {
			return per, first
		}
		per--
	}
	return 0, 0
}

// Name returns the name given to Init.
func (c *Cache) Name() string { return c.name }

func hdr(slab uintptr, f uintptr) *uintptr { return wordAt(slab + f*ptrSize) }

func (c *Cache) bitmap(slab uintptr) uintptr { return slab + hdrFixed }

func (c *Cache) pushPartial(s uintptr) {
	*hdr(s, hNext) = c.partial
	*hdr(s, hPrev) = 0
	if c.partial != 0 {
		*hdr(c.partial, hPrev) = s
	}
	c.partial = s
}

func (c *Cache) removePartial(s uintptr) {
	n, p := *hdr(s, hNext), *hdr(s, hPrev)
	if p != 0 {
		*hdr(p, hNext) = n
	} else {
		c.partial = n
	}
	if n != 0 {
		*hdr(n, hPrev) = p
	}
}

// grow takes a slab from the Buddy and formats its header.
func (c *Cache) grow() (uintptr, bool) {
	p, ok := c.pages.Alloc(c.slabOrder)
	if !ok {
		return 0, false
	}
	s := p + c.window
	zeroBytes(s, c.first)
	*hdr(s, hMagic) = slabMagic
	*hdr(s, hOwner) = c.id
	*hdr(s, hSelf) = s
	c.slabs++
	return s, true
}

// Alloc returns a zeroed object, growing the cache by a slab from the Buddy
// when no held slab has a free object.
func (c *Cache) Alloc() (uintptr, bool) {
	c.lock.lock()
	if !c.ready {
		c.failures++
		c.lock.unlock()
		return 0, false
	}
	s := c.partial
	if s == 0 {
		if c.spare != 0 {
			s, c.spare = c.spare, 0
		} else {
			var ok bool
			if s, ok = c.grow(); !ok {
				c.failures++
				c.lock.unlock()
				return 0, false
			}
		}
		c.pushPartial(s)
	}
	// Words below the hint are full, and a partial slab has a free object, so
	// the first clear bit from the hint on is a free object below perSlab.
	bm := c.bitmap(s)
	words := (c.perSlab + 31) / 32
	idx, found := uintptr(0), false
	for w := *hdr(s, hHint); w < words; w++ {
		x := *u32At(bm + w*4)
		if x == ^uint32(0) {
			continue
		}
		idx = w*32 + uintptr(bits.TrailingZeros32(^x))
		if idx < c.perSlab {
			*u32At(bm + w*4) = x | 1<<(idx&31)
			*hdr(s, hHint) = w
			found = true
		}
		break
	}
	if !found {
		// Only reachable if the slab header was overwritten from outside;
		// refuse rather than hand out an object that may be in use.
		c.failures++
		c.lock.unlock()
		return 0, false
	}
	n := *hdr(s, hInUse) + 1
	*hdr(s, hInUse) = n
	if n == c.perSlab {
		c.removePartial(s)
	}
	c.inUse++
	c.allocs++
	c.lock.unlock()
	obj := s + c.first + idx*c.stride
	// The object is ours alone now; clear it outside the lock.
	zeroBytes(obj, c.stride)
	return obj, true
}

// Free returns an object to the cache. A pointer that this cache did not
// hand out, or that is already free, is refused and counted. Such a pointer
// is never dereferenced unless it falls in a page of the cache's Buddy that
// is free or in use (never a reserved one), so a bad pointer cannot fault.
func (c *Cache) Free(obj uintptr) bool {
	c.lock.lock()
	if !c.ready {
		return c.refuse()
	}
	s := obj &^ (c.slabBytes - 1)
	p := s - c.window
	if !c.pages.IsUsed(p) {
		return c.refuse()
	}
	if *hdr(s, hMagic) != slabMagic || *hdr(s, hOwner) != c.id || *hdr(s, hSelf) != s {
		return c.refuse()
	}
	off := obj - s
	if off < c.first || (off-c.first)%c.stride != 0 {
		return c.refuse()
	}
	idx := (off - c.first) / c.stride
	if idx >= c.perSlab {
		return c.refuse()
	}
	bm := c.bitmap(s)
	w := bm + (idx>>5)*4
	if *u32At(w)&(1<<(idx&31)) == 0 {
		return c.refuse()
	}
	*u32At(w) &^= 1 << (idx & 31)
	if idx>>5 < *hdr(s, hHint) {
		*hdr(s, hHint) = idx >> 5
	}
	n := *hdr(s, hInUse)
	if n == c.perSlab {
		c.pushPartial(s)
	}
	n--
	*hdr(s, hInUse) = n
	if n == 0 {
		c.removePartial(s)
		if c.spare == 0 {
			c.spare = s
		} else {
			c.releaseSlab(s)
		}
	}
	c.inUse--
	c.frees++
	c.lock.unlock()
	return true
}

func (c *Cache) refuse() bool {
	c.failures++
	c.lock.unlock()
	return false
}

// releaseSlab gives an empty slab back to the Buddy. The magic is wiped first
// so that a stale pointer into the slab cannot later pass Free's checks.
func (c *Cache) releaseSlab(s uintptr) {
	*hdr(s, hMagic) = 0
	c.pages.Free(s-c.window, c.slabOrder)
	c.slabs--
}

// Shrink gives the spare slab, if any, back to the Buddy.
func (c *Cache) Shrink() {
	c.lock.lock()
	if c.spare != 0 {
		c.releaseSlab(c.spare)
		c.spare = 0
	}
	c.lock.unlock()
}

// Stats returns a consistent snapshot of the counters.
func (c *Cache) Stats() CacheStats {
	c.lock.lock()
	s := CacheStats{
		ObjSize:  c.stride,
		PerSlab:  c.perSlab,
		InUse:    c.inUse,
		Free:     c.slabs*c.perSlab - c.inUse,
		Slabs:    c.slabs,
		Pages:    c.slabs << c.slabOrder,
		Allocs:   c.allocs,
		Frees:    c.frees,
		Failures: c.failures,
	}
	c.lock.unlock()
	return s
}
