package mm

import (
	"fmt"
	"testing"
)

// Reproduce with: go test -run '^$' -bench . ./mm

// benchBuddy returns a fully free bank of n fake pages.
func benchBuddy(b *testing.B, n uintptr) *Buddy {
	bd, meta := newBuddy(b, fakeBase, n)
	b.Cleanup(func() { _ = meta[0] })
	bd.FreeRange(fakeBase, n)
	return bd
}

// Alloc+Free of one block on a bank of max-order blocks: the worst case,
// where every Alloc splits a max block down to the order and every Free
// merges it back up.
func BenchmarkAllocFree(b *testing.B) {
	for _, k := range []uint{0, 3, 6, MaxOrder} {
		b.Run(fmt.Sprintf("order=%d", k), func(b *testing.B) {
			bd := benchBuddy(b, 16*1024)
			for b.Loop() {
				a, _ := bd.Alloc(k)
				bd.Free(a, k)
			}
		})
	}
}

// Alloc+Free of one page when blocks of that order are already on the list:
// the common case once a bank is in use (no split, no merge).
func BenchmarkAllocFreeWarm(b *testing.B) {
	bd := benchBuddy(b, 16*1024)
	// Hold every other page, so the free ones are order-0 blocks whose
	// buddies are in use.
	for i := uintptr(0); i < 16*1024; i += 2 {
		bd.Claim(fakeBase+i*PageSize, 1)
	}
	for b.Loop() {
		a, _ := bd.Alloc(0)
		bd.Free(a, 0)
	}
}

func BenchmarkAllocRun(b *testing.B) {
	for _, n := range []uintptr{3, 100, 2500} {
		b.Run(fmt.Sprintf("pages=%d", n), func(b *testing.B) {
			bd := benchBuddy(b, 16*1024)
			for b.Loop() {
				a, _ := bd.AllocRun(n)
				bd.FreeRange(a, n)
			}
		})
	}
}

func BenchmarkClaim(b *testing.B) {
	bd := benchBuddy(b, 16*1024)
	a := fakeBase + 1000*PageSize
	for b.Loop() {
		bd.Claim(a, 8)
		bd.FreeRange(a, 8)
	}
}

func BenchmarkCacheAllocFree(b *testing.B) {
	for _, size := range []uintptr{64, 1000} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			bank := newRealBank(b, 64)
			var c Cache
			c.Init("bench", size, 8, bank.b)
			for b.Loop() {
				o, _ := c.Alloc()
				c.Free(o)
			}
		})
	}
}

func BenchmarkParallelAllocFree(b *testing.B) {
	bd := benchBuddy(b, 16*1024)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a, ok := bd.Alloc(0)
			if ok {
				bd.Free(a, 0)
			}
		}
	})
}

func BenchmarkParallelCache(b *testing.B) {
	bank := newRealBank(b, 256)
	var c Cache
	c.Init("bench", 64, 8, bank.b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			o, ok := c.Alloc()
			if ok {
				c.Free(o)
			}
		}
	})
}
