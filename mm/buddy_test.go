package mm

import (
	"testing"
	"unsafe"
)

func pg(i uintptr) uintptr { return fakeBase + i*PageSize }

func TestMetaBytes(t *testing.T) {
	if MetaBytes(0) != 0 || MetaBytes(maxPages+1) != 0 {
		t.Fatal("MetaBytes accepts an empty or oversized bank")
	}
	for _, n := range []uintptr{1, 31, 32, 33, 1024, 1 << 20} {
		m := MetaBytes(n)
		if m < n*9 || m > n*9+n/4+16 {
			t.Errorf("MetaBytes(%d) = %d, want about 9.25 bytes a page", n, m)
		}
	}
}

func TestInitRejects(t *testing.T) {
	meta := make([]byte, MetaBytes(2048))
	m := uintptr(unsafe.Pointer(unsafe.SliceData(meta)))
	cases := []struct {
		name          string
		base, n, meta uintptr
	}{
		{"misaligned base", fakeBase + PageSize, 16, m},
		{"no pages", fakeBase, 0, m},
		{"no metadata", fakeBase, 16, 0},
		{"too many pages", fakeBase, maxPages + 1, m},
		{"wraps the address space", ^uintptr(0) &^ (blockBytes - 1), 2048, m},
	}
	for _, c := range cases {
		var b Buddy
		b.Init(c.base, c.n, c.meta)
		s := b.Stats()
		if s.TotalPages != 0 || s.Failures != 1 {
			t.Errorf("%s: Init accepted (%+v)", c.name, s)
		}
		if _, ok := b.Alloc(0); ok || b.FreeRange(c.base, 1) || b.Claim(c.base, 1) || b.IsFree(c.base) {
			t.Errorf("%s: a refused Buddy serves requests", c.name)
		}
	}
}

func TestInitAllReserved(t *testing.T) {
	b, _ := newBuddy(t, fakeBase, 100)
	checkBuddy(t, b, make(pageModel, 100))
	if _, ok := b.Alloc(0); ok {
		t.Fatal("Alloc succeeded with every page reserved")
	}
	if b.Free(pg(0), 0) {
		t.Fatal("Free of a reserved page accepted")
	}
	if s := b.Stats(); s.Failures != 2 || s.FreePages != 0 || s.UsedPages != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestFreeRangeCoalesces(t *testing.T) {
	const n = 3*1024 + 37
	b, _ := newBuddy(t, fakeBase, n)
	m := make(pageModel, n)
	// Release in odd pieces, out of order; the result must be the maximal blocks.
	pieces := [][2]uintptr{{5, 3}, {1000, 2000}, {0, 5}, {3000, n - 3000}, {8, 992}}
	for _, p := range pieces {
		if !b.FreeRange(pg(p[0]), p[1]) {
			t.Fatalf("FreeRange(%d, %d) refused", p[0], p[1])
		}
		m.set(p[0], p[1], stFree)
		checkBuddy(t, b, m)
	}
	if s := b.Stats(); s.FreeBlocks != maximalBlocks(n) || s.FreePages != n {
		t.Fatalf("after releasing everything: %+v", s)
	}
	// Overlapping a free page: refused, nothing changes.
	if b.FreeRange(pg(10), 1) || b.FreeRange(pg(n-1), 1) {
		t.Fatal("double FreeRange accepted")
	}
	checkBuddy(t, b, m)
}

func TestAllocAlignmentAndSplit(t *testing.T) {
	b, _ := newBuddy(t, fakeBase, 2048)
	b.FreeRange(pg(0), 2048)
	m := make(pageModel, 2048)
	m.set(0, 2048, stFree)
	for k := uint(0); k <= MaxOrder; k++ {
		a, ok := b.Alloc(k)
		if !ok {
			t.Fatalf("Alloc(%d) failed", k)
		}
		if a&(PageSize<<k-1) != 0 {
			t.Fatalf("Alloc(%d) = %#x, not aligned", k, a)
		}
		m.set((a-fakeBase)/PageSize, 1<<k, stUsed)
		checkBuddy(t, b, m)
	}
	if _, ok := b.Alloc(MaxOrder + 1); ok {
		t.Fatal("Alloc beyond MaxOrder accepted")
	}
}

func TestFreeMisuse(t *testing.T) {
	b, _ := newBuddy(t, fakeBase, 1024)
	b.FreeRange(pg(0), 1000) // pages 1000..1023 stay reserved
	a, _ := b.Alloc(3)
	before := b.Stats()
	bad := []struct {
		name  string
		addr  uintptr
		order uint
	}{
		{"wrong order (block reaches free pages)", a, 4},
		{"misaligned for its order", a + PageSize, 1},
		{"not page-aligned", a + 8, 0},
		{"below the bank", fakeBase - PageSize, 0},
		{"above the bank", pg(1024), 0},
		{"reaching past the bank", pg(1020), 3},
		{"never allocated (free)", pg(900), 0},
		{"never allocated (reserved)", pg(1010), 0},
		{"order beyond MaxOrder", a, MaxOrder + 1},
	}
	for _, c := range bad {
		if b.Free(c.addr, c.order) {
			t.Errorf("Free %s accepted", c.name)
		}
	}
	after := b.Stats()
	if after.Failures != before.Failures+uintptr(len(bad)) || after.FreePages != before.FreePages {
		t.Fatalf("misuse changed state or was not counted: %+v -> %+v", before, after)
	}
	if !b.Free(a, 3) {
		t.Fatal("good Free refused")
	}
	if b.Free(a, 3) || b.Free(a, 0) {
		t.Fatal("double free accepted")
	}
	m := make(pageModel, 1024)
	m.set(0, 1000, stFree)
	checkBuddy(t, b, m)
}

func TestFreeSplitBlock(t *testing.T) {
	// Returning an Alloc'd block in halves, or a run with Free of its
	// aligned parts, is allowed: what matters is that every page is in use.
	b, _ := newBuddy(t, fakeBase, 1024)
	b.FreeRange(pg(0), 1024)
	a, _ := b.Alloc(4)
	if !b.Free(a+8*PageSize, 3) || !b.Free(a, 2) || !b.Free(a+4*PageSize, 2) {
		t.Fatal("freeing parts of a block refused")
	}
	if s := b.Stats(); s.FreeBlocks != maximalBlocks(1024) {
		t.Fatalf("not coalesced: %+v", s.FreeBlocks)
	}
}

func TestClaim(t *testing.T) {
	const n = 2048
	b, _ := newBuddy(t, fakeBase, n)
	m := make(pageModel, n)
	b.FreeRange(pg(0), n)
	m.set(0, n, stFree)
	// A range inside one max block, and one straddling two.
	for _, r := range [][2]uintptr{{3, 5}, {1000, 100}, {600, 1}} {
		if !b.Claim(pg(r[0]), r[1]) {
			t.Fatalf("Claim(%d, %d) refused", r[0], r[1])
		}
		m.set(r[0], r[1], stUsed)
		checkBuddy(t, b, m)
	}
	before := b.Stats()
	bad := [][2]uintptr{
		{0, 4},                        // partly used (page 3)
		{1099, 2},                     // partly used (page 1099)
		{600, 1},                      // fully used
		{2040, 9},                     // past the end
		{0, 0},                        // empty
		{n, 1},                        // out of range
		{^uintptr(0) >> PageShift, 1}, // far out of range: the address wraps
	}
	for _, r := range bad {
		if b.Claim(fakeBase+r[0]*PageSize, r[1]) {
			t.Errorf("Claim(%d, %d) accepted", r[0], r[1])
		}
	}
	if b.Claim(pg(0)+1, 1) || b.Claim(fakeBase-PageSize, 2) {
		t.Error("Claim of a bad address accepted")
	}
	checkBuddy(t, b, m)
	if after := b.Stats(); after.Failures != before.Failures+uintptr(len(bad))+2 {
		t.Fatalf("failures not counted")
	}
	// Claimed pages go back with FreeRange (or Free of aligned blocks).
	if !b.FreeRange(pg(1000), 100) || !b.Free(pg(600), 0) || !b.FreeRange(pg(3), 5) {
		t.Fatal("returning claimed pages refused")
	}
	if s := b.Stats(); s.FreeBlocks != maximalBlocks(n) {
		t.Fatalf("not coalesced: %+v", s.FreeBlocks)
	}
}

func TestAllocRun(t *testing.T) {
	const n = 4*1024 + 100
	b, _ := newBuddy(t, fakeBase, n)
	m := make(pageModel, n)
	b.FreeRange(pg(0), n)
	m.set(0, n, stFree)
	take := func(np uintptr) uintptr {
		t.Helper()
		a, ok := b.AllocRun(np)
		if !ok {
			t.Fatalf("AllocRun(%d) failed", np)
		}
		i := (a - fakeBase) / PageSize
		if a&(PageSize-1) != 0 || !m.all(i, np, stFree) {
			t.Fatalf("AllocRun(%d) = page %d, not all free", np, i)
		}
		m.set(i, np, stUsed)
		checkBuddy(t, b, m)
		return a
	}
	// The 100 pages past the max blocks are blocks of 64, 32 and 4 pages at
	// 4096, 4160 and 4192: a 3-page run must come from the smallest that
	// holds it, the order-2 block at 4192.
	a := take(3)
	if a != pg(4192) {
		t.Fatalf("AllocRun(3) = page %d, want 4192 (smallest block)", (a-fakeBase)/PageSize)
	}
	// Longer than a max block: crosses max-block boundaries.
	long := take(2500)
	take(1025)
	if _, ok := b.AllocRun(n); ok {
		t.Fatal("AllocRun larger than the free pages succeeded")
	}
	if _, ok := b.AllocRun(0); ok {
		t.Fatal("AllocRun(0) succeeded")
	}
	if !b.FreeRange(long, 2500) {
		t.Fatal("FreeRange of a run refused")
	}
	m.set((long-fakeBase)/PageSize, 2500, stFree)
	checkBuddy(t, b, m)
	if a := take(2048 + 400); a != fakeBase {
		t.Fatalf("AllocRun(2448) = page %d, want the lowest run at 0", (a-fakeBase)/PageSize)
	}
}

func TestAllocRunUsesNeighbours(t *testing.T) {
	// No single block holds 3 pages, but pages 2..4 are free neighbours in
	// blocks of orders 1 and 0: the bitmap scan must find them.
	b, _ := newBuddy(t, fakeBase, 8)
	b.FreeRange(pg(2), 3)
	a, ok := b.AllocRun(3)
	if !ok || a != pg(2) {
		t.Fatalf("AllocRun(3) = %#x %v, want page 2", a, ok)
	}
	m := make(pageModel, 8)
	m.set(2, 3, stUsed)
	checkBuddy(t, b, m)
}

func TestExhaustionAndRecovery(t *testing.T) {
	const n = 1024 + 3
	b, _ := newBuddy(t, fakeBase, n)
	b.FreeRange(pg(0), n)
	var got []uintptr
	for {
		a, ok := b.Alloc(0)
		if !ok {
			break
		}
		got = append(got, a)
	}
	if len(got) != n {
		t.Fatalf("allocated %d pages of %d", len(got), n)
	}
	s := b.Stats()
	if s.FreePages != 0 || s.UsedPages != n || s.Failures != 1 {
		t.Fatalf("exhausted: %+v", s)
	}
	if _, ok := b.AllocRun(1); ok {
		t.Fatal("AllocRun on an empty bank succeeded")
	}
	// Free every other page: order-0 requests succeed, order-1 ones fail.
	for i := uintptr(0); i < n; i += 2 {
		if !b.Free(pg(i), 0) {
			t.Fatalf("Free of page %d refused", i)
		}
	}
	if _, ok := b.Alloc(1); ok {
		t.Fatal("Alloc(1) succeeded with no two adjacent free pages")
	}
	if _, ok := b.AllocRun(2); ok {
		t.Fatal("AllocRun(2) succeeded with no two adjacent free pages")
	}
	for i := uintptr(1); i < n; i += 2 {
		if !b.Free(pg(i), 0) {
			t.Fatalf("Free of page %d refused", i)
		}
	}
	if s := b.Stats(); s.FreeBlocks != maximalBlocks(n) || s.FreePages != n {
		t.Fatalf("after recovery: %+v", s)
	}
	if _, ok := b.Alloc(MaxOrder); !ok {
		t.Fatal("Alloc(MaxOrder) failed after recovery")
	}
}

func TestIsFreeIsUsed(t *testing.T) {
	b, _ := newBuddy(t, fakeBase, 64)
	b.FreeRange(pg(0), 32)
	b.Claim(pg(4), 2)
	for i, want := range map[uintptr][2]bool{0: {true, false}, 4: {false, true}, 40: {false, false}} {
		if b.IsFree(pg(i)+100) != want[0] || b.IsUsed(pg(i)+100) != want[1] {
			t.Errorf("page %d: IsFree/IsUsed wrong", i)
		}
	}
	if b.IsFree(pg(64)) || b.IsUsed(fakeBase-1) || !b.Contains(pg(63)) || b.Contains(pg(64)) {
		t.Error("out-of-range pages reported as managed")
	}
}

func TestTopOfAddressSpace(t *testing.T) {
	// A bank ending exactly at the top of the address space: on 32 bits its
	// end address wraps to 0, which no check may compute.
	base := ^uintptr(0) &^ (blockBytes - 1)
	b, _ := newBuddy(t, base, 1024)
	if !b.FreeRange(base, 1024) {
		t.Fatal("FreeRange refused")
	}
	a, ok := b.AllocRun(1024)
	if !ok || a != base {
		t.Fatalf("AllocRun(1024) = %#x %v", a, ok)
	}
	if b.FreeRange(base+1023*PageSize, 2) || b.Claim(base, 1025) {
		t.Fatal("range past the top accepted")
	}
	if !b.Free(base, MaxOrder) {
		t.Fatal("Free refused")
	}
	last := base + 1023*PageSize
	if !b.Claim(last, 1) || b.IsFree(last) || !b.FreeRange(last, 1) || !b.IsFree(last) {
		t.Fatal("last page of the address space mishandled")
	}
	if s := b.Stats(); s.FreeBlocks != maximalBlocks(1024) {
		t.Fatalf("%+v", s)
	}
}

func TestStatsCounters(t *testing.T) {
	b, _ := newBuddy(t, fakeBase, 1024)
	b.FreeRange(pg(0), 1024) // frees 1
	a, _ := b.Alloc(2)       // allocs 1
	b.Claim(pg(512), 4)      // allocs 2
	r, _ := b.AllocRun(5)    // allocs 3
	b.Free(a, 2)             // frees 2
	b.FreeRange(r, 5)        // frees 3
	b.Free(a, 2)             // failure 1
	s := b.Stats()
	if s.Allocs != 3 || s.Frees != 3 || s.Failures != 1 || s.UsedPages != 4 || s.FreePages != 1020 || s.TotalPages != 1024 {
		t.Fatalf("%+v", s)
	}
}

func TestZeroValuesRefuse(t *testing.T) {
	var b Buddy
	if _, ok := b.Alloc(0); ok || b.Free(fakeBase, 0) || b.FreeRange(0, 1) || b.Claim(0, 1) || b.IsFree(0) || b.IsUsed(0) {
		t.Fatal("zero Buddy serves requests")
	}
	if _, ok := b.AllocRun(1); ok {
		t.Fatal("zero Buddy serves AllocRun")
	}
	var c Cache
	if _, ok := c.Alloc(); ok || c.Free(fakeBase) {
		t.Fatal("zero Cache serves requests")
	}
	c.Shrink()
	if b.Stats().Failures != 5 || c.Stats().Failures != 2 {
		t.Fatalf("refusals not counted: %+v %+v", b.Stats(), c.Stats())
	}
}
