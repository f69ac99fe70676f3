package mm

import "testing"

// The allocators run in trap context, where the Go heap must not be used:
// every operation after Init must allocate nothing.
func TestNoHeapAllocation(t *testing.T) {
	bank := newRealBank(t, 256)
	b := bank.b
	var c Cache
	c.Init("objs", 96, 16, b)
	start := bank.start
	// Long runs need a bank of several max blocks; its pages are never touched.
	big, meta := newBuddy(t, fakeBase, 4*1024)
	defer func() { _ = meta[0] }()
	big.FreeRange(fakeBase, 4*1024)
	cases := []struct {
		name string
		f    func()
	}{
		{"Alloc+Free", func() {
			a, _ := b.Alloc(3)
			b.Free(a, 3)
		}},
		{"FreeRange+Claim", func() {
			b.Claim(start+PageSize, 9)
			b.FreeRange(start+PageSize, 9)
		}},
		{"AllocRun", func() {
			a, _ := b.AllocRun(5)
			b.FreeRange(a, 5)
		}},
		{"AllocRun and Claim across max blocks", func() {
			a, _ := big.AllocRun(1500)
			big.FreeRange(a, 1500)
			big.Claim(fakeBase+1000*PageSize, 2000)
			big.FreeRange(fakeBase+1000*PageSize, 2000)
		}},
		{"misuse", func() {
			b.Free(start+1, 0)
			b.FreeRange(start, 1<<20)
			b.Claim(0, 1)
			b.Alloc(MaxOrder + 1)
			c.Free(start + 8)
			c.Free(0)
		}},
		{"queries", func() {
			b.IsFree(start)
			b.IsUsed(start)
			b.Stats()
			c.Stats()
		}},
		{"Cache Alloc+Free", func() {
			o, _ := c.Alloc()
			c.Free(o)
		}},
		// Takes slabs from the Buddy and gives them back.
		{"Cache grow and release", func() {
			var objs [100]uintptr
			for i := range objs {
				objs[i], _ = c.Alloc()
			}
			for _, o := range objs {
				c.Free(o)
			}
			c.Shrink()
		}},
	}
	for _, tc := range cases {
		if n := testing.AllocsPerRun(100, tc.f); n != 0 {
			t.Errorf("%s: %v heap allocations per run", tc.name, n)
		}
	}
	if s := c.Stats(); s.InUse != 0 || s.Slabs != 0 {
		t.Fatalf("cache not idle: %+v", s)
	}
}
