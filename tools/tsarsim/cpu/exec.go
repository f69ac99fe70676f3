package cpu

import (
	"math/bits"
	"unsafe"

	"almos/tools/tsarsim/mem"
)

// Run executes instructions until the core's cycle count reaches until,
// the machine halts or Stop is set. Interrupts are taken between
// instructions at the start of each slice and after any instruction that
// may change interrupt state (CP0 writes, device accesses, ERET, EI).
func (c *Core) Run(until uint64) {
	s := c.sys
	cacheOn := s.Cfg.Cache
	ls := s.lineShift
outer:
	for c.Cnt.Cycles < until && !c.Stop && !s.Halted {
		if c.Halted {
			c.idle(until)
			return
		}
		if c.Tick != nil && c.Cnt.Cycles >= c.ExtDeadline {
			c.ExtDeadline = c.Tick(c)
		}
		if c.Cnt.Cycles >= c.timerAt {
			c.Cause |= CauseTI
			c.timerAt += 1 << 32
		}
		if c.interruptEnabled() {
			c.takeInterrupt()
		}
		limit := min(until, c.timerAt)
		if c.Tick != nil {
			limit = min(limit, c.ExtDeadline)
		}
		if c.Waiting {
			if c.interruptPending() {
				c.Waiting = false
			} else {
				c.idle(limit)
				continue
			}
		}

		pc, npc := c.PC, c.NPC
		cyc, ins := c.Cnt.Cycles, c.Cnt.Instr
		r := &c.R
		rt, wt := c.rtab, c.wtab
		var page *decPage
		fva := uint32(1) // matches no page
		iline := ^uint32(0)
		for cyc < limit {
			cur := pc
			if cur&^(mem.PageSize-1) != fva {
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				page = c.fetchPage(cur)
				if page == nil {
					continue outer
				}
				cyc = c.Cnt.Cycles
				fva = cur &^ (mem.PageSize - 1)
				iline = ^uint32(0)
			}
			if cacheOn {
				if l := cur >> ls; l != iline {
					iline = l
					cyc += uint64(c.ifetch(cur))
				}
			}
			d := &page.ins[(cur>>2)&(mem.PageSize/4-1)]
			pc = npc
			npc += 4
			cyc++
			ins++
			switch d.op {
			case opDecode:
				// Decode, then run this instruction again.
				*d = decode(*(*uint32)(unsafe.Add(page.host, cur&(mem.PageSize-1))))
				npc = pc
				pc = cur
				cyc--
				ins--
			case opNOP:
			case opADDU:
				r[d.rd] = r[d.rs] + r[d.rt]
			case opADDIU:
				r[d.rd] = r[d.rs] + d.imm
			case opSUBU:
				r[d.rd] = r[d.rs] - r[d.rt]
			case opADD:
				a, b := r[d.rs], r[d.rt]
				v := a + b
				if (a^v)&(b^v)&0x80000000 != 0 {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					c.exception(ExcOv, cur, 0, false)
					continue outer
				}
				r[d.rd] = v
			case opADDI:
				a, b := r[d.rs], d.imm
				v := a + b
				if (a^v)&(b^v)&0x80000000 != 0 {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					c.exception(ExcOv, cur, 0, false)
					continue outer
				}
				r[d.rd] = v
			case opSUB:
				a, b := r[d.rs], r[d.rt]
				v := a - b
				if (a^b)&(a^v)&0x80000000 != 0 {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					c.exception(ExcOv, cur, 0, false)
					continue outer
				}
				r[d.rd] = v
			case opAND:
				r[d.rd] = r[d.rs] & r[d.rt]
			case opOR:
				r[d.rd] = r[d.rs] | r[d.rt]
			case opXOR:
				r[d.rd] = r[d.rs] ^ r[d.rt]
			case opNOR:
				r[d.rd] = ^(r[d.rs] | r[d.rt])
			case opANDI:
				r[d.rd] = r[d.rs] & d.imm
			case opORI:
				r[d.rd] = r[d.rs] | d.imm
			case opXORI:
				r[d.rd] = r[d.rs] ^ d.imm
			case opLI:
				r[d.rd] = d.imm
			case opSLT:
				r[d.rd] = b2u(int32(r[d.rs]) < int32(r[d.rt]))
			case opSLTU:
				r[d.rd] = b2u(r[d.rs] < r[d.rt])
			case opSLTI:
				r[d.rd] = b2u(int32(r[d.rs]) < int32(d.imm))
			case opSLTIU:
				r[d.rd] = b2u(r[d.rs] < d.imm)
			case opSLL:
				r[d.rd] = r[d.rt] << d.imm
			case opSRL:
				r[d.rd] = r[d.rt] >> d.imm
			case opSRA:
				r[d.rd] = uint32(int32(r[d.rt]) >> d.imm)
			case opROTR:
				r[d.rd] = bits.RotateLeft32(r[d.rt], -int(d.imm))
			case opSLLV:
				r[d.rd] = r[d.rt] << (r[d.rs] & 31)
			case opSRLV:
				r[d.rd] = r[d.rt] >> (r[d.rs] & 31)
			case opSRAV:
				r[d.rd] = uint32(int32(r[d.rt]) >> (r[d.rs] & 31))
			case opROTRV:
				r[d.rd] = bits.RotateLeft32(r[d.rt], -int(r[d.rs]&31))
			case opMOVZ:
				if r[d.rt] == 0 {
					r[d.rd] = r[d.rs]
				}
			case opMOVN:
				if r[d.rt] != 0 {
					r[d.rd] = r[d.rs]
				}
			case opMFHI:
				r[d.rd] = c.HI
			case opMFLO:
				r[d.rd] = c.LO
			case opMTHI:
				c.HI = r[d.rs]
			case opMTLO:
				c.LO = r[d.rs]
			case opMULT:
				p := int64(int32(r[d.rs])) * int64(int32(r[d.rt]))
				c.HI, c.LO = uint32(uint64(p)>>32), uint32(p)
			case opMULTU:
				p := uint64(r[d.rs]) * uint64(r[d.rt])
				c.HI, c.LO = uint32(p>>32), uint32(p)
			case opMUL:
				r[d.rd] = r[d.rs] * r[d.rt]
			case opMADD, opMADDU, opMSUB, opMSUBU:
				c.madd(d.op, r[d.rs], r[d.rt])
			case opDIV:
				a, b := int32(r[d.rs]), int32(r[d.rt])
				if b != 0 {
					c.LO, c.HI = uint32(a/b), uint32(a%b)
				}
			case opDIVU:
				a, b := r[d.rs], r[d.rt]
				if b != 0 {
					c.LO, c.HI = a/b, a%b
				}
			case opCLZ:
				r[d.rd] = uint32(bits.LeadingZeros32(r[d.rs]))
			case opCLO:
				r[d.rd] = uint32(bits.LeadingZeros32(^r[d.rs]))
			case opSEB:
				r[d.rd] = uint32(int32(int8(r[d.rt])))
			case opSEH:
				r[d.rd] = uint32(int32(int16(r[d.rt])))
			case opWSBH:
				v := r[d.rt]
				r[d.rd] = (v&0x00ff00ff)<<8 | (v>>8)&0x00ff00ff
			case opEXT:
				pos, size := d.imm&31, (d.imm>>8)+1
				r[d.rd] = (r[d.rs] >> pos) & uint32(1<<size-1)
			case opINS:
				pos, msb := d.imm&31, d.imm>>8
				m := uint32(1<<(msb-pos+1)-1) << pos
				r[d.rd] = r[d.rt]&^m | (r[d.rs]<<pos)&m

			case opBEQ:
				if r[d.rs] == r[d.rt] {
					npc = cur + 4 + d.imm
				}
				c.dsIns = ins + 1
			case opBNE:
				if r[d.rs] != r[d.rt] {
					npc = cur + 4 + d.imm
				}
				c.dsIns = ins + 1
			case opBLEZ:
				if int32(r[d.rs]) <= 0 {
					npc = cur + 4 + d.imm
				}
				c.dsIns = ins + 1
			case opBGTZ:
				if int32(r[d.rs]) > 0 {
					npc = cur + 4 + d.imm
				}
				c.dsIns = ins + 1
			case opBLTZ:
				if int32(r[d.rs]) < 0 {
					npc = cur + 4 + d.imm
				}
				c.dsIns = ins + 1
			case opBGEZ:
				if int32(r[d.rs]) >= 0 {
					npc = cur + 4 + d.imm
				}
				c.dsIns = ins + 1
			case opBLTZAL:
				t := int32(r[d.rs]) < 0
				r[31] = cur + 8
				if t {
					npc = cur + 4 + d.imm
				}
				c.dsIns = ins + 1
			case opBGEZAL:
				t := int32(r[d.rs]) >= 0
				r[31] = cur + 8
				if t {
					npc = cur + 4 + d.imm
				}
				c.dsIns = ins + 1
			case opBEQL, opBNEL, opBLEZL, opBGTZL, opBLTZL, opBGEZL, opBLTZALL, opBGEZALL:
				if likelyTaken(d.op, r[d.rs], r[d.rt]) {
					npc = cur + 4 + d.imm
					c.dsIns = ins + 1
				} else {
					// Not taken: the delay slot is nullified.
					pc = npc
					npc += 4
				}
				if d.op == opBLTZALL || d.op == opBGEZALL {
					r[31] = cur + 8
				}
			case opJ:
				npc = (cur+4)&0xf0000000 | d.imm
				c.dsIns = ins + 1
			case opJAL:
				r[31] = cur + 8
				npc = (cur+4)&0xf0000000 | d.imm
				c.dsIns = ins + 1
			case opJR:
				npc = r[d.rs]
				c.dsIns = ins + 1
			case opJALR:
				t := r[d.rs]
				r[d.rd] = cur + 8
				npc = t
				c.dsIns = ins + 1

			case opLW:
				va := r[d.rs] + d.imm
				e := &rt[(va>>12)&utlbMask]
				if e.vpn == va>>12 && va&3 == 0 {
					r[d.rd] = *(*uint32)(unsafe.Add(e.host, va&(mem.PageSize-1)))
					cyc += uint64(c.load(e, va))
				} else {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					v, ok := c.access(va, 4, false, 0, cur)
					if !ok {
						continue outer
					}
					r[d.rd] = v
					cyc = c.Cnt.Cycles
					if c.resync {
						goto sync
					}
				}
			case opLBU, opLB:
				va := r[d.rs] + d.imm
				e := &rt[(va>>12)&utlbMask]
				var v uint32
				if e.vpn == va>>12 {
					v = uint32(*(*uint8)(unsafe.Add(e.host, va&(mem.PageSize-1))))
					cyc += uint64(c.load(e, va))
				} else {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					var ok bool
					v, ok = c.access(va, 1, false, 0, cur)
					if !ok {
						continue outer
					}
					cyc = c.Cnt.Cycles
				}
				if d.op == opLB {
					v = uint32(int32(int8(v)))
				}
				r[d.rd] = v
				if c.resync {
					goto sync
				}
			case opLHU, opLH:
				va := r[d.rs] + d.imm
				e := &rt[(va>>12)&utlbMask]
				var v uint32
				if e.vpn == va>>12 && va&1 == 0 {
					v = uint32(*(*uint16)(unsafe.Add(e.host, va&(mem.PageSize-1))))
					cyc += uint64(c.load(e, va))
				} else {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					var ok bool
					v, ok = c.access(va, 2, false, 0, cur)
					if !ok {
						continue outer
					}
					cyc = c.Cnt.Cycles
				}
				if d.op == opLH {
					v = uint32(int32(int16(v)))
				}
				r[d.rd] = v
				if c.resync {
					goto sync
				}
			case opSW:
				va := r[d.rs] + d.imm
				e := &wt[(va>>12)&utlbMask]
				if e.vpn == va>>12 && va&3 == 0 {
					off := va & (mem.PageSize - 1)
					*(*uint32)(unsafe.Add(e.host, off)) = r[d.rt]
					cyc += uint64(c.storeDone(e, off, 4))
				} else {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					if _, ok := c.access(va, 4, true, r[d.rt], cur); !ok {
						continue outer
					}
					cyc = c.Cnt.Cycles
					if c.resync {
						goto sync
					}
				}
			case opSB:
				va := r[d.rs] + d.imm
				e := &wt[(va>>12)&utlbMask]
				if e.vpn == va>>12 {
					off := va & (mem.PageSize - 1)
					*(*uint8)(unsafe.Add(e.host, off)) = uint8(r[d.rt])
					cyc += uint64(c.storeDone(e, off, 1))
				} else {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					if _, ok := c.access(va, 1, true, r[d.rt], cur); !ok {
						continue outer
					}
					cyc = c.Cnt.Cycles
					if c.resync {
						goto sync
					}
				}
			case opSH:
				va := r[d.rs] + d.imm
				e := &wt[(va>>12)&utlbMask]
				if e.vpn == va>>12 && va&1 == 0 {
					off := va & (mem.PageSize - 1)
					*(*uint16)(unsafe.Add(e.host, off)) = uint16(r[d.rt])
					cyc += uint64(c.storeDone(e, off, 2))
				} else {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					if _, ok := c.access(va, 2, true, r[d.rt], cur); !ok {
						continue outer
					}
					cyc = c.Cnt.Cycles
					if c.resync {
						goto sync
					}
				}
			case opLWL, opLWR:
				va := r[d.rs] + d.imm
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				w, ok := c.access(va&^3, 4, false, 0, cur)
				if !ok {
					continue outer
				}
				cyc = c.Cnt.Cycles
				r[d.rd] = mergeLoad(d.op, va, w, r[d.rt])
				if c.resync {
					goto sync
				}
			case opSWL, opSWR:
				va := r[d.rs] + d.imm
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				if !c.storePartial(d.op, va, r[d.rt], cur) {
					continue outer
				}
				cyc = c.Cnt.Cycles
				if c.resync {
					goto sync
				}
			case opLL:
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				v, ok := c.ll(r[d.rs]+d.imm, cur)
				if !ok {
					continue outer
				}
				r[d.rd] = v
				cyc = c.Cnt.Cycles
			case opSC:
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				v, ok := c.sc(r[d.rs]+d.imm, r[d.rt], cur)
				if !ok {
					continue outer
				}
				r[d.rd] = v
				cyc = c.Cnt.Cycles
			case opSYNC, opSYNCI:
				// The memory model is sequentially consistent and the
				// decoded-code copy follows stores: nothing to do.

			case opTEQ, opTNE, opTGE, opTGEU, opTLT, opTLTU:
				if trapTaken(d.op, r[d.rs], r[d.rt]) {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					c.exception(ExcTr, cur, 0, false)
					continue outer
				}
			case opTEQI, opTNEI, opTGEI, opTGEIU, opTLTI, opTLTIU:
				if trapTaken(d.op, r[d.rs], d.imm) {
					c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
					c.exception(ExcTr, cur, 0, false)
					continue outer
				}
			case opSYSCALL:
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				c.exception(ExcSys, cur, 0, false)
				continue outer
			case opBREAK:
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				c.exception(ExcBp, cur, 0, false)
				continue outer
			case opRI:
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				c.exception(ExcRI, cur, 0, false)
				continue outer
			case opCpU:
				c.Cnt.Cycles, c.Cnt.Instr = cyc, ins
				c.Cause = c.Cause&^(3<<28) | d.imm<<28
				c.exception(ExcCpU, cur, 0, false)
				continue outer
			default:
				// Privileged and rare instructions: CP0, TLB, ERET,
				// WAIT, DI/EI, CACHE, SDBBP, RDHWR.
				c.PC, c.NPC, c.Cnt.Cycles, c.Cnt.Instr = pc, npc, cyc, ins
				if !c.system(d, cur) {
					continue outer
				}
				pc, npc, cyc = c.PC, c.NPC, c.Cnt.Cycles
				if c.resync {
					goto sync
				}
			}
		}
	sync:
		c.resync = false
		c.PC, c.NPC, c.Cnt.Cycles, c.Cnt.Instr = pc, npc, cyc, ins
	}
}

// idle advances an idle core's clock to t.
func (c *Core) idle(t uint64) {
	if t > c.Cnt.Cycles {
		c.Cnt.Idle += t - c.Cnt.Cycles
		c.Cnt.Cycles = t
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func likelyTaken(op uint8, a, b uint32) bool {
	switch op {
	case opBEQL:
		return a == b
	case opBNEL:
		return a != b
	case opBLEZL:
		return int32(a) <= 0
	case opBGTZL:
		return int32(a) > 0
	case opBLTZL, opBLTZALL:
		return int32(a) < 0
	}
	return int32(a) >= 0 // BGEZL, BGEZALL
}

func trapTaken(op uint8, a, b uint32) bool {
	switch op {
	case opTEQ, opTEQI:
		return a == b
	case opTNE, opTNEI:
		return a != b
	case opTGE, opTGEI:
		return int32(a) >= int32(b)
	case opTGEU, opTGEIU:
		return a >= b
	case opTLT, opTLTI:
		return int32(a) < int32(b)
	}
	return a < b // TLTU, TLTIU
}

func (c *Core) madd(op uint8, a, b uint32) {
	acc := uint64(c.HI)<<32 | uint64(c.LO)
	var p uint64
	if op == opMADD || op == opMSUB {
		p = uint64(int64(int32(a)) * int64(int32(b)))
	} else {
		p = uint64(a) * uint64(b)
	}
	if op == opMADD || op == opMADDU {
		acc += p
	} else {
		acc -= p
	}
	c.HI, c.LO = uint32(acc>>32), uint32(acc)
}

// mergeLoad implements LWL/LWR on a little-endian core: w is the aligned
// word containing va, old the register's previous value.
func mergeLoad(op uint8, va, w, old uint32) uint32 {
	b := va & 3
	if op == opLWL {
		sh := 8 * (3 - b)
		return w<<sh | old&(1<<sh-1)
	}
	sh := 8 * b
	return w>>sh | old&^(0xffffffff>>sh)
}

// mergeStore implements SWL/SWR: it returns the new aligned word.
func mergeStore(op uint8, va, w, v uint32) uint32 {
	b := va & 3
	if op == opSWL {
		sh := 8 * (3 - b)
		m := uint32(0xffffffff) >> sh
		return w&^m | v>>sh
	}
	sh := 8 * b
	m := uint32(0xffffffff) << sh
	return w&^m | v<<sh
}
