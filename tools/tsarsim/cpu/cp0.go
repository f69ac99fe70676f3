package cpu

import "almos/tools/tsarsim/mem"

// PRId reads as a MIPS32 release 2 core (company 1, processor 0x93).
const PRId = 0x00019300

// fetchPage finds the decoded page holding va, raising a fetch exception
// (and returning nil) when va cannot be executed.
func (c *Core) fetchPage(va uint32) *decPage {
	s := c.sys
	// The instruction being fetched is the next one: number it so that
	// a fault reports the right delay-slot state.
	c.Cnt.Instr++
	if va&3 != 0 {
		c.addrError(false, va, va)
		return nil
	}
	if e := &c.rtab[(va>>12)&utlbMask]; e.vpn == va>>12 && e.dec != nil {
		c.Cnt.Instr--
		c.setFetch(e)
		return e.dec
	}
	pa, cached, ok := c.translate(va, false, va, true)
	if !ok {
		return nil
	}
	b := s.ram(pa)
	if b == nil {
		c.BadVAddr = va
		c.exception(ExcIBE, va, va, false)
		return nil
	}
	c.Cnt.Instr--
	p := s.decoded(b, pa)
	if cached && !b.ReadOnly {
		e := c.fill(c.rtab, va, pa, b)
		e.dec = p
		c.setFetch(e)
		return p
	}
	d := mem.Dist(c.Cluster, b.Cluster)
	c.funcached = true
	c.fdist = uint32(d)
	c.fmiss = uint32(s.Cfg.Lat.UncBase + d*s.Cfg.Lat.UncHop)
	c.ftr = uint32(c.cidx*s.NClusters + s.clusterIdx[b.Cluster])
	return p
}

func (c *Core) setFetch(e *utlbEntry) {
	c.funcached = false
	c.fline, c.fmiss, c.fdist, c.ftr = e.line, e.miss, e.dist, e.tr
}

// ifetch models the instruction cache when execution enters a new line.
func (c *Core) ifetch(va uint32) uint32 {
	s := c.sys
	if !c.funcached && c.ic.Access(c.fline+(va&(mem.PageSize-1))>>s.lineShift, 0) {
		return 0
	}
	if c.funcached {
		c.Cnt.Uncached++
	} else {
		c.Cnt.IMiss++
	}
	c.Cnt.Trans[c.fdist]++
	s.Traffic[c.ftr]++
	return c.fmiss
}

// uncachedAccount accounts one uncached transaction to a bank.
func (c *Core) uncachedAccount(pa uint64, home int) {
	lat := &c.sys.Cfg.Lat
	d := mem.Dist(c.Cluster, home)
	c.Cnt.Uncached++
	c.Cnt.Acc[d]++
	c.account(pa, home, lat.UncBase+d*lat.UncHop)
}

// ll is LOAD LINKED: a load that records the line's version; SC succeeds
// only if no store (by any core) has touched the line since.
func (c *Core) ll(va, pc uint32) (uint32, bool) {
	c.llValid = false
	if va&3 != 0 {
		c.addrError(false, pc, va)
		return 0, false
	}
	pa, cached, ok := c.translate(va, false, pc, false)
	if !ok {
		return 0, false
	}
	s := c.sys
	b := s.ram(pa)
	if b == nil || b.ReadOnly {
		return c.access(va, 4, false, 0, pc)
	}
	off := pa - b.Base
	vp := &b.Ver[off>>s.lineShift]
	c.llValid, c.llVer, c.llVal = true, vp, *vp
	if cached {
		e := c.fill(c.rtab, va, pa, b)
		c.Cnt.Cycles += uint64(c.load(e, va))
	} else {
		c.Cnt.Loads++
		c.uncachedAccount(pa, b.Cluster)
	}
	return loadMem(b.Mem, off, 4), true
}

// sc is STORE CONDITIONAL; it returns 1 if the store was done.
func (c *Core) sc(va, v, pc uint32) (uint32, bool) {
	if va&3 != 0 {
		c.addrError(true, pc, va)
		return 0, false
	}
	pa, cached, ok := c.translate(va, true, pc, false)
	if !ok {
		return 0, false
	}
	s := c.sys
	b := s.ram(pa)
	valid := c.llValid
	c.llValid = false
	if b == nil || b.ReadOnly {
		return 0, true
	}
	off := pa - b.Base
	if !valid || c.llVer != &b.Ver[off>>s.lineShift] || *c.llVer != c.llVal {
		return 0, true
	}
	if cached {
		e := c.fill(c.wtab, va, pa, b)
		c.Cnt.Cycles += uint64(c.store(e, va, 4, v))
	} else {
		storeMem(b.Mem, off, 4, v)
		b.Ver[off>>s.lineShift]++
		if b.Code[off>>mem.PageShift] != 0 {
			s.invalidateCode(pa, 4)
		}
		c.Cnt.Stores++
		c.uncachedAccount(pa, b.Cluster)
	}
	return 1, true
}

// storePartial implements SWL and SWR as a read-modify-write of the
// aligned word, translated once as a store.
func (c *Core) storePartial(op uint8, va, v, pc uint32) bool {
	wa := va &^ 3
	pa, _, ok := c.translate(wa, true, pc, false)
	if !ok {
		return false
	}
	s := c.sys
	if b := s.ram(pa); b != nil && !b.ReadOnly {
		old := loadMem(b.Mem, pa-b.Base, 4)
		_, ok := c.access(wa, 4, true, mergeStore(op, va, old, v), pc)
		return ok
	}
	_, ok = c.access(wa, 4, true, mergeStore(op, va, 0, v), pc)
	return ok
}

// system executes the privileged and rare instructions. c.PC/c.NPC hold
// the next instruction; it returns false if an exception was raised.
func (c *Core) system(d *dinsn, cur uint32) bool {
	s := c.sys
	priv := c.kernel || c.Status&StCU0 != 0
	switch d.op {
	case opRDHWR:
		hw := uint32(d.rs)
		if !c.kernel && c.HWREna&(1<<hw) == 0 {
			c.exception(ExcRI, cur, 0, false)
			return false
		}
		var v uint32
		switch hw {
		case 0:
			v = uint32(c.ID)
		case 1:
			v = 1 << s.lineShift
		case 2:
			v = c.count()
		case 3:
			v = 1
		case 29:
			v = c.UserLocal
		default:
			c.exception(ExcRI, cur, 0, false)
			return false
		}
		c.R[d.rd] = v
		return true
	case opSDBBP:
		// UHI semihosting: t9 (R25) selects the operation.
		if c.R[25] == 1 {
			s.Halt(int(int32(c.R[4])), "semihosting exit")
			c.resync = true
			return true
		}
		if s.Semihost != nil && s.Semihost(c) {
			c.resync = true
			return true
		}
		c.exception(ExcRI, cur, 0, false)
		return false
	}
	if !priv {
		c.Cause &^= 3 << 28
		c.exception(ExcCpU, cur, 0, false)
		return false
	}
	switch d.op {
	case opMFC0:
		c.R[d.rd] = c.mfc0(uint32(d.rs), d.imm)
	case opMTC0:
		c.mtc0(uint32(d.rs), d.imm, c.R[d.rt])
		c.resync = true
	case opDI, opEI:
		c.R[d.rd] = c.Status
		if d.op == opDI {
			c.Status &^= StIE
		} else {
			c.Status |= StIE
		}
		c.resync = true
	case opERET:
		if c.Status&StERL != 0 {
			c.PC = c.ErrorEPC
			c.Status &^= StERL
		} else {
			c.PC = c.EPC
			c.Status &^= StEXL
		}
		c.NPC = c.PC + 4
		c.llValid = false
		c.dsIns = 0
		c.updateMode()
		c.resync = true
	case opWAIT:
		if !c.interruptPending() {
			c.Waiting = true
		}
		c.resync = true
	case opCACHE:
		// Caches are tags only and coherent with memory: every CACHE
		// operation is a no-op.
	case opTLBR:
		e := c.tlb[c.Index&63]
		c.EntryHi = e.hi
		c.PageMask = e.mask
		g := uint32(0)
		if e.g {
			g = 1
		}
		c.EntryLo0 = e.lo[0]&^1 | g
		c.EntryLo1 = e.lo[1]&^1 | g
		c.flushUTLB()
		c.resync = true
	case opTLBWI:
		c.writeTLB(int(c.Index & 63))
		c.resync = true
	case opTLBWR:
		c.writeTLB(int(c.random()))
		c.resync = true
	case opTLBP:
		c.Index = 1 << 31
		asid := c.EntryHi & 0xff
		for i := range c.tlb {
			e := &c.tlb[i]
			m := ^(e.mask | 0x1fff)
			if c.EntryHi&m == e.hi&m && (e.g || e.hi&0xff == asid) {
				c.Index = uint32(i)
				break
			}
		}
	default:
		c.exception(ExcRI, cur, 0, false)
		return false
	}
	return true
}

func (c *Core) random() uint32 {
	w := c.Wired & 63
	if w >= 63 {
		return 63
	}
	n := uint64(64 - w)
	return 63 - uint32(c.Cnt.Cycles%n)
}

func (c *Core) writeTLB(i int) {
	old := c.tlb[i]
	mask := c.PageMask & 0x1fffe000
	g := c.EntryLo0&c.EntryLo1&1 != 0
	c.tlb[i] = tlbEntry{
		hi:   c.EntryHi &^ (mask | 0x1f00),
		mask: mask,
		lo:   [2]uint32{c.EntryLo0 & 0x3fffffff, c.EntryLo1 & 0x3fffffff},
		g:    g,
	}
	c.invalidateTLBRange(old)
}

func (c *Core) mfc0(reg, sel uint32) uint32 {
	switch reg<<3 | sel {
	case 0 << 3:
		return c.Index
	case 1 << 3:
		return c.random()
	case 2 << 3:
		return c.EntryLo0
	case 3 << 3:
		return c.EntryLo1
	case 4 << 3:
		return c.Context
	case 4<<3 | 2:
		return c.UserLocal
	case 5 << 3:
		return c.PageMask
	case 6 << 3:
		return c.Wired
	case 7 << 3:
		return c.HWREna
	case 8 << 3:
		return c.BadVAddr
	case 9 << 3:
		return c.count()
	case 10 << 3:
		return c.EntryHi
	case 11 << 3:
		return c.Compare
	case 12 << 3:
		return c.Status
	case 12<<3 | 1:
		return c.IntCtl
	case 13 << 3:
		return c.Cause&^0xff00 | c.pendingIP()
	case 14 << 3:
		return c.EPC
	case 15 << 3:
		return PRId
	case 15<<3 | 1:
		return c.EBase
	case 16 << 3:
		return c.Config0
	case 16<<3 | 1:
		return 1<<31 | 63<<25 | cacheConfig(c.sys.Cfg.ICache)<<16 | cacheConfig(c.sys.Cfg.DCache)<<7
	case 16<<3 | 2:
		return 1 << 31
	case 16<<3 | 3:
		return 1 << 13 // ULRI: UserLocal is implemented
	case 30 << 3:
		return c.ErrorEPC
	}
	return 0
}

// cacheConfig encodes a cache geometry as Config1's S/L/A fields.
func cacheConfig(cc mem.CacheConfig) uint32 {
	sets := cc.Size / (cc.Ways * cc.Line)
	s := uint32(0)
	for 64<<s < sets {
		s++
	}
	if sets == 32 {
		s = 7
	}
	l := uint32(cc.LineShift() - 1)
	return s<<6 | l<<3 | uint32(cc.Ways-1)
}

func (c *Core) mtc0(reg, sel, v uint32) {
	switch reg<<3 | sel {
	case 0 << 3:
		c.Index = c.Index&(1<<31) | v&63
	case 2 << 3:
		c.EntryLo0 = v & 0x3fffffff
	case 3 << 3:
		c.EntryLo1 = v & 0x3fffffff
	case 4 << 3:
		c.Context = v&0xff800000 | c.Context&0x7ffff0
	case 4<<3 | 2:
		c.UserLocal = v
	case 5 << 3:
		c.PageMask = v & 0x1fffe000
	case 6 << 3:
		c.Wired = v & 63
	case 7 << 3:
		c.HWREna = v & (0xf | 1<<29)
	case 9 << 3:
		c.countBase = c.Cnt.Cycles - uint64(v)
		c.timerAt = c.timerDeadline()
	case 10 << 3:
		old := c.EntryHi
		c.EntryHi = v & 0xffffe0ff
		if old&0xff != c.EntryHi&0xff {
			c.flushUTLB()
		}
	case 11 << 3:
		c.Compare = v
		c.Cause &^= CauseTI
		c.timerAt = c.timerDeadline()
	case 12 << 3:
		c.Status = v & 0xfa78ff1f
		c.updateMode()
	case 12<<3 | 1:
		c.IntCtl = c.IntCtl&^0x3e0 | v&0x3e0
	case 13 << 3:
		c.Cause = c.Cause&^(CauseIV|0x300) | v&(CauseIV|0x300)
	case 14 << 3:
		c.EPC = v
	case 15<<3 | 1:
		c.EBase = c.EBase&^0x3ffff000 | v&0x3ffff000
	case 16 << 3:
		c.Config0 = c.Config0&^7 | v&7
		c.flushUTLB()
	case 30 << 3:
		c.ErrorEPC = v
	}
}
