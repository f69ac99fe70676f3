package mm

import (
	"math/rand"
	"testing"
	"unsafe"
)

func newSpace(t testing.TB, base, npages uintptr) (*Space, []uint32, []byte) {
	t.Helper()
	table := make([]uint32, npages)
	state := make([]byte, npages)
	s := new(Space)
	if !s.Init(base, npages, uintptr(unsafe.Pointer(&table[0])), uintptr(unsafe.Pointer(&state[0])), 0x40000000, 5) {
		t.Fatalf("Init refused")
	}
	return s, table, state
}

func TestSpaceInitRefuses(t *testing.T) {
	table := make([]uint32, 8)
	state := make([]byte, 8)
	ta, st := uintptr(unsafe.Pointer(&table[0])), uintptr(unsafe.Pointer(&state[0]))
	var s Space
	for _, c := range []struct {
		base, n uintptr
	}{{0x1000, 8}, {0x2000, 7}, {0x2000, 0}, {0xffffe000, 8}} {
		if s.Init(c.base, c.n, ta, st, 0, 5) {
			t.Errorf("Init(%#x, %d) accepted", c.base, c.n)
		}
	}
}

// TestSpaceEntries: a filled page's entry is what the TLB needs (frame at
// its physical address, cache attribute, dirty, valid, global) and reads
// back as the same frame; cleared, it holds no frame but stays global.
func TestSpaceEntries(t *testing.T) {
	s, _, _ := newSpace(t, 0x10000000, 64)
	s.SetState(0, 4, StateMapped)
	s.Fill(3, 0x40123000)
	want := uint32(0x80123000)>>12<<6 | 5<<3 | 7
	if e := s.PTE(3); e != want {
		t.Fatalf("PTE %#x, want %#x", e, want)
	}
	if f, ok := s.Frame(3); !ok || f != 0x40123000 {
		t.Fatalf("Frame: %#x %v", f, ok)
	}
	hi, lo0, lo1 := s.Pair(3)
	if hi != 0x10002000 || lo0 != invalidPTE || lo1 != want {
		t.Fatalf("Pair(3) = %#x %#x %#x", hi, lo0, lo1)
	}
	var out [4]uintptr
	if done, k := s.Clear(0, 4, out[:]); done != 4 || k != 1 || out[0] != 0x40123000 {
		t.Fatalf("Clear: %d %d %#x", done, k, out[0])
	}
	if _, ok := s.Frame(3); ok || s.PTE(3) != invalidPTE || s.Resident != 0 {
		t.Fatalf("after Clear: PTE %#x resident %d", s.PTE(3), s.Resident)
	}
}

// TestSpaceModel runs random operations against a map-based model: states,
// counters, frames and Find's runs must always agree with it, and every
// frame handed to Fill comes back from Clear exactly once.
func TestSpaceModel(t *testing.T) {
	const n = 256
	s, _, _ := newSpace(t, 0x20000000, n)
	state := make([]byte, n)
	frame := make(map[uintptr]uintptr)
	out := make(map[uintptr]bool) // frames handed out, not yet cleared
	next := uintptr(0x40000000)
	r := rand.New(rand.NewSource(1))
	clear := func(first, cnt uintptr) {
		buf := make([]uintptr, 1+r.Intn(4))
		for cnt > 0 {
			done, k := s.Clear(first, cnt, buf)
			for _, f := range buf[:k] {
				if !out[f] {
					t.Fatalf("Clear gave frame %#x twice or never filled", f)
				}
				delete(out, f)
			}
			for i := first; i < first+done; i++ {
				delete(frame, i)
			}
			first += done
			cnt -= done
		}
	}
	for step := 0; step < 20000; step++ {
		first := uintptr(r.Intn(n))
		cnt := uintptr(1 + r.Intn(16))
		if first+cnt > n {
			cnt = n - first
		}
		switch r.Intn(5) {
		case 0: // map or reserve a free run
			k := uintptr(1 + r.Intn(8))
			i, ok := s.Find(k)
			if !ok {
				continue
			}
			for j := i; j < i+k; j++ {
				if state[j] != StateFree {
					t.Fatalf("step %d: Find gave page %d in state %d", step, j, state[j])
				}
			}
			st := StateMapped
			if r.Intn(3) == 0 {
				st = StateReserved
			}
			s.SetState(i, k, st)
			for j := i; j < i+k; j++ {
				state[j] = st
			}
		case 1: // unmap
			clear(first, cnt)
			s.SetState(first, cnt, StateFree)
			for j := first; j < first+cnt; j++ {
				state[j] = StateFree
			}
		case 2: // touch: fill mapped pages without a frame
			for j := first; j < first+cnt; j++ {
				if state[j] == StateMapped {
					if _, ok := frame[j]; !ok {
						next += PageSize
						s.Fill(j, next)
						frame[j] = next
						out[next] = true
					}
				}
			}
		case 3: // dontneed
			clear(first, cnt)
		case 4: // protect
			st := StateReserved
			if r.Intn(2) == 0 {
				st = StateMapped
			}
			for j := first; j < first+cnt; j++ {
				if state[j] != StateFree {
					s.SetState(j, 1, st)
					state[j] = st
				}
			}
		}
		var mapped, reserved uintptr
		for j := uintptr(0); j < n; j++ {
			if s.State(j) != state[j] {
				t.Fatalf("step %d: page %d state %d, model %d", step, j, s.State(j), state[j])
			}
			f, ok := s.Frame(j)
			if mf, mok := frame[j]; ok != mok || f != mf {
				t.Fatalf("step %d: page %d frame %#x %v, model %#x %v", step, j, f, ok, mf, mok)
			}
			switch state[j] {
			case StateMapped:
				mapped++
			case StateReserved:
				reserved++
			}
		}
		if s.Mapped != mapped || s.Reserved != reserved || s.Resident != uintptr(len(frame)) {
			t.Fatalf("step %d: counters %d %d %d, model %d %d %d", step, s.Mapped, s.Reserved, s.Resident, mapped, reserved, len(frame))
		}
	}
}

func TestSpaceAllocatesNothing(t *testing.T) {
	s, _, _ := newSpace(t, 0x10000000, 1024)
	var out [8]uintptr
	a := testing.AllocsPerRun(20, func() {
		i, _ := s.Find(16)
		s.SetState(i, 16, StateMapped)
		s.Fill(i, 0x40001000)
		s.Pair(i)
		s.Clear(i, 16, out[:])
		s.SetState(i, 16, StateFree)
	})
	if a != 0 {
		t.Errorf("%v allocations", a)
	}
}
