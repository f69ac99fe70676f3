package mm

import (
	"math/rand"
	"testing"
)

// byteReader feeds a fuzz input to the model tests; past its end it reads
// zeros, so every input is a complete program.
type byteReader struct {
	data []byte
	pos  int
}

func (r *byteReader) more() bool { return r.pos < len(r.data) }

func (r *byteReader) u8() byte {
	if r.pos >= len(r.data) {
		return 0
	}
	r.pos++
	return r.data[r.pos-1]
}

func (r *byteReader) u16() uintptr { return uintptr(r.u8()) | uintptr(r.u8())<<8 }

// Bank sizes for the model: a single page, less than a max block, one max
// block exactly, and several max blocks with a ragged tail (so that runs
// cross max-block boundaries and the last blocks are partial).
var modelSizes = []uintptr{1, 7, 100, 1024, 1500, 3*1024 + 37}

type liveRange struct {
	addr, n uintptr
	order   int // Alloc order, or -1 for runs and claims
}

// runBuddyModel interprets data as a sequence of operations on a Buddy and
// a page-state model, and checks after every step that both agree: results
// (success exactly when the model says the request can be served or is
// legal), page states, counters, and the free lists against the canonical
// (completely coalesced) decomposition. It ends by returning every page and
// checking that only maximal blocks remain.
func runBuddyModel(t *testing.T, data []byte) {
	r := &byteReader{data: data}
	sel := r.u8()
	n := modelSizes[int(sel&0x7f)%len(modelSizes)]
	base := fakeBase
	if sel&0x80 != 0 {
		// Put the bank at the very top of the address space.
		base = (^uintptr(0) - n*PageSize + 1) &^ (blockBytes - 1)
	}
	b, meta := newBuddy(t, base, n)
	defer func() { _ = meta[0] }()
	m := make(pageModel, n)
	var live []liveRange
	var wantFail, wantAllocs, wantFrees uintptr

	// Release most of the bank up front so that sequences do interesting
	// things early; leave some holes reserved, chosen by the input.
	holeAt, holeLen := r.u16()%n, r.u16()%(n/4+1)
	if holeAt > 0 {
		b.FreeRange(base, holeAt)
		m.set(0, holeAt, stFree)
		wantFrees++
	}
	if rest := holeAt + holeLen; rest < n {
		b.FreeRange(base+rest*PageSize, n-rest)
		m.set(rest, n-rest, stFree)
		wantFrees++
	}
	checkBuddy(t, b, m)

	// randAddr returns a page address around the bank (sometimes just
	// outside, sometimes not page-aligned) and its index if it is valid.
	randAddr := func() (uintptr, uintptr, bool) {
		p := r.u16()%(n+4) - 2 // wraps below 0 on purpose
		a := base + p*PageSize
		if r.u8()%16 == 0 {
			return a + 1 + uintptr(r.u8()), 0, false
		}
		return a, p, p < n
	}
	randLen := func() uintptr {
		switch v := r.u8(); {
		case v < 200:
			return uintptr(v%32) + 1
		case v < 250:
			return r.u16() % (n + 2)
		case v < 253:
			return 0
		default:
			return ^uintptr(0) >> PageShift
		}
	}
	rangeOK := func(i uintptr, valid bool, np uintptr) bool {
		return valid && np > 0 && np <= n-i
	}
	idxOf := func(a uintptr) uintptr { return (a - base) / PageSize }

	// Steps are capped so that one input stays in the tens of milliseconds:
	// the fuzzer re-runs an input many times when it minimises it.
	for steps := 0; r.more() && steps < 600; steps++ {
		switch op := r.u8() % 9; op {
		case 0, 1: // Alloc
			k := uint(r.u8() % (MaxOrder + 2))
			want := k <= MaxOrder && m.hasAligned(k)
			a, ok := b.Alloc(k)
			if ok != want {
				t.Fatalf("Alloc(%d) = %v, model says %v", k, ok, want)
			}
			if !ok {
				wantFail++
				break
			}
			i := idxOf(a)
			if a&(PageSize<<k-1) != 0 || i >= n || !m.all(i, 1<<k, stFree) {
				t.Fatalf("Alloc(%d) = page %d: misaligned or not free", k, i)
			}
			m.set(i, 1<<k, stUsed)
			live = append(live, liveRange{a, 1 << k, int(k)})
			wantAllocs++
		case 2, 3: // return something handed out earlier
			if len(live) == 0 {
				break
			}
			j := int(r.u8()) % len(live)
			lr := live[j]
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
			i := idxOf(lr.addr)
			want := m.all(i, lr.n, stUsed) // a random op may have freed part of it
			var ok bool
			if lr.order >= 0 && r.u8()%2 == 0 {
				ok = b.Free(lr.addr, uint(lr.order))
			} else {
				want = m.none(i, lr.n, stFree)
				ok = b.FreeRange(lr.addr, lr.n)
			}
			if ok != want {
				t.Fatalf("returning %+v = %v, model says %v", lr, ok, want)
			}
			if ok {
				m.set(i, lr.n, stFree)
				wantFrees++
			} else {
				wantFail++
			}
		case 4: // Free of a random block: mostly misuse
			a, i, valid := randAddr()
			k := uint(r.u8() % (MaxOrder + 2))
			want := valid && k <= MaxOrder && i&(1<<k-1) == 0 && rangeOK(i, valid, 1<<k) && m.all(i, 1<<k, stUsed)
			if ok := b.Free(a, k); ok != want {
				t.Fatalf("Free(page %d, %d) = %v, model says %v", int(i), k, ok, want)
			} else if ok {
				m.set(i, 1<<k, stFree)
				wantFrees++
			} else {
				wantFail++
			}
		case 5: // FreeRange of a random range: reserved and used pages alike
			a, i, valid := randAddr()
			np := randLen()
			want := rangeOK(i, valid, np) && m.none(i, np, stFree)
			if ok := b.FreeRange(a, np); ok != want {
				t.Fatalf("FreeRange(page %d, %d) = %v, model says %v", int(i), np, ok, want)
			} else if ok {
				m.set(i, np, stFree)
				wantFrees++
			} else {
				wantFail++
			}
		case 6: // Claim
			a, i, valid := randAddr()
			np := randLen()
			want := rangeOK(i, valid, np) && m.all(i, np, stFree)
			if ok := b.Claim(a, np); ok != want {
				t.Fatalf("Claim(page %d, %d) = %v, model says %v", int(i), np, ok, want)
			} else if ok {
				m.set(i, np, stUsed)
				live = append(live, liveRange{a, np, -1})
				wantAllocs++
			} else {
				wantFail++
			}
		case 7: // AllocRun
			np := randLen()
			want := np > 0 && np <= n && m.hasRun(np)
			a, ok := b.AllocRun(np)
			if ok != want {
				t.Fatalf("AllocRun(%d) = %v, model says %v", np, ok, want)
			}
			if !ok {
				wantFail++
				break
			}
			i := idxOf(a)
			if a&(PageSize-1) != 0 || i >= n || np > n-i || !m.all(i, np, stFree) {
				t.Fatalf("AllocRun(%d) = page %d: not free", np, i)
			}
			m.set(i, np, stUsed)
			live = append(live, liveRange{a, np, -1})
			wantAllocs++
		case 8: // queries
			a, _, _ := randAddr()
			// The queries look at the page holding the address.
			i := (a&^(PageSize-1) - base) / PageSize
			valid := a >= base && i < n
			wantFree := valid && m[i] == stFree
			wantUsed := valid && m[i] == stUsed
			if b.IsFree(a) != wantFree || b.IsUsed(a) != wantUsed {
				t.Fatalf("IsFree/IsUsed(page %d) disagree with the model", int(i))
			}
		}
		checkBuddy(t, b, m)
		s := b.Stats()
		if s.Failures != wantFail || s.Allocs != wantAllocs || s.Frees != wantFrees {
			t.Fatalf("counters %+v, want failures=%d allocs=%d frees=%d", s, wantFail, wantAllocs, wantFrees)
		}
		if s.FreePages+s.UsedPages+m.count(stReserved) != n {
			t.Fatalf("pages lost: %+v", s)
		}
	}

	// Return everything, used and reserved, run by run.
	for i := uintptr(0); i < n; {
		if m[i] == stFree {
			i++
			continue
		}
		j := i
		for j < n && m[j] != stFree {
			j++
		}
		if !b.FreeRange(base+i*PageSize, j-i) {
			t.Fatalf("final FreeRange(%d, %d) refused", i, j-i)
		}
		m.set(i, j-i, stFree)
		i = j
	}
	checkBuddy(t, b, m)
	if s := b.Stats(); s.FreeBlocks != maximalBlocks(n) || s.FreePages != n {
		t.Fatalf("not back to maximal blocks: %+v", s)
	}
}

// modelSeeds returns deterministic pseudo-random programs. They are the seed
// corpus of the fuzz tests, so plain `go test` runs them.
func modelSeeds(count, length int, seed int64) [][]byte {
	rng := rand.New(rand.NewSource(seed))
	out := make([][]byte, count)
	for i := range out {
		p := make([]byte, length)
		rng.Read(p)
		p[0] = byte(i) // cover every bank size, both placements
		if i%4 == 3 {
			p[0] |= 0x80
		}
		out[i] = p
	}
	return out
}

func FuzzBuddy(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{5, 0, 0, 0, 0, 0, 10, 7, 200, 0, 0})
	for _, s := range modelSeeds(12, 1200, 1) {
		f.Add(s)
	}
	f.Fuzz(runBuddyModel)
}

// TestBuddyAlignedFit cross-checks Alloc's failure condition on a bank where
// free space is plentiful but fragmented: with complete coalescing, an order
// k request fails exactly when no aligned 2^k run is free.
func TestBuddyAlignedFit(t *testing.T) {
	const n = 2048
	b, _ := newBuddy(t, fakeBase, n)
	m := make(pageModel, n)
	// Free pages whose index has bit 3 clear: runs of 8 free, 8 reserved.
	for i := uintptr(0); i < n; i += 16 {
		b.FreeRange(pg(i), 8)
		m.set(i, 8, stFree)
	}
	checkBuddy(t, b, m)
	for k := uint(0); k <= MaxOrder; k++ {
		_, ok := b.Alloc(k)
		if ok != (k <= 3) {
			t.Fatalf("Alloc(%d) = %v with only 8-page holes", k, ok)
		}
	}
}
