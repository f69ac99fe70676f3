package cpu

import (
	"testing"

	. "almos/tools/tsarsim/internal/asm"
)

// mapPair writes TLB entry idx mapping the 8 KiB pair at va (ASID 0).
func mapPair(idx, va, lo0, lo1 uint32) []uint32 {
	var w []uint32
	w = append(w, Li(T0, va)...)
	w = append(w, Mtc0(T0, 10, 0))
	w = append(w, Li(T0, lo0)...)
	w = append(w, Mtc0(T0, 2, 0))
	w = append(w, Li(T0, lo1)...)
	w = append(w, Mtc0(T0, 3, 0), Mtc0(ZERO, 5, 0), Ori(T0, ZERO, idx), Mtc0(T0, 0, 0), Tlbwi())
	return w
}

func lo(pa uint32, flags uint32) uint32 { return pa>>12<<6 | 3<<3 | flags }

const (
	fG = 1
	fV = 2
	fD = 4
)

func TestTLBInvalidAndModified(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	m.vectors()
	m.load(codePA, prog(
		mapPair(1, 0x00400000, lo(0x20000, fG|fV), lo(0x21000, fG)), // even clean, odd invalid
		Li(S0, 0x00400000),
		one(Lw(T1, S0, 0)),      // fine
		one(Sw(T1, S0, 0)),      // TLB Mod (D clear): handler records
		one(Move(A0, K0)),       //
		one(Lw(T1, S0, 0x1000)), // odd page invalid: TLBL at 0x180 (not refill)
		one(Move(A1, K0), Move(A2, T8)),
	))
	m.run(10000)
	c := m.core[0]
	if (c.R[A0]>>2)&31 != ExcMod {
		t.Errorf("store to a clean page: cause %#x", c.R[A0])
	}
	if (c.R[A1]>>2)&31 != ExcTLBL || c.R[A2] != 0x00401000 {
		t.Errorf("invalid page: cause %#x badva %#x", c.R[A1], c.R[A2])
	}
	if c.R[S1] != 2 {
		t.Errorf("%d exceptions at 0x180", c.R[S1])
	}
}

func TestTLBProbeReadASIDAndLargePages(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	m.vectors()
	m.load(0x0, []uint32{Addiu(S1, S1, 100), Eret()}) // refill: must not happen
	m.s.WritePhys(0x80000, []byte{0xef, 0xbe, 0xad, 0xde})
	m.load(codePA, prog(
		// 64 KiB pages (PageMask 0x1e000): VA 0x10000000 -> PA 0x80000 via
		// the even page (pair 128 KiB), ASID 5, not global.
		Li(T0, 0x10000005), one(Mtc0(T0, 10, 0)),
		Li(T0, lo(0x80000, fV|fD)), one(Mtc0(T0, 2, 0), Mtc0(ZERO, 3, 0)),
		Li(T0, 0x1e000), one(Mtc0(T0, 5, 0)),
		one(Ori(T0, ZERO, 7), Mtc0(T0, 0, 0), Tlbwi()),
		Li(S0, 0x1000fffc), // last word of the even 64 KiB page
		Li(T1, 0x1234),
		one(Sw(T1, S0, 0), Lw(A0, S0, 0)),
		Li(S0, 0x10000000), one(Lw(A1, S0, 0)),
		// TLBP finds it, TLBR reads it back.
		one(Mtc0(ZERO, 0, 0), Tlbp(), Mfc0(A2, 0, 0)),
		one(Mtc0(ZERO, 5, 0), Tlbr(), Mfc0(A3, 5, 0), Mfc0(T2, 2, 0)),
		// Another ASID: the entry no longer matches (TLBP sets P).
		Li(T0, 0x10000006), one(Mtc0(T0, 10, 0), Tlbp(), Mfc0(T3, 0, 0)),
		// Wired bounds Random.
		one(Ori(T0, ZERO, 60), Mtc0(T0, 6, 0), Mfc0(T4, 1, 0)),
	))
	m.run(10000)
	c := m.core[0]
	if c.R[A0] != 0x1234 || c.R[A1] != 0xdeadbeef {
		t.Errorf("large page access: %#x %#x", c.R[A0], c.R[A1])
	}
	if c.R[A2] != 7 || c.R[A3] != 0x1e000 || c.R[T2] != lo(0x80000, fV|fD) {
		t.Errorf("tlbp index %d, tlbr pagemask %#x entrylo0 %#x", c.R[A2], c.R[A3], c.R[T2])
	}
	if c.R[T3]&(1<<31) == 0 {
		t.Errorf("probe with another ASID matched: %#x", c.R[T3])
	}
	if c.R[T4] < 60 || c.R[T4] > 63 {
		t.Errorf("Random %d outside [Wired, 63]", c.R[T4])
	}
	if c.R[S1] != 0 {
		t.Errorf("unexpected exceptions: %d", c.R[S1])
	}
}

// TestInterruptBeforeDelaySlot stops the core right after a taken
// branch, raises an external interrupt, and checks that EPC names the
// branch with Cause.BD set and that the branch and its delay slot run
// once each after ERET.
func TestInterruptBeforeDelaySlot(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	m.load(0x200, []uint32{Mfc0(K0, 13, 0), Mfc0(K1, 14, 0), Addiu(S1, S1, 1),
		Mtc0(ZERO, 12, 0), Eret()}) // handler masks further interrupts
	m.load(codePA, prog(
		one(Li(T0, CauseIV)[0], Li(T0, CauseIV)[1], Mtc0(T0, 13, 0)), // 3 instructions
		one(Ori(T0, ZERO, 0x401), Mtc0(T0, 12, 0)),                   // 5: IM2, IE
		one(Beq(ZERO, ZERO, 2), Addiu(S0, S0, 1), Addiu(S0, S0, 100), Addiu(S0, S0, 10)),
	))
	c := m.core[0]
	c.Run(6) // stops after the BEQ (cache model off: 1 cycle per instruction)
	if c.PC != codeVA+4*6 || !c.NextInDelaySlot() {
		t.Fatalf("pc %#x: not stopped before the delay slot", c.PC)
	}
	c.HWInt = 1 << 10
	c.Run(8)
	c.HWInt = 0
	m.run(10000)
	if c.R[S1] != 1 {
		t.Fatalf("%d interrupts", c.R[S1])
	}
	if c.R[K1] != codeVA+4*5 || c.R[K0]&CauseBD == 0 {
		t.Errorf("EPC %#x cause %#x: want the branch at %#x and BD", c.R[K1], c.R[K0], codeVA+4*5)
	}
	if c.R[S0] != 11 {
		t.Errorf("s0 = %d: the delay slot or the target ran twice or not at all", c.R[S0])
	}
}

func TestMiscPrivileged(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	m.load(codePA, prog(
		one(Ori(T0, ZERO, 0x0401), Mtc0(T0, 12, 0)),
		one(Di(A0), Mfc0(A1, 12, 0), Ei(A2), Mfc0(A3, 12, 0)),
		one(Rdhwr(T1, 0), Rdhwr(T2, 1), Mfc0(T3, 15, 1), Mfc0(T4, 16, 1)),
		one(Ehb(), Sync()),
	))
	m.run(1000)
	c := m.core[0]
	if c.R[A0] != 0x401 || c.R[A1] != 0x400 || c.R[A2] != 0x400 || c.R[A3] != 0x401 {
		t.Errorf("di/ei: %#x %#x %#x %#x", c.R[A0], c.R[A1], c.R[A2], c.R[A3])
	}
	if c.R[T1] != uint32(c.ID) || c.R[T2] != 64 || c.R[T3]&0x3ff != uint32(c.ID) {
		t.Errorf("cpunum %d, synci step %d, ebase %#x", c.R[T1], c.R[T2], c.R[T3])
	}
	if (c.R[T4]>>25)&63 != 63 {
		t.Errorf("config1 %#x: want 64 TLB entries", c.R[T4])
	}
}
