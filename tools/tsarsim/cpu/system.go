// Package cpu is the MIPS32 little-endian core of tsarsim: registers, CP0,
// the 64-entry TLB, precise exceptions and the interpreter, together with
// the shared memory system the cores reach (banks, devices, decoded code
// pages, the traffic matrix).
//
// Speed comes from decoding each instruction once (a decoded copy per
// physical code page, invalidated word by word on stores), a per-core
// direct-mapped micro-TLB that turns a virtual page into a host pointer
// into bank memory, and a hot loop without interfaces or allocation. The
// whole machine is driven by one host goroutine, so no state needs locks
// and a run is deterministic.
package cpu

import (
	"fmt"
	"unsafe"

	"almos/tools/tsarsim/mem"
)

// Device is a memory-mapped device. Offsets are relative to the device's
// base; size is 1, 2 or 4. Device accesses are rare next to memory
// accesses, so an interface is fine here.
type Device interface {
	Read(c *Core, off uint32, size int) uint32
	Write(c *Core, off uint32, size int, v uint32)
}

type devRegion struct {
	base, size uint64
	home       int // cluster identifier the device belongs to
	dev        Device
}

// decPage is the decoded copy of one physical 4 KiB page of code.
type decPage struct {
	ins  [mem.PageSize / 4]dinsn
	host unsafe.Pointer
}

// Config holds what the System needs to build its timing model.
type Config struct {
	MeshX, MeshY int
	Cache        bool // model L1 caches (tags, misses, latency)
	ICache       mem.CacheConfig
	DCache       mem.CacheConfig
	Lat          mem.Latency
}

// System is the memory system shared by all cores of a machine.
type System struct {
	Cfg       Config
	banks     [256]*mem.Bank // RAM bank per cluster identifier
	rom       *mem.Bank      // boot ROM, executable
	devs      []devRegion
	lineShift uint
	dec       map[uint32]*decPage // physical page number -> decoded page
	// dense cluster numbering for the traffic matrix
	clusterIdx [256]int
	NClusters  int
	// Traffic[from*NClusters+to] counts memory transactions (cache
	// misses, stores, uncached accesses) from cores of cluster from to
	// memory or devices homed in cluster to.
	Traffic []uint64
	Cores   []*Core

	// Halted is set by a power-off or a semihosting exit.
	Halted     bool
	ExitStatus int
	HaltReason string
	// Semihost handles SDBBP calls other than exit (t9 = 1); nil means
	// only exit is served.
	Semihost func(c *Core) bool
}

// NewSystem makes an empty memory system for an X x Y mesh.
func NewSystem(cfg Config) (*System, error) {
	if cfg.MeshX < 1 || cfg.MeshY < 1 || cfg.MeshX > mem.MaxMeshDim || cfg.MeshY > mem.MaxMeshDim {
		return nil, fmt.Errorf("mesh %dx%d: each side must be 1..%d", cfg.MeshX, cfg.MeshY, mem.MaxMeshDim)
	}
	if cfg.ICache.Line == 0 {
		cfg.ICache = mem.DefaultCache
	}
	if cfg.DCache.Line == 0 {
		cfg.DCache = mem.DefaultCache
	}
	if err := cfg.ICache.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.DCache.Validate(); err != nil {
		return nil, err
	}
	if cfg.ICache.Line != cfg.DCache.Line {
		return nil, fmt.Errorf("instruction and data caches must share a line size")
	}
	if cfg.Lat == (mem.Latency{}) {
		cfg.Lat = mem.DefaultLatency
	}
	s := &System{Cfg: cfg, lineShift: cfg.DCache.LineShift(), dec: map[uint32]*decPage{}}
	for i := range s.clusterIdx {
		s.clusterIdx[i] = -1
	}
	for x := 0; x < cfg.MeshX; x++ {
		for y := 0; y < cfg.MeshY; y++ {
			s.clusterIdx[mem.ClusterID(x, y)] = s.NClusters
			s.NClusters++
		}
	}
	s.Traffic = make([]uint64, s.NClusters*s.NClusters)
	return s, nil
}

// LineShift is log2 of the cache line size.
func (s *System) LineShift() uint { return s.lineShift }

// ClusterIndex returns the dense index of a cluster identifier, or -1.
func (s *System) ClusterIndex(id int) int { return s.clusterIdx[id&255] }

// AddBank installs the memory bank of a cluster.
func (s *System) AddBank(cluster int, size int) *mem.Bank {
	if size > mem.MaxBank {
		panic("bank too large")
	}
	b := mem.NewBank(cluster, uint64(cluster)<<mem.ClusterShift, size, s.lineShift)
	s.banks[cluster] = b
	return b
}

// Bank returns the RAM bank of a cluster (nil if none).
func (s *System) Bank(cluster int) *mem.Bank { return s.banks[cluster&255] }

// SetROM installs the boot ROM contents at mem.ROMBase.
func (s *System) SetROM(image []byte) {
	size := (len(image) + mem.PageSize - 1) &^ (mem.PageSize - 1)
	b := mem.NewBank(0, mem.ROMBase, size, s.lineShift)
	copy(b.Mem, image)
	b.ReadOnly = true
	s.rom = b
}

// AddDevice maps a device at a physical address range.
func (s *System) AddDevice(base, size uint64, home int, d Device) {
	s.devs = append(s.devs, devRegion{base: base, size: size, home: home, dev: d})
}

// ram finds the bank holding pa.
func (s *System) ram(pa uint64) *mem.Bank {
	id := pa >> mem.ClusterShift
	if id < 256 {
		if b := s.banks[id]; b != nil && pa&mem.LocalMask < uint64(len(b.Mem)) {
			return b
		}
	}
	if s.rom != nil && s.rom.Contains(pa) {
		return s.rom
	}
	return nil
}

func (s *System) device(pa uint64) *devRegion {
	for i := range s.devs {
		d := &s.devs[i]
		if pa >= d.base && pa-d.base < d.size {
			return d
		}
	}
	return nil
}

// Home returns the cluster identifier that owns a physical address, the
// one whose distance decides the latency.
func (s *System) Home(pa uint64) int {
	if pa >= mem.IOBase && pa < mem.IOEnd {
		return 0
	}
	return int(pa>>mem.ClusterShift) & 255
}

// decoded returns (creating it) the decoded copy of a physical page.
func (s *System) decoded(b *mem.Bank, pa uint64) *decPage {
	ppn := uint32(pa >> mem.PageShift)
	if p := s.dec[ppn]; p != nil {
		return p
	}
	off := (pa - b.Base) &^ (mem.PageSize - 1)
	p := &decPage{host: unsafe.Pointer(&b.Mem[off])}
	s.dec[ppn] = p
	b.Code[off>>mem.PageShift] = 1
	return p
}

// invalidateCode drops the decoded copy of the words a store of size
// bytes at pa touched.
func (s *System) invalidateCode(pa uint64, size uint32) {
	p := s.dec[uint32(pa>>mem.PageShift)]
	if p == nil {
		return
	}
	first := (pa & (mem.PageSize - 1)) >> 2
	last := ((pa + uint64(size) - 1) & (mem.PageSize - 1)) >> 2
	for i := first; i <= last && i < uint64(len(p.ins)); i++ {
		p.ins[i].op = opDecode
	}
}

// ReadPhys and WritePhys give loaders and tests direct access to RAM.
func (s *System) WritePhys(pa uint64, data []byte) error {
	for len(data) > 0 {
		b := s.ram(pa)
		if b == nil {
			return fmt.Errorf("no memory at physical %#x", pa)
		}
		off := pa - b.Base
		n := copy(b.Mem[off:], data)
		for i := uint64(0); i < uint64(n); i += 4 {
			if b.Code[(off+i)>>mem.PageShift] != 0 {
				s.invalidateCode(pa+i, 4)
			}
		}
		// Bump the versions of the lines written, as a store would:
		// cached copies and LL reservations must see the change.
		for l := off >> s.lineShift; l <= (off+uint64(n)-1)>>s.lineShift; l++ {
			b.Ver[l]++
		}
		data = data[n:]
		pa += uint64(n)
	}
	return nil
}

// ReadPhys copies RAM into buf.
func (s *System) ReadPhys(pa uint64, buf []byte) error {
	for len(buf) > 0 {
		b := s.ram(pa)
		if b == nil {
			return fmt.Errorf("no memory at physical %#x", pa)
		}
		n := copy(buf, b.Mem[pa-b.Base:])
		buf = buf[n:]
		pa += uint64(n)
	}
	return nil
}

// Halt stops the machine with a status.
func (s *System) Halt(status int, reason string) {
	if !s.Halted {
		s.Halted = true
		s.ExitStatus = status
		s.HaltReason = reason
	}
}

// ZeroPage clears a physical page before it is reused and forgets any
// decoded code it held.
func (s *System) ZeroPage(pa uint64) {
	b := s.ram(pa)
	if b == nil {
		return
	}
	off := (pa - b.Base) &^ (mem.PageSize - 1)
	clear(b.Mem[off : off+mem.PageSize])
	for l := off >> s.lineShift; l < (off+mem.PageSize)>>s.lineShift; l++ {
		b.Ver[l]++
	}
	if b.Code[off>>mem.PageShift] != 0 {
		b.Code[off>>mem.PageShift] = 0
		delete(s.dec, uint32((b.Base+off)>>mem.PageShift))
	}
}
