package mm

import (
	"testing"
	"unsafe"
)

func bytesAt(a, n uintptr) []byte { return unsafe.Slice((*byte)(ptrAt(a)), n) }

func fill(a, n uintptr, v byte) {
	for i := range bytesAt(a, n) {
		bytesAt(a, n)[i] = v
	}
}

func TestCacheLayout(t *testing.T) {
	bank := newRealBank(t, 16)
	cases := []struct {
		size, align uintptr
		order       uint
		minPer      uintptr
	}{
		{1, 0, 0, 8}, {24, 0, 0, 8}, {64, 64, 0, 8}, {1000, 8, 1, 8},
		{4096, 4096, 3, 7}, {PageSize << (MaxOrder - 1), 0, MaxOrder, 1},
	}
	for _, c := range cases {
		var ca Cache
		ca.Init("t", c.size, c.align, bank.b)
		s := ca.Stats()
		if !ca.ready || ca.slabOrder != c.order || s.PerSlab < c.minPer {
			t.Errorf("size %d align %d: order %d, %d per slab (ready %v)", c.size, c.align, ca.slabOrder, s.PerSlab, ca.ready)
		}
		if s.ObjSize < c.size || (c.align != 0 && s.ObjSize%c.align != 0) {
			t.Errorf("size %d align %d: stride %d", c.size, c.align, s.ObjSize)
		}
		if ca.first+s.PerSlab*s.ObjSize > PageSize<<ca.slabOrder || ca.first < hdrFixed+(s.PerSlab+31)/32*4 {
			t.Errorf("size %d: objects overlap the header or leave the slab", c.size)
		}
	}
}

func TestCacheInitRejects(t *testing.T) {
	bank := newRealBank(t, 4)
	bad := []struct {
		size, align uintptr
		pages       *Buddy
	}{
		{0, 8, bank.b}, {64, 3, bank.b}, {64, 2 * PageSize, bank.b},
		{PageSize << MaxOrder, 8, bank.b}, {64, 8, nil},
	}
	for _, c := range bad {
		var ca Cache
		ca.Init("bad", c.size, c.align, c.pages)
		if _, ok := ca.Alloc(); ok || ca.Free(bank.start) {
			t.Errorf("unusable cache (size %d align %d) serves requests", c.size, c.align)
		}
		if ca.Stats().Failures != 2 {
			t.Errorf("failures not counted")
		}
	}
	var ca Cache
	ca.InitWindow("w", 64, 8, bank.b, PageSize)
	if ca.ready {
		t.Error("misaligned window accepted")
	}
}

func TestCacheAllocFree(t *testing.T) {
	bank := newRealBank(t, 8)
	var c Cache
	c.Init("nodes", 100, 16, bank.b)
	if c.Name() != "nodes" {
		t.Fatal("name lost")
	}
	per := c.Stats().PerSlab
	var objs []uintptr
	for i := uintptr(0); i < per+1; i++ {
		o, ok := c.Alloc()
		if !ok {
			t.Fatal("Alloc failed")
		}
		if o%16 != 0 {
			t.Fatalf("object %#x not aligned", o)
		}
		for _, v := range bytesAt(o, 100) {
			if v != 0 {
				t.Fatal("object not zeroed")
			}
		}
		fill(o, c.Stats().ObjSize, 0xA5) // dirty it so reuse must clear it again
		objs = append(objs, o)
	}
	s := c.Stats()
	if s.InUse != per+1 || s.Slabs != 2 || s.Pages != 2 || s.Free != per-1 {
		t.Fatalf("stats %+v", s)
	}
	// Free every object: the first emptied slab stays as the spare, the
	// second goes back to the Buddy.
	for _, o := range objs {
		if !c.Free(o) {
			t.Fatalf("Free(%#x) refused", o)
		}
	}
	s = c.Stats()
	if s.InUse != 0 || s.Slabs != 1 || s.Allocs != per+1 || s.Frees != per+1 {
		t.Fatalf("after freeing all: %+v", s)
	}
	if bank.b.Stats().UsedPages != 1 {
		t.Fatalf("buddy holds %d used pages, want the spare only", bank.b.Stats().UsedPages)
	}
	// Reuse of the spare hands out zeroed objects again.
	o, _ := c.Alloc()
	for _, v := range bytesAt(o, 100) {
		if v != 0 {
			t.Fatal("reused object not zeroed")
		}
	}
	c.Free(o)
	c.Shrink()
	if s := c.Stats(); s.Slabs != 0 || s.Pages != 0 || bank.b.Stats().FreePages != 8 {
		t.Fatalf("after Shrink: %+v / %+v", s, bank.b.Stats())
	}
}

func TestCacheFreeMisuse(t *testing.T) {
	bank := newRealBank(t, 16)
	var c, other Cache
	c.Init("a", 48, 8, bank.b)
	other.Init("b", 48, 8, bank.b)
	o1, _ := c.Alloc()
	o2, _ := c.Alloc()
	foreign, _ := other.Alloc()
	// A page handed out by the Buddy to someone else, holding a copy of a
	// real slab header: the self field must make it fail.
	raw, _ := bank.b.Alloc(0)
	slab := o1 &^ (PageSize - 1)
	copy(bytesAt(raw, PageSize), bytesAt(slab, PageSize))
	junk, _ := bank.b.Alloc(0)
	fill(junk, PageSize, 0xFF)
	free, _ := bank.b.Alloc(0)
	bank.b.Free(free, 0) // a free page of the bank
	bad := []struct {
		name string
		p    uintptr
	}{
		{"inside an object", o1 + 8},
		{"in the slab header", slab},
		{"past the last object", slab + c.first + c.perSlab*c.stride},
		{"object of another cache", foreign},
		{"copied header", raw + (o1 - slab)},
		{"page of junk", junk + 64},
		{"free page", free + 64},
		{"outside the bank", 8},
		{"nil", 0},
		// Pages below the usable range are reserved and lie outside the
		// test's memory: dereferencing them would read what we do not own.
		{"reserved page", bank.b.Base()},
	}
	if bank.lead == 0 {
		bad = bad[:len(bad)-1] // no reserved leading page this time
	}
	for _, x := range bad {
		if c.Free(x.p) {
			t.Errorf("Free %s accepted", x.name)
		}
	}
	if !c.Free(o1) {
		t.Fatal("good Free refused")
	}
	if c.Free(o1) {
		t.Fatal("double free accepted")
	}
	s := c.Stats()
	if s.Failures != uintptr(len(bad))+1 || s.InUse != 1 {
		t.Fatalf("stats %+v", s)
	}
	// Once its slab is given back, a stale pointer must not pass.
	c.Free(o2)
	c.Shrink()
	if c.Free(o2) || c.Free(o1) {
		t.Fatal("free into a released slab accepted")
	}
}

func TestCacheExhaustion(t *testing.T) {
	// Any 8 pages hold an aligned 4-page block, whatever the start.
	bank := newRealBank(t, 8)
	var c Cache
	c.Init("big", 1500, 8, bank.b) // 10 per order-2 slab
	var objs []uintptr
	for {
		o, ok := c.Alloc()
		if !ok {
			break
		}
		objs = append(objs, o)
	}
	s := c.Stats()
	if s.Failures != 1 || s.Slabs == 0 || s.InUse != s.Slabs*10 || s.Pages != s.Slabs*4 {
		t.Fatalf("exhausted: %+v", s)
	}
	for _, o := range objs {
		c.Free(o)
	}
	if _, ok := c.Alloc(); !ok {
		t.Fatal("no recovery after freeing")
	}
}

func TestCacheWindow(t *testing.T) {
	// The Buddy names pages by "physical" address; the cache reaches them
	// through a window. Build it the other way round: the Buddy manages
	// addresses shifted down by a window, the cache adds it back.
	mem := make([]byte, 9*PageSize)
	start := (uintptr(unsafe.Pointer(unsafe.SliceData(mem))) + PageSize - 1) &^ (PageSize - 1)
	const window = blockBytes * 4
	phys := start - window
	base := phys &^ (blockBytes - 1)
	lead := (phys - base) / PageSize
	meta := make([]byte, MetaBytes(lead+8))
	var b Buddy
	b.Init(base, lead+8, uintptr(unsafe.Pointer(unsafe.SliceData(meta))))
	b.FreeRange(phys, 8)
	var c Cache
	c.InitWindow("win", 200, 8, &b, window)
	o, ok := c.Alloc()
	if !ok || o < start || o >= start+8*PageSize {
		t.Fatalf("Alloc = %#x %v, want an address in the window", o, ok)
	}
	fill(o, 200, 1)
	if !c.Free(o) || c.Free(o-window) {
		t.Fatal("window addresses mishandled")
	}
}
