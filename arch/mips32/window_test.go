package mips32

import "testing"

// TestPlanWindow checks every window size from 4 MiB to 1 GiB in 4 MiB
// steps (the kernel manages RAM in whole 4 MiB blocks): the entries cover
// exactly [0, size), their pair spans are aligned and never overlap (an
// overlap hides the later entry: a size that is not a power of two used to
// fault at the first address past a lone even page), and they fit in the
// P5600's 64-entry TLB with room to spare.
func TestPlanWindow(t *testing.T) {
	most := 0
	for size := uint32(4 << 20); size <= 1<<30; size += 4 << 20 {
		var out [64]WindowEntry
		n, ok := PlanWindow(size, out[:])
		if !ok {
			t.Fatalf("size %#x: no plan", size)
		}
		if n > most {
			most = n
		}
		covered := uint32(0)
		for i, e := range out[:n] {
			if e.Off != covered {
				t.Fatalf("size %#x entry %d at %#x, want %#x", size, i, e.Off, covered)
			}
			if e.Off%(2*e.Size) != 0 {
				t.Fatalf("size %#x entry %d: pair of %#x at %#x not aligned", size, i, e.Size, e.Off)
			}
			span := 2 * e.Size
			if !e.Both {
				covered += e.Size
				if covered != size {
					t.Fatalf("size %#x entry %d: a lone even page before the end hides what follows", size, i)
				}
			} else {
				covered += span
			}
			// Later entries must start at or past this pair's span.
			if i+1 < n && out[i+1].Off < e.Off+span {
				t.Fatalf("size %#x: entry %d overlaps entry %d's pair span", size, i+1, i)
			}
		}
		if covered != size {
			t.Fatalf("size %#x: covered %#x", size, covered)
		}
	}
	if most > 16 {
		t.Errorf("up to %d wired entries; want at most 16 of the 64", most)
	}
	t.Logf("at most %d entries for windows of 4 MiB to 1 GiB", most)
}

func TestPlanWindowRefuses(t *testing.T) {
	var out [2]WindowEntry
	if _, ok := PlanWindow(100<<20, out[:]); ok {
		t.Errorf("100 MiB in 2 entries: want false")
	}
	if _, ok := PlanWindow(4<<10+1, out[:]); ok {
		t.Errorf("unaligned size: want false")
	}
	if n, ok := PlanWindow(0, out[:]); !ok || n != 0 {
		t.Errorf("empty window: %d %v", n, ok)
	}
}

func TestPlanWindowAllocatesNothing(t *testing.T) {
	var out [64]WindowEntry
	if a := testing.AllocsPerRun(10, func() { PlanWindow(1020<<20, out[:]) }); a != 0 {
		t.Errorf("%v allocations", a)
	}
}
