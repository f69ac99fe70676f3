package mm

import (
	"testing"
	"unsafe"
)

// Page states of the reference model.
const (
	stReserved byte = iota
	stFree
	stUsed
)

const blockBytes = PageSize << MaxOrder

// fakeBase is a bank address for tests that never touch the pages.
const fakeBase = uintptr(0x4000_0000)

// newBuddy returns a Buddy over npages fake pages at base, all reserved. The
// metadata slice is returned so that the caller keeps it alive.
func newBuddy(t testing.TB, base, npages uintptr) (*Buddy, []byte) {
	t.Helper()
	meta := make([]byte, MetaBytes(npages))
	b := new(Buddy)
	b.Init(base, npages, uintptr(unsafe.Pointer(unsafe.SliceData(meta))))
	if b.Stats().TotalPages != npages {
		t.Fatalf("Init(%#x, %d) refused", base, npages)
	}
	return b, meta
}

// realBank is a Buddy over Go memory, for the caches, which write into their
// pages. Its base is aligned down to a max-order block, as the kernel does
// with a bank, so its leading pages are reserved and lie outside mem: code
// that dereferenced a reserved page would read memory it does not own.
type realBank struct {
	b          *Buddy
	meta, mem  []byte
	start      uintptr // first usable page
	lead, size uintptr // reserved leading pages, usable pages
}

func newRealBank(t testing.TB, npages uintptr) *realBank {
	t.Helper()
	mem := make([]byte, (npages+1)*PageSize)
	start := (uintptr(unsafe.Pointer(unsafe.SliceData(mem))) + PageSize - 1) &^ (PageSize - 1)
	base := start &^ (blockBytes - 1)
	lead := (start - base) / PageSize
	b, meta := newBuddy(t, base, lead+npages)
	if !b.FreeRange(start, npages) {
		t.Fatal("FreeRange of the usable pages refused")
	}
	return &realBank{b: b, meta: meta, mem: mem, start: start, lead: lead, size: npages}
}

// pageModel is the reference: one state per page.
type pageModel []byte

func (m pageModel) all(i, n uintptr, s byte) bool {
	for j := i; j < i+n; j++ {
		if m[j] != s {
			return false
		}
	}
	return true
}

func (m pageModel) none(i, n uintptr, s byte) bool {
	for j := i; j < i+n; j++ {
		if m[j] == s {
			return false
		}
	}
	return true
}

func (m pageModel) set(i, n uintptr, s byte) {
	for j := i; j < i+n; j++ {
		m[j] = s
	}
}

func (m pageModel) count(s byte) uintptr {
	var c uintptr
	for _, v := range m {
		if v == s {
			c++
		}
	}
	return c
}

// hasAligned reports whether some aligned block of 2^k pages is all free.
func (m pageModel) hasAligned(k uint) bool {
	n := uintptr(1) << k
	for i := uintptr(0); i+n <= uintptr(len(m)); i += n {
		if m.all(i, n, stFree) {
			return true
		}
	}
	return false
}

// hasRun reports whether some run of n pages is all free.
func (m pageModel) hasRun(n uintptr) bool {
	run := uintptr(0)
	for _, v := range m {
		if v != stFree {
			run = 0
			continue
		}
		run++
		if run >= n {
			return true
		}
	}
	return n == 0
}

// canonical returns the order byte every page should hold (k+1 at the head
// of a free block of order k, else 0): the free pages cut greedily into the
// largest aligned free blocks, which is what complete coalescing must give.
func (m pageModel) canonical() []uint8 {
	n := uintptr(len(m))
	heads := make([]uint8, n)
	for i := uintptr(0); i < n; {
		if m[i] != stFree {
			i++
			continue
		}
		k := uint(0)
		for k < MaxOrder {
			size := uintptr(2) << k
			if i&(size-1) != 0 || i+size > n || !m.all(i, size, stFree) {
				break
			}
			k++
		}
		heads[i] = uint8(k + 1)
		i += 1 << k
	}
	return heads
}

// checkBuddy compares the whole state of b with the model: bitmaps,
// counters, order bytes (complete coalescing) and every free list.
func checkBuddy(t testing.TB, b *Buddy, m pageModel) {
	t.Helper()
	n := b.npages
	if uintptr(len(m)) != n {
		t.Fatalf("model has %d pages, buddy %d", len(m), n)
	}
	words := (n + 31) / 32
	for i := n; i < words*32; i++ {
		if testBit(b.freeBM, i) || testBit(b.usedBM, i) {
			t.Fatalf("bit set past the last page at %d", i)
		}
	}
	var want [MaxOrder + 1]uintptr
	canon := m.canonical()
	for i := uintptr(0); i < n; i++ {
		f, u := testBit(b.freeBM, i), testBit(b.usedBM, i)
		got := stReserved
		switch {
		case f && u:
			t.Fatalf("page %d both free and used", i)
		case f:
			got = stFree
		case u:
			got = stUsed
		}
		if got != m[i] {
			t.Fatalf("page %d: state %d, model %d", i, got, m[i])
		}
		if o := *b.order(i); o != canon[i] {
			t.Fatalf("page %d: order byte %d, want %d (coalescing incomplete or stale)", i, o, canon[i])
		}
		if canon[i] != 0 {
			want[canon[i]-1]++
		}
	}
	if b.freePages != m.count(stFree) || b.usedPages != m.count(stUsed) {
		t.Fatalf("counters free=%d used=%d, model free=%d used=%d",
			b.freePages, b.usedPages, m.count(stFree), m.count(stUsed))
	}
	for k := uint(0); k <= MaxOrder; k++ {
		if b.counts[k] != want[k] {
			t.Fatalf("order %d: %d blocks counted, want %d", k, b.counts[k], want[k])
		}
		if (b.nonEmpty>>k&1 == 1) != (want[k] != 0) {
			t.Fatalf("order %d: nonEmpty bit wrong", k)
		}
		seen := uintptr(0)
		prev := noPage
		for p := b.heads[k]; p != noPage; p = *b.next(p) {
			if uintptr(p) >= n || *b.order(uintptr(p)) != uint8(k+1) {
				t.Fatalf("order %d list holds page %d which is not such a block", k, p)
			}
			if *b.prev(p) != prev {
				t.Fatalf("order %d list: bad prev link at %d", k, p)
			}
			if uintptr(p)&(1<<k-1) != 0 {
				t.Fatalf("order %d block at %d misaligned", k, p)
			}
			prev = p
			seen++
			if seen > want[k] {
				break
			}
		}
		if seen != want[k] {
			t.Fatalf("order %d list has %d blocks, want %d", k, seen, want[k])
		}
	}
}

// maximalBlocks returns the free block counts of a fully free bank of n
// pages: max-order blocks, then the binary digits of the remainder.
func maximalBlocks(n uintptr) [MaxOrder + 1]uintptr {
	var c [MaxOrder + 1]uintptr
	c[MaxOrder] = n >> MaxOrder
	for k := uint(0); k < MaxOrder; k++ {
		c[k] = n >> k & 1
	}
	return c
}
