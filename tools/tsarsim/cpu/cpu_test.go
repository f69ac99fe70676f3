package cpu

import (
	"testing"

	. "almos/tools/tsarsim/internal/asm"
	"almos/tools/tsarsim/mem"
)

// The test machine: code at physical 0x1000 run through KSEG0 in kernel
// mode, exception vectors at EBase 0x80000000 (refill) and 0x80000180.
const (
	codePA  = 0x1000
	codeVA  = 0x80000000 + codePA
	dataVA  = 0x80010000
	dataPA  = 0x10000
	vecBase = 0x80000000
)

type tm struct {
	t    *testing.T
	s    *System
	core []*Core
}

func newTM(t *testing.T, mx, my, cores int, cache bool) *tm {
	t.Helper()
	s, err := NewSystem(Config{MeshX: mx, MeshY: my, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	m := &tm{t: t, s: s}
	for x := 0; x < mx; x++ {
		for y := 0; y < my; y++ {
			id := mem.ClusterID(x, y)
			s.AddBank(id, 1<<20)
			for l := 0; l < cores; l++ {
				c := s.NewCore(id, l)
				c.Status = 0 // kernel mode, BEV, ERL and EXL clear
				c.updateMode()
				c.EBase = vecBase | uint32(c.ID)
				c.PC, c.NPC = codeVA, codeVA+4
				m.core = append(m.core, c)
			}
		}
	}
	return m
}

// load writes words at a physical address.
func (m *tm) load(pa uint64, w []uint32) {
	p := &Prog{W: w}
	if err := m.s.WritePhys(pa, p.Bytes()); err != nil {
		m.t.Fatal(err)
	}
}

// exit is the program epilogue: semihosting exit with status 0.
var exit = []uint32{Ori(T9, ZERO, 1), Sdbbp(0), Nop()}

// run executes core 0 (and the others in time order) until halt.
func (m *tm) run(max uint64) {
	m.t.Helper()
	for q := uint64(100); q < max && !m.s.Halted; q += 100 {
		for _, c := range m.core {
			c.Run(q)
		}
	}
	if !m.s.Halted {
		m.t.Fatalf("no halt after %d cycles; pc=%#x", max, m.core[0].PC)
	}
}

func prog(body ...[]uint32) []uint32 {
	var w []uint32
	for _, b := range body {
		w = append(w, b...)
	}
	return append(w, exit...)
}

func one(w ...uint32) []uint32 { return w }

func TestALU(t *testing.T) {
	type tc struct {
		name string
		ins  uint32
		a, b uint32 // in T0, T1
		want uint32 // in T2
	}
	cases := []tc{
		{"addu", Addu(T2, T0, T1), 0xffffffff, 2, 1},
		{"subu", Subu(T2, T0, T1), 1, 2, 0xffffffff},
		{"add", Add(T2, T0, T1), 5, 0xfffffffe, 3},
		{"sub", Sub(T2, T0, T1), 5, 7, 0xfffffffe},
		{"and", And(T2, T0, T1), 0xf0f0, 0xff00, 0xf000},
		{"or", Or(T2, T0, T1), 0xf0f0, 0xff00, 0xfff0},
		{"xor", Xor(T2, T0, T1), 0xf0f0, 0xff00, 0x0ff0},
		{"nor", Nor(T2, T0, T1), 0xf0f0, 0xff00, 0xffff000f},
		{"slt", Slt(T2, T0, T1), 0xffffffff, 1, 1},
		{"sltu", Sltu(T2, T0, T1), 0xffffffff, 1, 0},
		{"slti", Slti(T2, T0, -1), 0xfffffffe, 0, 1},
		{"sltiu", Sltiu(T2, T0, -1), 5, 0, 1}, // the immediate is sign-extended then compared unsigned
		{"addiu", Addiu(T2, T0, -3), 1, 0, 0xfffffffe},
		{"andi", Andi(T2, T0, 0xffff), 0x12345678, 0, 0x5678},
		{"ori", Ori(T2, T0, 0x8000), 0x10000, 0, 0x18000},
		{"xori", Xori(T2, T0, 0xffff), 0x0000ff00, 0, 0xff},
		{"lui", Lui(T2, 0x8001), 0, 0, 0x80010000},
		{"sll", Sll(T2, T0, 4), 0x8000000f, 0, 0xf0},
		{"srl", Srl(T2, T0, 4), 0x800000f0, 0, 0x0800000f},
		{"sra", Sra(T2, T0, 4), 0x800000f0, 0, 0xf800000f},
		{"rotr", Rotr(T2, T0, 4), 0x1234567f, 0, 0xf1234567},
		{"sllv", Sllv(T2, T0, T1), 1, 33, 2},
		{"srlv", Srlv(T2, T0, T1), 0x80000000, 31, 1},
		{"srav", Srav(T2, T0, T1), 0x80000000, 31, 0xffffffff},
		{"movz taken", Movz(T2, T0, ZERO), 7, 0, 7},
		{"movn not taken", Movn(T2, T0, ZERO), 7, 0, 0},
		{"movn taken", Movn(T2, T0, T1), 7, 1, 7},
		{"mul", Mul(T2, T0, T1), 0xfffffffd, 7, 0xffffffeb},
		{"clz", Clz(T2, T0), 0x00010000, 0, 15},
		{"clz0", Clz(T2, T0), 0, 0, 32},
		{"clo", Clo(T2, T0), 0xff000000, 0, 8},
		{"seb", Seb(T2, T0), 0x180, 0, 0xffffff80},
		{"seh", Seh(T2, T0), 0x18000, 0, 0xffff8000},
		{"wsbh", Wsbh(T2, T0), 0x11223344, 0, 0x22114433},
		{"ext", Ext(T2, T0, 4, 8), 0x12345678, 0, 0x67},
		{"ins", Ins(T2, T0, 8, 8), 0xab, 0, 0x0000ab00},
		{"write to zero", Addiu(ZERO, T0, 5), 1, 0, 0}, // T2 stays 0
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newTM(t, 1, 1, 1, false)
			m.load(codePA, prog(Li(T0, c.a), Li(T1, c.b), one(c.ins)))
			m.run(10000)
			if got := m.core[0].R[T2]; got != c.want {
				t.Errorf("%s: got %#x want %#x", c.name, got, c.want)
			}
			if m.core[0].R[0] != 0 {
				t.Errorf("$0 = %#x", m.core[0].R[0])
			}
		})
	}
}

func TestHiLo(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	m.load(codePA, prog(
		Li(T0, 0xfffffffe), Li(T1, 3),
		one(Mult(T0, T1), Mfhi(S0), Mflo(S1)), // -2*3 = -6
		one(Multu(T0, T1), Mfhi(T3), Mflo(T4)),
		one(Div(T0, T1), Mfhi(A0), Mflo(A1)),  // -2/3 = 0 rem -2
		one(Divu(T0, T1), Mfhi(A2), Mflo(A3)), // 0xfffffffe/3
		Li(V0, 0x12345678), one(Mthi(V0), Mtlo(T1), Madd(T1, T1), Mfhi(V1), Mflo(V0)),
		one(Msubu(T1, T1), Mflo(T8)),
	))
	m.run(10000)
	r := &m.core[0].R
	want := map[int]uint32{S0: 0xffffffff, S1: 0xfffffffa, T3: 2, T4: 0xfffffffa, A0: 0xfffffffe, A1: 0,
		A2: 0xfffffffe % 3, A3: 0xfffffffe / 3, V1: 0x12345678, V0: 12, T8: 3}
	for reg, w := range want {
		if r[reg] != w {
			t.Errorf("r%d = %#x want %#x", reg, r[reg], w)
		}
	}
}

func TestDelaySlotAndBranches(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	m.load(codePA, prog(
		// 0: taken branch: delay slot executes, skipped word does not
		one(Beq(ZERO, ZERO, 2), Addiu(S0, ZERO, 1), Addiu(S0, S0, 100), Addiu(S0, S0, 10)),
		// 16: not-taken branch-likely nullifies its delay slot
		one(Bnel(ZERO, ZERO, 2), Addiu(S1, ZERO, 5), Addiu(S1, S1, 1)),
		// 28: taken branch-likely executes it
		one(Beql(ZERO, ZERO, 2), Addiu(T3, ZERO, 7), Addiu(T3, T3, 100), Nop()),
		// 44: jal links to pc+8, jalr back
		one(Jal(codeVA+64), Nop(), Addiu(T4, T4, 1), Beq(ZERO, ZERO, 4), Nop()),
		// 64: subroutine
		one(Jr(RA), Addiu(T4, ZERO, 41)),
		one(Nop(), Nop()),
		// 80
		one(Bltzal(ZERO, 1), Nop(), Move(A0, RA)),
		one(Bgezal(ZERO, 1), Nop(), Move(A1, RA)),
	))
	m.run(10000)
	r := &m.core[0].R
	for reg, w := range map[int]uint32{S0: 11, S1: 1, T3: 7, T4: 42, A0: codeVA + 88, A1: codeVA + 100} {
		if r[reg] != w {
			t.Errorf("r%d = %#x want %#x", reg, r[reg], w)
		}
	}
}

func TestLoadsStores(t *testing.T) {
	m := newTM(t, 1, 1, 1, true)
	m.load(codePA, prog(
		Li(S0, dataVA),
		Li(T0, 0x44332211), one(Sw(T0, S0, 0)),
		Li(T0, 0x88776655), one(Sw(T0, S0, 4)),
		one(Lb(T1, S0, 7), Lbu(T2, S0, 7), Lh(T3, S0, 6), Lhu(T4, S0, 6)),
		// unaligned word at +1: bytes 22 33 44 55
		one(Lwr(A0, S0, 1), Lwl(A0, S0, 4)),
		// unaligned store of 0xddccbbaa at +9
		Li(T0, 0xddccbbaa), one(Swr(T0, S0, 9), Swl(T0, S0, 12)),
		one(Lw(A1, S0, 8), Lw(A2, S0, 12)),
		Li(T0, 0xbeef), one(Sh(T0, S0, 2), Sb(T0, S0, 0), Lw(A3, S0, 0)),
	))
	m.run(10000)
	r := &m.core[0].R
	for reg, w := range map[int]uint32{T1: 0xffffff88, T2: 0x88, T3: 0xffff8877, T4: 0x8877,
		A0: 0x55443322, A1: 0xccbbaa00, A2: 0x000000dd, A3: 0xbeef22ef} {
		if r[reg] != w {
			t.Errorf("r%d = %#x want %#x", reg, r[reg], w)
		}
	}
}

// vectors installs a general exception handler that records Cause,
// EPC and BadVAddr in K0, K1 and T8, then skips the faulting
// instruction (EPC+4) and returns.
func (m *tm) vectors() {
	h := []uint32{
		Mfc0(K0, 13, 0), Mfc0(K1, 14, 0), Mfc0(T8, 8, 0),
		Addiu(S1, S1, 1), // exception count
		Addiu(A3, K1, 4), Mtc0(A3, 14, 0), Eret(),
	}
	m.load(0x180, h)
	m.load(0x200, h) // IV interrupts
}

func TestExceptions(t *testing.T) {
	type tc struct {
		name  string
		code  []uint32
		cause uint32
		epc   int // word index of the faulting instruction after the prologue
		bad   uint32
	}
	cases := []tc{
		{"syscall", one(Syscall()), ExcSys, 0, 0},
		{"break", one(Break(7)), ExcBp, 0, 0},
		{"ri", one(0x7c00003f), ExcRI, 0, 0}, // SPECIAL3 function the model lacks
		{"cop1", one(0x44800000), ExcCpU, 0, 0},
		{"overflow", append(Li(T0, 0x7fffffff), Addi(T1, T0, 1)), ExcOv, 2, 0},
		{"teq", one(Teq(ZERO, ZERO)), ExcTr, 0, 0},
		{"unaligned lw", append(Li(T0, dataVA+2), Lw(T1, T0, 0)), ExcAdEL, 2, dataVA + 2},
		{"unaligned sw", append(Li(T0, dataVA+1), Sh(T1, T0, 0)), ExcAdES, 2, dataVA + 1},
		{"bus error", append(Li(T0, 0x80f00000), Lw(T1, T0, 0)), ExcDBE, 2, 0x80f00000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newTM(t, 1, 1, 1, false)
			m.vectors()
			m.load(codePA, prog(c.code))
			m.run(10000)
			cr := m.core[0]
			if got := (cr.R[K0] >> 2) & 31; got != c.cause {
				t.Errorf("cause %d want %d", got, c.cause)
			}
			if want := codeVA + uint32(4*c.epc); cr.R[K1] != want {
				t.Errorf("epc %#x want %#x", cr.R[K1], want)
			}
			if c.bad != 0 && cr.R[T8] != c.bad {
				t.Errorf("badvaddr %#x want %#x", cr.R[T8], c.bad)
			}
			if cr.R[S1] != 1 {
				t.Errorf("%d exceptions", cr.R[S1])
			}
		})
	}
}

func TestExceptionInDelaySlot(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	// Handler: record Cause and EPC, then resume after the branch pair.
	m.load(0x180, []uint32{Mfc0(K0, 13, 0), Mfc0(K1, 14, 0), Addiu(A3, K1, 8), Mtc0(A3, 14, 0), Eret()})
	m.load(codePA, prog(one(Beq(ZERO, ZERO, 3), Syscall(), Nop(), Nop(), Nop())))
	m.run(10000)
	c := m.core[0]
	if c.R[K0]&CauseBD == 0 || (c.R[K0]>>2)&31 != ExcSys {
		t.Errorf("cause %#x: want BD and Sys", c.R[K0])
	}
	if c.R[K1] != codeVA {
		t.Errorf("epc %#x want the branch %#x", c.R[K1], codeVA)
	}
}

func TestUserModeAddressError(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	m.vectors()
	// Drop to user mode with ERET to a user-mode address mapped by a
	// wired TLB entry (VA 0x00400000 -> PA 0x1000 region).
	user := uint32(0x00400000)
	m.load(codePA, prog(
		Li(T0, user), one(Mtc0(T0, 10, 0)), // EntryHi: VPN2, ASID 0
		Li(T0, (0x0<<6)|3<<3|7), one(Mtc0(T0, 2, 0)), // even page -> PA 0 (D,V,G)
		Li(T0, (0x1<<6)|3<<3|7), one(Mtc0(T0, 3, 0)), // odd page -> PA 0x1000
		one(Mtc0(ZERO, 5, 0), Mtc0(ZERO, 0, 0), Tlbwi()),
		Li(T0, user+0x1000+4*28), one(Mtc0(T0, 14, 0)), // EPC: user code below
		Li(T0, StUM|StEXL), one(Mtc0(T0, 12, 0), Eret()),
	))
	// At PA 0x1000 + 4*28 (user VA user+0x1000+112): a kernel load.
	m.load(codePA+4*28, append(append(Li(T0, 0x80000000), Lw(T1, T0, 0)), Li(T9, 1)...))
	m.load(codePA+4*28+20, []uint32{Sdbbp(0)})
	m.run(10000)
	c := m.core[0]
	if (c.R[K0]>>2)&31 != ExcAdEL || c.R[T8] != 0x80000000 {
		t.Errorf("cause %#x badva %#x: want AdEL at 0x80000000", c.R[K0], c.R[T8])
	}
}

func TestTLBRefill(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	// Refill handler at EBase+0: map the faulting page pair 1:1 onto
	// physical 0x20000 (EntryHi already holds VPN2), count, return.
	m.load(0x0, []uint32{
		Mfc0(K0, 8, 0), Mfc0(K1, 4, 0), Addiu(S1, S1, 1),
		Lui(K0, 0), Ori(K0, K0, (0x20<<6)|3<<3|7), Mtc0(K0, 2, 0),
		Ori(K0, ZERO, (0x21<<6)|3<<3|7), Mtc0(K0, 3, 0),
		Tlbwr(), Eret(),
	})
	m.vectors() // 0x180 must not be used
	m.load(codePA, prog(
		Li(S0, 0x00402000), Li(T0, 1234),
		one(Sw(T0, S0, 0x10), Lw(T1, S0, 0x10), Lw(T2, S0, 0x1010)),
		one(Mfc0(A0, 8, 0), Mfc0(A1, 10, 0)),
	))
	m.s.WritePhys(0x21010, []byte{0x78, 0x56, 0x34, 0x12})
	m.run(10000)
	c := m.core[0]
	if c.R[S1] != 1 {
		t.Fatalf("%d refills, want 1 (the handler fills the pair)", c.R[S1])
	}
	if c.R[T1] != 1234 || c.R[T2] != 0x12345678 {
		t.Errorf("t1=%d t2=%#x", c.R[T1], c.R[T2])
	}
	if c.R[A0] != 0x00402010 || c.R[A1]&^0xff != 0x00402000 {
		t.Errorf("badvaddr %#x entryhi %#x", c.R[A0], c.R[A1])
	}
	var b [4]byte
	m.s.ReadPhys(0x20010, b[:])
	if b[0] != 1234&0xff || b[1] != 1234>>8 {
		t.Errorf("store went to %v", b)
	}
}

func TestTimerInterruptBetweenInstructions(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	// Interrupt handler: count, record EPC, silence the timer by
	// writing Compare far away, return to EPC (not EPC+4).
	m.load(0x180, []uint32{
		Mfc0(K0, 13, 0), Mfc0(K1, 14, 0), Addiu(S1, S1, 1),
		Lui(A3, 0x7fff), Mtc0(A3, 11, 0), Eret(),
	})
	m.load(codePA, prog(
		one(Mtc0(ZERO, 9, 0)), Li(T0, 200), one(Mtc0(T0, 11, 0)), // Count=0, Compare=200
		Li(T0, 0x8001), one(Mtc0(T0, 12, 0)), // IM7, IE
		// loop 1000 times
		Li(T1, 1000), one(Addiu(T1, T1, -1), Bne(T1, ZERO, -2), Addiu(S0, S0, 1)),
	))
	m.run(100000)
	c := m.core[0]
	if c.R[S1] != 1 {
		t.Fatalf("%d interrupts", c.R[S1])
	}
	if c.R[S0] != 1000 {
		t.Errorf("loop count %d: the interrupt lost or repeated work", c.R[S0])
	}
	if (c.R[K0]>>2)&31 != ExcInt || c.R[K0]&(1<<15) == 0 || c.R[K0]&CauseTI == 0 {
		t.Errorf("cause %#x", c.R[K0])
	}
	if c.R[K1] < codeVA || c.R[K1] > codeVA+0x100 {
		t.Errorf("epc %#x", c.R[K1])
	}
}

func TestSoftwareInterruptInDelaySlot(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	m.load(0x180, []uint32{Mfc0(K0, 13, 0), Mfc0(K1, 14, 0), Addiu(S1, S1, 1), Mtc0(ZERO, 13, 0), Eret()})
	m.load(codePA, prog(
		Li(T0, 0x0101), one(Mtc0(T0, 12, 0)), // IM0, IE
		Li(T0, 0x100), // setting Cause.IP0 raises the interrupt after the MTC0
		one(Mtc0(T0, 13, 0), Addiu(S0, S0, 1)),
	))
	m.run(10000)
	c := m.core[0]
	if c.R[S1] != 1 || c.R[S0] != 1 {
		t.Fatalf("interrupts %d, s0 %d", c.R[S1], c.R[S0])
	}
	if want := uint32(codeVA + 4*6); c.R[K1] != want {
		t.Errorf("epc %#x want %#x (the instruction after the MTC0)", c.R[K1], want)
	}
}

func TestLLSCAcrossCores(t *testing.T) {
	// Four cores in two clusters each add 1 to a shared counter 500
	// times with LL/SC; the total must be exact.
	m := newTM(t, 2, 1, 2, true)
	loop := []uint32{
		Lui(S0, 0x8001), Ori(T1, ZERO, 500),
		Ll(T0, S0, 0), Addiu(T0, T0, 1), Sc(T0, S0, 0), Beq(T0, ZERO, -4), Nop(),
		Addiu(T1, T1, -1), Bne(T1, ZERO, -7), Nop(),
		// done: count arrivals, the last one exits
		Ll(T0, S0, 4), Addiu(T0, T0, 1), Sc(T0, S0, 4), Beq(T0, ZERO, -4), Nop(),
		Lw(T0, S0, 4), Ori(T2, ZERO, 4), Bne(T0, T2, -3), Nop(),
	}
	m.load(codePA, prog(loop))
	m.run(10_000_000)
	var b [4]byte
	m.s.ReadPhys(dataPA, b[:])
	if n := uint32(b[0]) | uint32(b[1])<<8; n != 2000 {
		t.Fatalf("counter %d want 2000", n)
	}
}

func TestSCFailsAfterRemoteStore(t *testing.T) {
	m := newTM(t, 1, 1, 2, false)
	c0, c1 := m.core[0], m.core[1]
	m.load(codePA, []uint32{Lui(S0, 0x8001), Ll(T0, S0, 0), Nop(), Nop(), Sc(T0, S0, 0)})
	m.load(codePA+0x100, []uint32{Lui(S0, 0x8001), Sw(ZERO, S0, 0)})
	c1.PC, c1.NPC = codeVA+0x100, codeVA+0x104
	c0.Run(2) // LUI, LL
	c1.Run(2) // store to the reserved line
	c0.Run(5)
	if c0.R[T0] != 0 {
		t.Errorf("SC succeeded after another core's store")
	}
	// And it succeeds without interference.
	c0.PC, c0.NPC = codeVA, codeVA+4
	c0.Run(10)
	if c0.R[T0] != 1 {
		t.Errorf("SC failed without interference")
	}
}

func TestSelfModifyingCode(t *testing.T) {
	m := newTM(t, 1, 1, 1, false)
	// Run a word once, overwrite it with another instruction, run again.
	m.load(codePA, prog(
		Li(S0, codeVA+4*12), Li(T0, Addiu(T1, T1, 10)),
		one(Ori(T2, ZERO, 2)),
		one(Addiu(T2, T2, -1), Nop(), Nop(), Nop(), Nop()), // word 7 is the loop
		one(Bnel(T2, ZERO, -6), Sw(T0, S0, 0)),
		one(Addiu(T1, T1, 1)), // word 12, rewritten after its first run? no: before
	))
	m.run(10000)
	// Word 12 is rewritten to addiu t1,t1,10 before it ever runs.
	if got := m.core[0].R[T1]; got != 10 {
		t.Errorf("t1 = %d: a stale decoded instruction ran", got)
	}
}

func TestCacheAndDistance(t *testing.T) {
	// A core in cluster (0,0) reads a line in cluster (1,1)'s bank
	// through a TLB mapping: 2 hops. Two reads of one line: one miss.
	m := newTM(t, 2, 2, 1, true)
	remote := uint64(mem.ClusterID(1, 1)) << mem.ClusterShift
	m.load(codePA, prog(
		Li(T0, 0x00400000), one(Mtc0(T0, 10, 0)),
		Li(T0, uint32(remote>>12)<<6|3<<3|7), one(Mtc0(T0, 2, 0), Mtc0(ZERO, 3, 0)),
		one(Mtc0(ZERO, 5, 0), Mtc0(ZERO, 0, 0), Tlbwi()),
		Li(S0, 0x00400000), one(Lw(T1, S0, 0), Lw(T2, S0, 4)),
	))
	c := m.core[0]
	m.run(100000)
	if c.Cnt.Acc[2] != 2 {
		t.Errorf("accesses at distance 2: %d", c.Cnt.Acc[2])
	}
	if c.Cnt.Trans[2] != 1 {
		t.Errorf("transactions at distance 2: %d want 1 miss", c.Cnt.Trans[2])
	}
	if m.s.Traffic[m.s.ClusterIndex(mem.ClusterID(1, 1))] != 1 {
		t.Errorf("traffic matrix %v", m.s.Traffic)
	}
}
