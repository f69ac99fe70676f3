package mm

import "testing"

var (
	modelObjSizes = []uintptr{1, 24, 64, 200, 1000, 4096, 5000}
	modelAligns   = []uintptr{0, 8, 16, 64, 4096}
)

// runCacheModel interprets data as operations on a Cache and checks them
// against a set of live objects: every object handed out is zeroed, inside a
// page the Buddy has handed out, overlaps no live object, and keeps what its
// owner wrote until it is freed; Free succeeds exactly for live objects; the
// counters agree; an idle cache holds at most one empty slab; and at the end
// every page goes back to the Buddy.
func runCacheModel(t *testing.T, data []byte) {
	r := &byteReader{data: data}
	sel := r.u8()
	size := modelObjSizes[int(sel)%len(modelObjSizes)]
	align := modelAligns[int(sel>>3)%len(modelAligns)]
	const npages = 32
	bank := newRealBank(t, npages)
	var c Cache
	c.Init("model", size, align, bank.b)
	stride, per, order := c.Stats().ObjSize, c.Stats().PerSlab, c.slabOrder

	live := map[uintptr]byte{}
	var freed []uintptr // objects freed since their last allocation
	var raw []uintptr   // pages the test took from the Buddy itself
	var wantFail, wantAllocs, wantFrees uintptr
	pattern := byte(1)

	check := func(o uintptr, v byte) {
		for _, x := range bytesAt(o, stride) {
			if x != v {
				t.Fatalf("object %#x: found %#x, want %#x (overlap or stray write)", o, x, v)
			}
		}
	}
	freeLive := func(o uintptr) {
		check(o, live[o])
		if !c.Free(o) {
			t.Fatalf("Free of live object %#x refused", o)
		}
		delete(live, o)
		freed = append(freed, o)
		wantFrees++
	}
	anyLive := func() (uintptr, bool) {
		k := int(r.u8())
		for o := range live {
			if k == 0 {
				return o, true
			}
			k--
		}
		for o := range live {
			return o, true
		}
		return 0, false
	}

	for steps := 0; r.more() && steps < 1000; steps++ {
		switch r.u8() % 8 {
		case 0, 1, 2: // Alloc
			o, ok := c.Alloc()
			if !ok {
				// Only when the Buddy has no block for a new slab.
				if c.Stats().Free != 0 {
					t.Fatal("Alloc failed with free objects in held slabs")
				}
				if _, ok := bank.b.Alloc(order); ok {
					t.Fatal("Alloc failed while the Buddy had a slab's worth of pages")
				}
				// The Buddy refused the cache and the probe; the cache counts too.
				wantFail += 3
				continue
			}
			wantAllocs++
			if _, dup := live[o]; dup {
				t.Fatalf("object %#x handed out twice", o)
			}
			if align != 0 && o%align != 0 {
				t.Fatalf("object %#x not aligned to %d", o, align)
			}
			if !bank.b.IsUsed(o) || !bank.b.IsUsed(o+stride-1) {
				t.Fatalf("object %#x not in pages handed out to the cache", o)
			}
			for p := range live {
				if o < p+stride && p < o+stride {
					t.Fatalf("objects %#x and %#x overlap", o, p)
				}
			}
			check(o, 0)
			pattern++
			if pattern == 0 {
				pattern = 1
			}
			fill(o, stride, pattern)
			live[o] = pattern
			for i, f := range freed {
				if f == o {
					freed[i] = freed[len(freed)-1]
					freed = freed[:len(freed)-1]
					break
				}
			}
		case 3, 4: // Free a live object
			if o, ok := anyLive(); ok {
				freeLive(o)
			}
		case 5: // Free a bad pointer
			var p uintptr
			switch r.u8() % 4 {
			case 0:
				if o, ok := anyLive(); ok {
					p = o + 1 + uintptr(r.u8())%stride
				}
			case 1:
				if len(freed) > 0 {
					p = freed[int(r.u8())%len(freed)]
				}
			case 2:
				p = bank.start + r.u16()*16%(npages*PageSize)
			case 3:
				if len(raw) > 0 {
					p = raw[int(r.u8())%len(raw)] + r.u16()%PageSize
				}
			}
			if _, isLive := live[p]; isLive {
				freeLive(p) // a random address that is a live object is fine
				break
			}
			if c.Free(p) {
				t.Fatalf("Free(%#x) of a pointer not handed out accepted", p)
			}
			wantFail++
		case 6: // Someone else takes or returns a page of the same Buddy.
			if len(raw) > 0 && r.u8()%2 == 0 {
				p := raw[len(raw)-1]
				raw = raw[:len(raw)-1]
				bank.b.Free(p, 0)
			} else if p, ok := bank.b.Alloc(0); ok {
				fill(p, PageSize, 0xEE)
				raw = append(raw, p)
			} else {
				wantFail++
			}
		case 7:
			if r.u8()%4 == 0 {
				c.Shrink()
			}
		}
		s := c.Stats()
		cs := c.failures + bank.b.Stats().Failures
		if s.InUse != uintptr(len(live)) || s.Allocs != wantAllocs || s.Frees != wantFrees || cs != wantFail {
			t.Fatalf("stats %+v, live %d, want allocs=%d frees=%d failures=%d (got %d)",
				s, len(live), wantAllocs, wantFrees, wantFail, cs)
		}
		if s.InUse+s.Free != s.Slabs*per || s.Pages != s.Slabs<<order {
			t.Fatalf("inconsistent stats %+v", s)
		}
		slabs := map[uintptr]bool{}
		for o := range live {
			slabs[o&^(PageSize<<order-1)] = true
		}
		if s.Slabs > uintptr(len(slabs))+1 {
			t.Fatalf("%d slabs held for %d in use: more than one empty slab kept", s.Slabs, len(slabs))
		}
		if bs := bank.b.Stats(); bs.UsedPages != s.Pages+uintptr(len(raw)) {
			t.Fatalf("buddy has %d pages in use, cache %d + others %d", bs.UsedPages, s.Pages, len(raw))
		}
	}
	for o := range live {
		freeLive(o)
	}
	if s := c.Stats(); s.Slabs > 1 || s.InUse != 0 {
		t.Fatalf("idle cache holds %+v", s)
	}
	c.Shrink()
	for _, p := range raw {
		bank.b.Free(p, 0)
	}
	if s := bank.b.Stats(); s.FreePages != npages || c.Stats().Pages != 0 {
		t.Fatalf("pages not all returned: %+v", s)
	}
}

func FuzzCache(f *testing.F) {
	f.Add([]byte{})
	for i, s := range modelSeeds(len(modelObjSizes)*len(modelAligns), 600, 2) {
		s[0] = byte(i%len(modelObjSizes) | i/len(modelObjSizes)<<3) // every size and alignment
		f.Add(s)
	}
	f.Fuzz(runCacheModel)
}
