package xicu

import (
	"testing"

	"almos/tools/tsarsim/cpu"
	. "almos/tools/tsarsim/internal/asm"
	"almos/tools/tsarsim/mem"
)

// rig is one cluster with two cores and its XICU at the usual address
// (KSEG1 0xAF000000 for cluster (0,0)).
type rig struct {
	s     *cpu.System
	c     []*cpu.Core
	x     *XICU
	exits int
}

const xicuVA = 0xA0000000 | mem.XICUOffset

func newRig(t *testing.T) *rig {
	s, err := cpu.NewSystem(cpu.Config{MeshX: 1, MeshY: 1, Cache: true})
	if err != nil {
		t.Fatal(err)
	}
	s.AddBank(0, 1<<20)
	r := &rig{s: s}
	for l := 0; l < 2; l++ {
		c := s.NewCore(0, l)
		c.Status = 0
		c.EBase = 0x80000000 | uint32(c.ID)
		r.c = append(r.c, c)
	}
	r.x = New(r.c)
	s.AddDevice(mem.XICUOffset, mem.XICUSize, 0, r.x)
	for _, c := range r.c {
		c.Status = 0 // kernel mode; leave ERL by writing Status through MTC0 in code
	}
	return r
}

func (r *rig) load(pa uint64, w ...uint32) {
	p := &Prog{W: w}
	r.s.WritePhys(pa, p.Bytes())
}

func reg(fn, idx uint32) int32 { return int32((fn<<5 | idx) * 4) }

func (r *rig) run(t *testing.T, max uint64) {
	t.Helper()
	for q := uint64(50); q < max && !r.s.Halted; q += 50 {
		for _, c := range r.c {
			c.Run(q)
		}
	}
	if !r.s.Halted {
		t.Fatalf("no halt; pc %#x %#x", r.c[0].PC, r.c[1].PC)
	}
}

func TestTimerInterrupt(t *testing.T) {
	r := newRig(t)
	// Interrupt handler at 0x80000180: count, read PRIO, acknowledge
	// the timer, return.
	r.load(0x180,
		Lui(K0, xicuVA>>16),
		Lw(K1, K0, reg(PRIO, 0)),
		Move(S1, K1),
		Lw(K1, K0, reg(PTI_ACK, 0)),
		Addiu(S0, S0, 1),
		Eret())
	r.load(0x1000,
		Mtc0(ZERO, 12, 0), // leave ERL/BEV
		Lui(T0, xicuVA>>16),
		Ori(T1, ZERO, 1), Sw(T1, T0, reg(MSK_PTI_E, 0)), // PTI 0 -> output 0
		Ori(T1, ZERO, 500), Sw(T1, T0, reg(PTI_PER, 0)), // every 500 cycles
		Ori(T1, ZERO, 0x401), Mtc0(T1, 12, 0), // IM2, IE
		// Spin until three interrupts were taken.
		Ori(T2, ZERO, 3), Bne(S0, T2, -1), Nop(),
		Sw(ZERO, T0, reg(PTI_PER, 0)), // stop the timer
		Lw(A1, T0, reg(CONFIG, 0)),
		Ori(T9, ZERO, 1), Sdbbp(0))
	c := r.c[0]
	c.PC, c.NPC = 0x80001000, 0x80001004
	r.c[1].Halted = true
	r.run(t, 100000)
	if c.R[S0] != 3 {
		t.Errorf("%d timer interrupts", c.R[S0])
	}
	if c.R[S1] != 1 { // PTI active, index 0
		t.Errorf("PRIO %#x", c.R[S1])
	}
	if want := uint32(2<<24 | NWTI<<16 | NHWI<<8 | NPTI); c.R[A1] != want {
		t.Errorf("CONFIG %#x want %#x", c.R[A1], want)
	}
	if c.Cnt.Cycles < 1500 {
		t.Errorf("three 500-cycle periods in %d cycles", c.Cnt.Cycles)
	}
}

func TestMailboxIPI(t *testing.T) {
	r := newRig(t)
	// Core 1 waits (interrupts masked in Status.IE but IM2 set: WAIT
	// wakes), reads its mailbox (clearing it) and exits with the value.
	r.load(0x2000,
		Ori(T1, ZERO, 0x400), Mtc0(T1, 12, 0),
		Wait(),
		Lui(T0, xicuVA>>16),
		Lw(A0, T0, reg(WTI_REG, 1)),
		Lw(A1, T0, reg(MSK_WTI_D, 1)), // pending & mask after the read: 0
		Ori(T9, ZERO, 1), Sdbbp(0))
	// Core 0 posts 0x1234 in mailbox 1 after some work.
	r.load(0x1000,
		Mtc0(ZERO, 12, 0),
		Ori(T1, ZERO, 200), Addiu(T1, T1, -1), Bne(T1, ZERO, -2), Nop(),
		Lui(T0, xicuVA>>16),
		Ori(T1, ZERO, 0x1234), Sw(T1, T0, reg(WTI_REG, 1)),
		Beq(ZERO, ZERO, -1), Nop())
	r.c[0].PC, r.c[0].NPC = 0x80001000, 0x80001004
	r.c[1].PC, r.c[1].NPC = 0x80002000, 0x80002004
	r.run(t, 100000)
	c1 := r.c[1]
	if c1.R[A0] != 0x1234 || c1.R[A1] != 0 {
		t.Errorf("mailbox %#x, pending after read %#x", c1.R[A0], c1.R[A1])
	}
	if c1.Cnt.Idle == 0 {
		t.Errorf("core 1 never waited")
	}
	if r.x.PendingWTI() != 0 {
		t.Errorf("WTI still pending")
	}
}

func TestHWIAndMasks(t *testing.T) {
	r := newRig(t)
	x := r.x
	c := r.c[0]
	x.SetHWI(3, true)
	if c.HWInt != 0 {
		t.Fatalf("masked HWI raised the line")
	}
	x.Write(c, uint32(reg(MSK_HWI_E, 0)), 4, 1<<3)
	if c.HWInt&(1<<10) == 0 {
		t.Fatalf("unmasked HWI did not raise IP2")
	}
	if v := x.Read(c, uint32(reg(PRIO, 0)), 4); v != 2|3<<16 {
		t.Errorf("PRIO %#x", v)
	}
	if r.c[1].HWInt != 0 {
		t.Errorf("HWI reached output 1")
	}
	x.Write(c, uint32(reg(MSK_HWI_D, 0)), 4, 1<<3)
	if c.HWInt != 0 {
		t.Errorf("disabled HWI still raises the line")
	}
}
