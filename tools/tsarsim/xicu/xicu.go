// Package xicu models the per-cluster interrupt controller of TSAR (the
// SoCLib XICU): programmable timers (PTI), hardware interrupt inputs (HWI),
// write-triggered interrupts used as mailboxes for IPIs (WTI), and one set
// of three masks per output line.
//
// Register map, as on TSAR: the word at byte offset ((func << 5) | index) * 4.
//
//	func  0 WTI_REG    write posts mailbox index (value kept, bit pending);
//	                   read returns the value and clears the pending bit
//	func  1 PTI_PER    timer period; writing also restarts the count
//	func  2 PTI_VAL    cycles left before the timer fires
//	func  3 PTI_ACK    read acknowledges (clears) the timer's pending bit
//	func  4 MSK_PTI    mask of output line index (read/write)
//	func  5 MSK_PTI_E  write ORs into the mask
//	func  6 MSK_PTI_D  write clears mask bits; read: pending & mask
//	func  8,9,10       the same for HWI
//	func 12,13,14      the same for WTI
//	func 15 PRIO       for output index: bit 0/1/2 a PTI/HWI/WTI is active;
//	                   bits 8/16/24 the index of the lowest active one
//	func 16 CONFIG     irq<<24 | wti<<16 | hwi<<8 | pti
//
// Timers count down once per cycle of the core that observes them and
// reload from the period. Output line i drives Cause.IP2 of the cluster's
// core i.
package xicu

import "almos/tools/tsarsim/cpu"

// Function codes.
const (
	WTI_REG   = 0
	PTI_PER   = 1
	PTI_VAL   = 2
	PTI_ACK   = 3
	MSK_PTI   = 4
	MSK_PTI_E = 5
	MSK_PTI_D = 6
	MSK_HWI   = 8
	MSK_HWI_E = 9
	MSK_HWI_D = 10
	MSK_WTI   = 12
	MSK_WTI_E = 13
	MSK_WTI_D = 14
	PRIO      = 15
	CONFIG    = 16
)

// Counts per cluster.
const (
	NPTI = 4
	NHWI = 8
	NWTI = 16
)

// Never is a deadline that does not come.
const Never = ^uint64(0)

// XICU is one cluster's controller.
type XICU struct {
	Out []*cpu.Core // output line i -> core i of the cluster (IP2)

	wti      [NWTI]uint32
	wtiPend  uint32
	hwiPend  uint32
	ptiPend  uint32
	per      [NPTI]uint32
	deadline [NPTI]uint64 // absolute cycle of the next expiry, Never if stopped
	msk      [3][]uint32  // PTI, HWI, WTI masks per output line
}

// New makes the XICU of a cluster whose cores are given in local order.
// At reset WTI i is unmasked on output i, so a core waiting in the boot
// ROM wakes when its mailbox is written; every other mask is 0.
func New(cores []*cpu.Core) *XICU {
	x := &XICU{Out: cores}
	for k := range x.msk {
		x.msk[k] = make([]uint32, len(cores))
	}
	for i := range cores {
		x.msk[2][i] = 1 << i
	}
	for i := range x.deadline {
		x.deadline[i] = Never
	}
	for _, c := range cores {
		c.Tick = x.tick
		c.ExtDeadline = Never
	}
	return x
}

// tick is the cores' deadline hook: fire due timers, return the next
// deadline.
func (x *XICU) tick(c *cpu.Core) uint64 {
	x.update(c.Cnt.Cycles)
	return x.next()
}

func (x *XICU) next() uint64 {
	n := Never
	for _, d := range x.deadline {
		n = min(n, d)
	}
	return n
}

func (x *XICU) update(now uint64) {
	changed := false
	for i, d := range x.deadline {
		if d <= now {
			x.ptiPend |= 1 << i
			p := uint64(x.per[i])
			if p == 0 {
				x.deadline[i] = Never
			} else {
				x.deadline[i] = d + ((now-d)/p+1)*p
			}
			changed = true
		}
	}
	if changed {
		x.lines()
	}
}

// lines recomputes every output line and tells the cores.
func (x *XICU) lines() {
	for i, c := range x.Out {
		on := x.ptiPend&x.msk[0][i] | x.hwiPend&x.msk[1][i] | x.wtiPend&x.msk[2][i]
		old := c.HWInt
		if on != 0 {
			c.HWInt |= 1 << 10
		} else {
			c.HWInt &^= 1 << 10
		}
		if c.HWInt != old {
			c.IRQCheck = true
		}
	}
}

// retime tells the cores about a new timer deadline.
func (x *XICU) retime() {
	n := x.next()
	for _, c := range x.Out {
		c.ExtDeadline = min(c.ExtDeadline, n)
	}
}

// SetHWI drives hardware input i (level sensitive).
func (x *XICU) SetHWI(i int, level bool) {
	if level {
		x.hwiPend |= 1 << i
	} else {
		x.hwiPend &^= 1 << i
	}
	x.lines()
}

// PendingWTI reports the pending mailbox bits (for tests).
func (x *XICU) PendingWTI() uint32 { return x.wtiPend }

func (x *XICU) Read(c *cpu.Core, off uint32, size int) uint32 {
	now := c.Cnt.Cycles
	x.update(now)
	fn, idx := off>>7, (off>>2)&31
	out := int(idx)
	switch fn {
	case WTI_REG:
		if idx < NWTI {
			v := x.wti[idx]
			x.wtiPend &^= 1 << idx
			x.lines()
			return v
		}
	case PTI_PER:
		if idx < NPTI {
			return x.per[idx]
		}
	case PTI_VAL:
		if idx < NPTI && x.deadline[idx] != Never {
			return uint32(x.deadline[idx] - now)
		}
	case PTI_ACK:
		if idx < NPTI {
			x.ptiPend &^= 1 << idx
			x.lines()
		}
	case MSK_PTI, MSK_PTI_E, MSK_HWI, MSK_HWI_E, MSK_WTI, MSK_WTI_E:
		if out < len(x.Out) {
			return x.msk[(fn-4)/4][out]
		}
	case MSK_PTI_D:
		if out < len(x.Out) {
			return x.ptiPend & x.msk[0][out]
		}
	case MSK_HWI_D:
		if out < len(x.Out) {
			return x.hwiPend & x.msk[1][out]
		}
	case MSK_WTI_D:
		if out < len(x.Out) {
			return x.wtiPend & x.msk[2][out]
		}
	case PRIO:
		if out < len(x.Out) {
			var v uint32
			for k, pend := range []uint32{x.ptiPend, x.hwiPend, x.wtiPend} {
				if a := pend & x.msk[k][out]; a != 0 {
					v |= 1<<k | lowest(a)<<(8*(k+1))
				}
			}
			return v
		}
	case CONFIG:
		return uint32(len(x.Out))<<24 | NWTI<<16 | NHWI<<8 | NPTI
	}
	return 0
}

func lowest(v uint32) uint32 {
	n := uint32(0)
	for v&1 == 0 {
		v >>= 1
		n++
	}
	return n
}

func (x *XICU) Write(c *cpu.Core, off uint32, size int, v uint32) {
	now := c.Cnt.Cycles
	x.update(now)
	fn, idx := off>>7, (off>>2)&31
	out := int(idx)
	switch fn {
	case WTI_REG:
		if idx < NWTI {
			x.wti[idx] = v
			x.wtiPend |= 1 << idx
		}
	case PTI_PER:
		if idx < NPTI {
			x.per[idx] = v
			x.deadline[idx] = Never
			if v != 0 {
				x.deadline[idx] = now + uint64(v)
			}
			x.retime()
		}
	case PTI_VAL:
		if idx < NPTI {
			x.deadline[idx] = now + uint64(v)
			x.retime()
		}
	case MSK_PTI, MSK_HWI, MSK_WTI:
		if out < len(x.Out) {
			x.msk[(fn-4)/4][out] = v
		}
	case MSK_PTI_E, MSK_HWI_E, MSK_WTI_E:
		if out < len(x.Out) {
			x.msk[(fn-4)/4][out] |= v
		}
	case MSK_PTI_D, MSK_HWI_D, MSK_WTI_D:
		if out < len(x.Out) {
			x.msk[(fn-4)/4][out] &^= v
		}
	}
	x.lines()
}
