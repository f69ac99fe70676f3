package mm

import (
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
)

// Several goroutines allocate and free through every entry point of one
// Buddy. Each page has an owner word claimed with a CAS when a goroutine
// receives it and cleared before the goroutine gives it back, so two holders
// of one page are caught at once. At the end every page is returned and the
// whole structure is checked.
func TestBuddyConcurrent(t *testing.T) {
	const (
		n       = 4096 + 300
		workers = 4
	)
	ops := 20000
	if testing.Short() || raceEnabled {
		ops = 4000
	}
	b, meta := newBuddy(t, fakeBase, n)
	defer func() { _ = meta[0] }()
	b.FreeRange(pg(0), n)
	owner := make([]atomic.Int32, n)

	type held struct{ i, n, order uintptr }
	var wg sync.WaitGroup
	for w := 1; w <= workers; w++ {
		wg.Add(1)
		go func(id int32) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(id)))
			var mine []held
			own := func(a, np, order uintptr) {
				i := (a - fakeBase) / PageSize
				for j := i; j < i+np; j++ {
					if !owner[j].CompareAndSwap(0, id) {
						t.Errorf("page %d handed to %d while held by %d", j, id, owner[j].Load())
						return
					}
				}
				mine = append(mine, held{i, np, order})
			}
			giveBack := func(k int) {
				h := mine[k]
				mine[k] = mine[len(mine)-1]
				mine = mine[:len(mine)-1]
				for j := h.i; j < h.i+h.n; j++ {
					owner[j].Store(0)
				}
				var ok bool
				if h.order != ^uintptr(0) {
					ok = b.Free(pg(h.i), uint(h.order))
				} else {
					ok = b.FreeRange(pg(h.i), h.n)
				}
				if !ok {
					t.Errorf("returning %+v refused", h)
				}
			}
			for op := 0; op < ops; op++ {
				switch v := rng.Intn(10); {
				case v < 3:
					k := uint(rng.Intn(6))
					if a, ok := b.Alloc(k); ok {
						own(a, 1<<k, uintptr(k))
					}
				case v < 4:
					np := uintptr(rng.Intn(40) + 1)
					if rng.Intn(8) == 0 {
						np += MaxOrder << 7 // sometimes longer than a max block
					}
					if a, ok := b.AllocRun(np); ok {
						own(a, np, ^uintptr(0))
					}
				case v < 5:
					np := uintptr(rng.Intn(8) + 1)
					a := pg(uintptr(rng.Intn(n - 8)))
					if b.Claim(a, np) {
						own(a, np, ^uintptr(0))
					}
				case v < 6:
					// Queries race with the rest: their answers are not
					// stable, only their safety is tested. The misuse here
					// must fail whatever the other workers hold.
					b.IsFree(pg(uintptr(rng.Intn(n))))
					if b.Free(pg(uintptr(rng.Intn(n)))+8, 0) || b.FreeRange(pg(n), 1) {
						t.Error("misuse accepted")
					}
					b.Stats()
				default:
					if len(mine) > 0 {
						giveBack(rng.Intn(len(mine)))
					}
				}
			}
			for len(mine) > 0 {
				giveBack(len(mine) - 1)
			}
		}(int32(w))
	}
	wg.Wait()
	m := make(pageModel, n)
	m.set(0, n, stFree)
	checkBuddy(t, b, m)
	if s := b.Stats(); s.FreeBlocks != maximalBlocks(n) {
		t.Fatalf("not coalesced after the workers: %+v", s)
	}
}

// Several goroutines share one Cache (and its Buddy, also used directly by
// one of them). Each writes its identity over every object it holds and
// checks it before freeing, so an object handed out twice, or slab metadata
// written over an object, shows up.
func TestCacheConcurrent(t *testing.T) {
	const workers = 4
	ops := 20000
	if testing.Short() || raceEnabled {
		ops = 4000
	}
	bank := newRealBank(t, 128)
	var c Cache
	c.Init("shared", 120, 8, bank.b)
	stride := c.Stats().ObjSize
	var wg sync.WaitGroup
	var refused atomic.Uintptr // Allocs refused because the Buddy ran out
	for w := 1; w <= workers; w++ {
		wg.Add(1)
		go func(id byte) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(id)))
			var mine, pages []uintptr
			drop := func(k int) {
				o := mine[k]
				mine[k] = mine[len(mine)-1]
				mine = mine[:len(mine)-1]
				for _, x := range bytesAt(o, stride) {
					if x != id {
						t.Errorf("object %#x overwritten: %#x, want %#x", o, x, id)
						break
					}
				}
				if !c.Free(o) {
					t.Errorf("Free(%#x) refused", o)
				}
			}
			for op := 0; op < ops; op++ {
				switch v := rng.Intn(10); {
				case v < 5:
					if o, ok := c.Alloc(); ok {
						fill(o, stride, id)
						mine = append(mine, o)
					} else {
						refused.Add(1)
					}
				case v < 6 && id == 1:
					if len(pages) > 0 && rng.Intn(2) == 0 {
						bank.b.Free(pages[len(pages)-1], 0)
						pages = pages[:len(pages)-1]
					} else if p, ok := bank.b.Alloc(0); ok {
						pages = append(pages, p)
					}
				default:
					if len(mine) > 0 {
						drop(rng.Intn(len(mine)))
					}
				}
			}
			for len(mine) > 0 {
				drop(len(mine) - 1)
			}
			for _, p := range pages {
				bank.b.Free(p, 0)
			}
		}(byte(w))
	}
	wg.Wait()
	s := c.Stats()
	if s.InUse != 0 || s.Slabs > 1 || s.Failures != refused.Load() {
		t.Fatalf("after the workers: %+v", s)
	}
	c.Shrink()
	if bs := bank.b.Stats(); bs.FreePages != 128 || bs.UsedPages != 0 {
		t.Fatalf("pages not returned: %+v", bs)
	}
}
