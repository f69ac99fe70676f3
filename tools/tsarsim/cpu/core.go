package cpu

import (
	"fmt"
	"unsafe"

	"almos/tools/tsarsim/mem"
)

// Exception codes (Cause.ExcCode).
const (
	ExcInt  = 0
	ExcMod  = 1
	ExcTLBL = 2
	ExcTLBS = 3
	ExcAdEL = 4
	ExcAdES = 5
	ExcIBE  = 6
	ExcDBE  = 7
	ExcSys  = 8
	ExcBp   = 9
	ExcRI   = 10
	ExcCpU  = 11
	ExcOv   = 12
	ExcTr   = 13
)

// CP0 Status and Cause bits.
const (
	StIE  = 1 << 0
	StEXL = 1 << 1
	StERL = 1 << 2
	StKSU = 3 << 3
	StUM  = 2 << 3
	StBEV = 1 << 22
	StCU0 = 1 << 28

	CauseIV = 1 << 23
	CauseTI = 1 << 30
	CauseBD = 1 << 31
)

// ResetVector is where every core starts.
const ResetVector = 0xBFC00000

const (
	utlbBits = 8
	utlbSize = 1 << utlbBits
	utlbMask = utlbSize - 1
	noVPN    = 0xffffffff
)

// utlbEntry caches the translation of one virtual 4 KiB page to cached
// RAM, with what the fast path needs precomputed: the host address of the
// page, its line versions, its first global line number and the cost and
// counter slots for its home cluster as seen from this core.
type utlbEntry struct {
	vpn  uint32
	host unsafe.Pointer
	ver  unsafe.Pointer // *[PageSize>>lineShift]uint32
	line uint32         // global line number of the page's first line
	dist uint32         // mesh hops to the home cluster
	miss uint32         // cycles of a miss (read) there
	stc  uint32         // cycles of a store there
	tr   uint32         // index in System.Traffic
	code *uint8         // the page's "decoded as code" flag
	dec  *decPage
	pa   uint64 // physical address of the page
}

type tlbEntry struct {
	hi   uint32 // VPN2 and ASID, as EntryHi
	mask uint32 // PageMask
	lo   [2]uint32
	g    bool
}

// Counters are the per-core statistics.
type Counters struct {
	Instr    uint64
	Cycles   uint64
	Idle     uint64 // cycles spent waiting (WAIT, halted, no thread)
	Loads    uint64
	Stores   uint64
	IMiss    uint64
	DMiss    uint64
	Uncached uint64
	// Acc counts data accesses (loads and stores) by mesh distance to
	// the home cluster; Trans counts memory transactions (misses,
	// stores, uncached accesses) the same way.
	Acc   [32]uint64
	Trans [32]uint64
}

// Core is one MIPS32 core.
type Core struct {
	// R holds the 32 general registers plus a sink (index 32) that
	// receives writes to $0; 64 entries so any 6-bit index is in range.
	R      [64]uint32
	HI, LO uint32
	PC     uint32
	NPC    uint32 // address of the instruction after PC (delay slots)

	ID      int // CPUNum: cluster identifier << 2 | local index
	Cluster int // cluster identifier
	Local   int
	cidx    int

	sys *System

	// CP0
	Index, EntryLo0, EntryLo1, Context, PageMask, Wired uint32
	BadVAddr, EntryHi, Compare, Status, Cause, EPC      uint32
	EBase, ErrorEPC, Config0, UserLocal, HWREna, IntCtl uint32
	countBase                                           uint64
	tlb                                                 [64]tlbEntry

	utlb       [2][2][utlbSize]utlbEntry // [kernel][write]
	rtab, wtab *[utlbSize]utlbEntry
	kernel     bool
	erl        bool

	ic, dc *mem.Cache

	Cnt Counters

	// HWInt holds the external interrupt lines as Cause.IP bits (IP2
	// is 1<<10); devices set it and raise IRQCheck.
	HWInt    uint32
	IRQCheck bool
	// Waiting is set by WAIT until an interrupt is pending; Halted
	// cores never run (the user harness uses it for idle cores).
	Waiting bool
	Halted  bool
	// Stop makes Run return at the next instruction boundary.
	Stop bool

	llValid bool
	llVer   *uint32
	llVal   uint32

	dsIns uint64 // instruction number of the pending delay slot

	timerAt uint64 // cycle at which Count reaches Compare
	resync  bool   // leave the inner loop after this instruction

	// instruction fetch state for the current code page
	fline     uint32
	fmiss     uint32
	fdist     uint32
	ftr       uint32
	funcached bool

	// ExtDeadline is the cycle at which Tick must be called (device
	// timers); Tick returns the next deadline.
	ExtDeadline uint64
	Tick        func(c *Core) uint64

	// Trap, when set, receives every exception instead of the CP0
	// vectors (the user-mode harness serves system calls this way).
	// PC is the faulting instruction; it returns false to fall back to
	// the architectural exception.
	Trap func(c *Core, code int, badva uint32) bool
	// Xlate, when set, translates KUSEG addresses instead of the TLB
	// (the harness's host-side page tables). It returns the physical
	// address and whether the access is allowed.
	Xlate func(c *Core, va uint32, write bool) (uint64, bool)
	// InDelaySlot is valid inside Trap: the faulting instruction is in
	// a branch delay slot.
	InDelaySlot bool
}

// NewCore makes a core in reset state.
func (s *System) NewCore(cluster, local int) *Core {
	c := &Core{sys: s, Cluster: cluster, Local: local, ID: cluster<<2 | local, cidx: s.clusterIdx[cluster]}
	if c.cidx < 0 {
		panic(fmt.Sprintf("core in absent cluster %#x", cluster))
	}
	c.ic = mem.NewCache(s.Cfg.ICache)
	c.dc = mem.NewCache(s.Cfg.DCache)
	s.Cores = append(s.Cores, c)
	c.Reset()
	return c
}

// Sys returns the memory system.
func (c *Core) Sys() *System { return c.sys }

// Reset puts the core in the MIPS reset state at the reset vector.
func (c *Core) Reset() {
	c.PC, c.NPC = ResetVector, ResetVector+4
	c.Status = StBEV | StERL
	c.Cause = 0
	c.Wired = 0
	c.EBase = 0x80000000 | uint32(c.ID)
	c.Config0 = 1<<31 | 1<<10 | 1<<7 | 3 // M, AR=release 2, MT=TLB, K0=cacheable
	c.IntCtl = 7 << 29                   // the CP0 timer is on IP7
	for i := range c.tlb {
		// Distinct unmatchable VPN2s in KSEG0, as firmware would leave.
		c.tlb[i] = tlbEntry{hi: 0x80000000 + uint32(i)<<13}
	}
	c.updateMode()
	c.flushUTLB()
	c.timerAt = c.timerDeadline()
}

func (c *Core) flushUTLB() {
	for k := range c.utlb {
		for w := range c.utlb[k] {
			t := &c.utlb[k][w]
			for i := range t {
				t[i].vpn = noVPN
			}
		}
	}
}

// updateMode recomputes kernel/user mode after a Status change.
func (c *Core) updateMode() {
	st := c.Status
	c.kernel = st&StKSU == 0 || st&(StEXL|StERL) != 0
	erl := st&StERL != 0
	if erl != c.erl {
		// ERL changes what KUSEG means (unmapped when set).
		c.erl = erl
		c.flushUTLB()
	}
	k := 0
	if c.kernel {
		k = 1
	}
	c.rtab, c.wtab = &c.utlb[k][0], &c.utlb[k][1]
}

// SetUserMode puts the core in user mode with interrupts off (used by the
// user harness, which never takes the core back to kernel mode).
func (c *Core) SetUserMode() {
	c.Status = StUM
	c.updateMode()
}

// inDS reports whether the instruction with number n is a delay slot.
func (c *Core) inDS(n uint64) bool { return c.dsIns == n && n != 0 }

// exception raises an exception for the instruction at pc (number
// c.Cnt.Instr). refill selects the TLB refill vector.
func (c *Core) exception(code uint32, pc uint32, badva uint32, refill bool) {
	bd := c.inDS(c.Cnt.Instr)
	c.exceptionAt(code, pc, bd, badva, refill)
}

func (c *Core) exceptionAt(code uint32, pc uint32, bd bool, badva uint32, refill bool) {
	// Taking an exception costs a cycle, so a core stuck in an
	// exception loop still advances in time.
	c.Cnt.Cycles++
	if c.Trap != nil {
		c.PC, c.NPC = pc, pc+4
		c.InDelaySlot = bd
		if c.Trap(c, int(code), badva) {
			return
		}
	}
	off := uint32(0x180)
	if c.Status&StEXL == 0 {
		if bd {
			c.EPC = pc - 4
			c.Cause |= CauseBD
		} else {
			c.EPC = pc
			c.Cause &^= CauseBD
		}
		if refill {
			off = 0
		}
	}
	if code == ExcInt && c.Cause&CauseIV != 0 {
		off = 0x200
	}
	c.Cause = c.Cause&^0x7c | code<<2
	c.Status |= StEXL
	base := c.EBase & 0xfffff000
	if c.Status&StBEV != 0 {
		base = 0xBFC00200
	}
	c.PC = base + off
	c.NPC = c.PC + 4
	c.updateMode()
}

func (c *Core) tlbException(code uint32, pc, va uint32, refill bool) {
	c.BadVAddr = va
	c.Context = c.Context&0xff800000 | (va>>13)<<4
	c.EntryHi = va&0xffffe000 | c.EntryHi&0xff
	c.exception(code, pc, va, refill)
}

func (c *Core) addrError(write bool, pc, va uint32) {
	c.BadVAddr = va
	code := uint32(ExcAdEL)
	if write {
		code = ExcAdES
	}
	c.exception(code, pc, va, false)
}

// count returns CP0 Count, which advances once per cycle.
func (c *Core) count() uint32 { return uint32(c.Cnt.Cycles - c.countBase) }

// timerDeadline is the cycle at which Count reaches Compare.
func (c *Core) timerDeadline() uint64 {
	d := uint64(c.Compare - c.count())
	if d == 0 {
		d = 1 << 32
	}
	return c.Cnt.Cycles + d
}

// pendingIP returns Cause.IP as the hardware sees it now.
func (c *Core) pendingIP() uint32 {
	ip := c.Cause&0x300 | c.HWInt&0xfc00
	if c.Cause&CauseTI != 0 {
		ip |= 1 << 15
	}
	return ip
}

// interruptPending reports a pending, unmasked interrupt, whatever IE.
func (c *Core) interruptPending() bool { return c.pendingIP()&c.Status&0xff00 != 0 }

func (c *Core) interruptEnabled() bool {
	return c.Status&(StIE|StEXL|StERL) == StIE && c.interruptPending()
}

// takeInterrupt enters the interrupt exception between instructions.
func (c *Core) takeInterrupt() {
	c.Waiting = false
	// If the next instruction is a delay slot, exceptionAt makes EPC
	// name its branch.
	c.exceptionAt(ExcInt, c.PC, c.inDS(c.Cnt.Instr+1), 0, false)
}

// lookupTLB searches the TLB. It returns the matching entry index or -1.
func (c *Core) lookupTLB(va uint32) int {
	asid := c.EntryHi & 0xff
	for i := range c.tlb {
		e := &c.tlb[i]
		m := ^(e.mask | 0x1fff)
		if va&m == e.hi&m && (e.g || e.hi&0xff == asid) {
			return i
		}
	}
	return -1
}

// translate maps a virtual address. It returns the physical address and
// whether it is cacheable, or raises the exception and returns ok=false.
// dirtyOK says whether a store may go through a fast-path entry.
func (c *Core) translate(va uint32, write bool, pc uint32, fetch bool) (pa uint64, cached bool, ok bool) {
	if va < 0x80000000 {
		if c.erl {
			return uint64(va), false, true
		}
		if c.Xlate != nil {
			p, ok := c.Xlate(c, va, write)
			if !ok {
				code := uint32(ExcTLBL)
				if write {
					code = ExcTLBS
				}
				c.BadVAddr = va
				c.exception(code, pc, va, false)
				return 0, false, false
			}
			return p, true, true
		}
	} else {
		if !c.kernel {
			c.addrError(write, pc, va)
			return 0, false, false
		}
		if va < 0xA0000000 {
			return uint64(va - 0x80000000), c.Config0&7 != 2, true
		}
		if va < 0xC0000000 {
			return uint64(va - 0xA0000000), false, true
		}
	}
	i := c.lookupTLB(va)
	code := uint32(ExcTLBL)
	if write {
		code = ExcTLBS
	}
	if i < 0 {
		c.tlbException(code, pc, va, true)
		return 0, false, false
	}
	e := &c.tlb[i]
	pair := (e.mask | 0x1fff) + 1
	half := pair >> 1
	lo := e.lo[0]
	if va&half != 0 {
		lo = e.lo[1]
	}
	if lo&2 == 0 {
		c.tlbException(code, pc, va, false)
		return 0, false, false
	}
	if write && lo&4 == 0 {
		c.tlbException(ExcMod, pc, va, false)
		return 0, false, false
	}
	base := uint64(lo>>6&0xffffff) << 12
	pa = base&^uint64(half-1) | uint64(va&(half-1))
	return pa, (lo>>3)&7 != 2, true
}

// fill installs a micro-TLB entry for a cached RAM page.
func (c *Core) fill(t *[utlbSize]utlbEntry, va uint32, pa uint64, b *mem.Bank) *utlbEntry {
	s := c.sys
	e := &t[(va>>12)&utlbMask]
	ppa := pa &^ (mem.PageSize - 1)
	off := ppa - b.Base
	home := b.Cluster
	d := mem.Dist(c.Cluster, home)
	*e = utlbEntry{
		vpn:  va >> 12,
		host: unsafe.Pointer(&b.Mem[off]),
		ver:  unsafe.Pointer(&b.Ver[off>>s.lineShift]),
		line: uint32(ppa >> s.lineShift),
		dist: uint32(d),
		miss: uint32(s.Cfg.Lat.MissBase + d*s.Cfg.Lat.MissHop),
		stc:  uint32(s.Cfg.Lat.StoreBase + d*s.Cfg.Lat.StoreHop),
		tr:   uint32(c.cidx*s.NClusters + s.clusterIdx[home]),
		code: &b.Code[off>>mem.PageShift],
		pa:   ppa,
	}
	if b.ReadOnly {
		e.code = nil
	}
	return e
}

// invalidateTLBRange drops micro-TLB entries of the pages an old TLB
// entry mapped.
func (c *Core) invalidateTLBRange(old tlbEntry) {
	if old.lo[0]&2 == 0 && old.lo[1]&2 == 0 {
		return
	}
	pair := (old.mask | 0x1fff) + 1
	npages := pair >> 12
	if npages > utlbSize {
		c.flushUTLB()
		return
	}
	first := (old.hi &^ (pair - 1)) >> 12
	for p := first; p < first+npages; p++ {
		for k := range c.utlb {
			for w := range c.utlb[k] {
				e := &c.utlb[k][w][p&utlbMask]
				if e.vpn == p {
					e.vpn = noVPN
				}
			}
		}
	}
}

// FlushTLBCache drops every cached translation (the harness calls it
// after changing its page tables).
func (c *Core) FlushTLBCache() { c.flushUTLB() }

// InvalidatePage drops the cached translations of one virtual page.
func (c *Core) InvalidatePage(va uint32) {
	p := va >> 12
	for k := range c.utlb {
		for w := range c.utlb[k] {
			e := &c.utlb[k][w][p&utlbMask]
			if e.vpn == p {
				e.vpn = noVPN
			}
		}
	}
}

func (c *Core) account(pa uint64, home int, cost int) {
	s := c.sys
	d := mem.Dist(c.Cluster, home)
	c.Cnt.Trans[d]++
	if hi := s.clusterIdx[home]; hi >= 0 {
		s.Traffic[c.cidx*s.NClusters+hi]++
	}
	if s.Cfg.Cache {
		c.Cnt.Cycles += uint64(cost)
	}
}

// access is the slow path of every data access: it translates, raises
// exceptions, serves devices and uncached memory, and fills the micro-TLB
// for cached RAM. For stores v is the value; for loads the value read is
// returned. size is 1, 2 or 4 and va is aligned to it.
func (c *Core) access(va uint32, size uint32, write bool, v uint32, pc uint32) (uint32, bool) {
	if va&(size-1) != 0 {
		c.addrError(write, pc, va)
		return 0, false
	}
	pa, cached, ok := c.translate(va, write, pc, false)
	if !ok {
		return 0, false
	}
	s := c.sys
	lat := &s.Cfg.Lat
	if b := s.ram(pa); b != nil {
		off := pa - b.Base
		if cached && !b.ReadOnly {
			t := c.rtab
			if write {
				t = c.wtab
			}
			e := c.fill(t, va, pa, b)
			if write {
				c.Cnt.Cycles += uint64(c.store(e, va, size, v))
				return 0, true
			}
			c.Cnt.Cycles += uint64(c.load(e, va))
			return loadMem(b.Mem, off, size), true
		}
		// Uncached RAM or ROM: every access is a transaction.
		home := b.Cluster
		d := mem.Dist(c.Cluster, home)
		c.Cnt.Uncached++
		c.Cnt.Acc[d]++
		c.account(pa, home, lat.UncBase+d*lat.UncHop)
		if write {
			c.Cnt.Stores++
			if b.ReadOnly {
				return 0, true
			}
			storeMem(b.Mem, off, size, v)
			b.Ver[off>>s.lineShift]++
			if b.Code[off>>mem.PageShift] != 0 {
				s.invalidateCode(pa, size)
			}
			return 0, true
		}
		c.Cnt.Loads++
		return loadMem(b.Mem, off, size), true
	}
	if d := s.device(pa); d != nil {
		dist := mem.Dist(c.Cluster, d.home)
		c.Cnt.Uncached++
		c.Cnt.Acc[dist]++
		c.account(pa, d.home, lat.UncBase+dist*lat.UncHop)
		off := uint32(pa - d.base)
		if write {
			c.Cnt.Stores++
			d.dev.Write(c, off, int(size), v)
			return 0, true
		}
		c.Cnt.Loads++
		return d.dev.Read(c, off, int(size)), true
	}
	c.BadVAddr = va
	c.exception(ExcDBE, pc, va, false)
	return 0, false
}

func loadMem(m []byte, off uint64, size uint32) uint32 {
	switch size {
	case 1:
		return uint32(m[off])
	case 2:
		return uint32(m[off]) | uint32(m[off+1])<<8
	}
	return uint32(m[off]) | uint32(m[off+1])<<8 | uint32(m[off+2])<<16 | uint32(m[off+3])<<24
}

func storeMem(m []byte, off uint64, size uint32, v uint32) {
	switch size {
	case 1:
		m[off] = byte(v)
	case 2:
		m[off] = byte(v)
		m[off+1] = byte(v >> 8)
	default:
		m[off] = byte(v)
		m[off+1] = byte(v >> 8)
		m[off+2] = byte(v >> 16)
		m[off+3] = byte(v >> 24)
	}
}

// load accounts a cached load through micro-TLB entry e and returns the
// stall cycles.
func (c *Core) load(e *utlbEntry, va uint32) uint32 {
	c.Cnt.Loads++
	c.Cnt.Acc[e.dist]++
	s := c.sys
	if !s.Cfg.Cache {
		// Without the cache model every access is a transaction that
		// costs nothing: counts without timing.
		c.Cnt.Trans[e.dist]++
		s.Traffic[e.tr]++
		return 0
	}
	ln := (va & (mem.PageSize - 1)) >> s.lineShift
	if c.dc.Access(e.line+ln, *(*uint32)(unsafe.Add(e.ver, ln*4))) {
		return 0
	}
	c.Cnt.DMiss++
	c.Cnt.Trans[e.dist]++
	s.Traffic[e.tr]++
	return e.miss
}

// store performs and accounts a store through micro-TLB entry e and
// returns the stall cycles.
func (c *Core) store(e *utlbEntry, va uint32, size uint32, v uint32) uint32 {
	off := va & (mem.PageSize - 1)
	p := unsafe.Add(e.host, off)
	switch size {
	case 1:
		*(*uint8)(p) = uint8(v)
	case 2:
		*(*uint16)(p) = uint16(v)
	default:
		*(*uint32)(p) = v
	}
	return c.storeDone(e, off, size)
}

// storeDone does the bookkeeping of a store at page offset off: line
// version (coherence and LL/SC), code invalidation, counters and timing.
// It returns the stall cycles.
func (c *Core) storeDone(e *utlbEntry, off uint32, size uint32) uint32 {
	s := c.sys
	ln := off >> s.lineShift
	vp := (*uint32)(unsafe.Add(e.ver, ln*4))
	old := *vp
	*vp = old + 1
	if e.code != nil && *e.code != 0 {
		s.invalidateCode(e.pa+uint64(off), size)
	}
	c.Cnt.Stores++
	c.Cnt.Acc[e.dist]++
	c.Cnt.Trans[e.dist]++
	s.Traffic[e.tr]++
	if !s.Cfg.Cache {
		return 0
	}
	c.dc.Update(e.line+ln, old, old+1)
	return e.stc
}

// ReadVirt reads a byte through the current translation without side
// effects on counters or exceptions (debuggers, semihosting).
func (c *Core) ReadVirt(va uint32) (byte, bool) {
	var pa uint64
	switch {
	case va >= 0x80000000 && va < 0xA0000000:
		pa = uint64(va - 0x80000000)
	case va >= 0xA0000000 && va < 0xC0000000:
		pa = uint64(va - 0xA0000000)
	case va < 0x80000000 && c.Xlate != nil:
		p, ok := c.Xlate(c, va, false)
		if !ok {
			return 0, false
		}
		pa = p
	default:
		i := c.lookupTLB(va)
		if i < 0 {
			return 0, false
		}
		e := &c.tlb[i]
		half := ((e.mask | 0x1fff) + 1) >> 1
		lo := e.lo[0]
		if va&half != 0 {
			lo = e.lo[1]
		}
		if lo&2 == 0 {
			return 0, false
		}
		pa = (uint64(lo>>6&0xffffff)<<12)&^uint64(half-1) | uint64(va&(half-1))
	}
	b := c.sys.ram(pa)
	if b == nil {
		return 0, false
	}
	return b.Mem[pa-b.Base], true
}

// Idle reports a core that cannot run until an event: halted, or waiting
// without a pending interrupt.
func (c *Core) Idle() bool {
	return c.Halted || (c.Waiting && !c.interruptPending())
}

// NextEvent is the earliest cycle at which a timer may wake the core.
func (c *Core) NextEvent() uint64 {
	if c.Halted {
		return ^uint64(0)
	}
	n := ^uint64(0)
	if c.Status&(1<<15) != 0 {
		n = c.timerAt
	}
	if c.Tick != nil {
		n = min(n, c.ExtDeadline)
	}
	return n
}

// ClearLL drops the LL reservation and any pending delay-slot record
// (the harness calls it when it switches threads on a core).
func (c *Core) ClearLL() {
	c.llValid = false
	c.dsIns = 0
}

// NextInDelaySlot reports whether the instruction at PC is the delay
// slot of a branch that has already executed.
func (c *Core) NextInDelaySlot() bool { return c.inDS(c.Cnt.Instr + 1) }
