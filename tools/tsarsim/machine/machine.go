// Package machine assembles the TSAR-like machine of tsarsim: an X x Y
// mesh of clusters, each with up to 4 cores, a memory bank and an XICU;
// the I/O cluster (0,0) adds the boot ROM, the machine description table,
// the TTY and the system controller. It loads an ELF image as TSAR's
// preloader would and runs the cores in small quanta in global time
// order, so a run is deterministic for the same inputs.
package machine

import (
	"fmt"
	"io"
	"os"

	"almos/tools/tsarsim/cpu"
	"almos/tools/tsarsim/mem"
	"almos/tools/tsarsim/tty"
	"almos/tools/tsarsim/xicu"
)

// Config describes a machine.
type Config struct {
	MeshX, MeshY int
	Cores        int // per cluster, 1..4
	BankSize     int // bytes per cluster bank
	Cache        bool
	ICache       mem.CacheConfig
	DCache       mem.CacheConfig
	Lat          mem.Latency
	Quantum      uint64 // cycles each core runs before the next one
	FreqHz       uint64 // simulated clock, for wall-time conversions
	TTYOut       io.Writer
	TTYChannels  int
	NoROM        bool // user-mode harness: no boot ROM, cores idle
}

// DefaultConfig is a 1x1 mesh of 4 cores with 64 MiB and caches on.
func DefaultConfig() Config {
	return Config{MeshX: 1, MeshY: 1, Cores: 4, BankSize: 64 << 20, Cache: true,
		ICache: mem.DefaultCache, DCache: mem.DefaultCache, Lat: mem.DefaultLatency,
		Quantum: 1000, FreqHz: 1_000_000_000, TTYChannels: 4}
}

// System controller registers (offsets from mem.SysCtlBase).
const (
	SysPowerOff = 0x00 // write: halt the machine with this status
	SysBootAddr = 0x04 // secondary cores jump here once it is non-zero
	SysPanic    = 0x08 // write: halt with status 255 and report the core's CP0 state
	SysCycleLo  = 0x10 // read: the reading core's cycle counter
	SysCycleHi  = 0x14
)

// Machine description table word offsets (from mem.MDescBase).
const (
	MDMagic      = 0x00 // "TSAR"
	MDVersion    = 0x04
	MDMeshX      = 0x08
	MDMeshY      = 0x0c
	MDCores      = 0x10 // cores per cluster
	MDBankSize   = 0x14
	MDClusterSh  = 0x18 // cluster field position in physical addresses
	MDXICUOffset = 0x1c // local offset of every cluster's XICU
	MDXICUConfig = 0x20 // the XICU CONFIG word
	MDTTY        = 0x24 // physical address of the TTY
	MDTTYChans   = 0x28
	MDSysCtl     = 0x2c
	MDROM        = 0x30
	MDFreq       = 0x34
	MDEntry      = 0x38 // entry of the loaded image
	MDStack      = 0x3c // initial stack pointer of core 0
	MDImageEnd   = 0x40 // first physical byte after the image in cluster 0
	MDTTYHWI     = 0x44 // HWI index of TTY channel 0 in the I/O cluster's XICU
	MDLineSize   = 0x48
	MDIOCluster  = 0x4c
	MDMagicValue = 0x52415354
)

// Machine is a built machine.
type Machine struct {
	Cfg    Config
	Sys    *cpu.System
	Cores  []*cpu.Core
	XICU   []*xicu.XICU // by dense cluster index
	TTY    *tty.TTY
	Now    uint64 // global time: every core has run up to here
	mdesc  [128]uint32
	boot   uint32
	Input  chan []byte // bytes for TTY channel 0 (nil: none)
	Report func(*Machine)
}

// New builds a machine.
func New(cfg Config) (*Machine, error) {
	if cfg.Cores < 1 || cfg.Cores > 4 {
		return nil, fmt.Errorf("cores per cluster %d: want 1..4", cfg.Cores)
	}
	if cfg.BankSize <= 0 || cfg.BankSize > mem.MaxBank || cfg.BankSize%mem.PageSize != 0 {
		return nil, fmt.Errorf("bank size %#x: want a multiple of 4 KiB up to %#x", cfg.BankSize, mem.MaxBank)
	}
	if cfg.Quantum == 0 {
		cfg.Quantum = 1000
	}
	if cfg.FreqHz == 0 {
		cfg.FreqHz = 1_000_000_000
	}
	if cfg.TTYChannels == 0 {
		cfg.TTYChannels = 1
	}
	if cfg.TTYOut == nil {
		cfg.TTYOut = os.Stdout
	}
	sys, err := cpu.NewSystem(cpu.Config{MeshX: cfg.MeshX, MeshY: cfg.MeshY, Cache: cfg.Cache,
		ICache: cfg.ICache, DCache: cfg.DCache, Lat: cfg.Lat})
	if err != nil {
		return nil, err
	}
	m := &Machine{Cfg: cfg, Sys: sys}
	for x := 0; x < cfg.MeshX; x++ {
		for y := 0; y < cfg.MeshY; y++ {
			id := mem.ClusterID(x, y)
			sys.AddBank(id, cfg.BankSize)
			var cores []*cpu.Core
			for l := 0; l < cfg.Cores; l++ {
				c := sys.NewCore(id, l)
				cores = append(cores, c)
				m.Cores = append(m.Cores, c)
			}
			xc := xicu.New(cores)
			m.XICU = append(m.XICU, xc)
			sys.AddDevice(uint64(id)<<mem.ClusterShift|mem.XICUOffset, mem.XICUSize, id, xc)
		}
	}
	m.TTY = tty.New(cfg.TTYChannels, cfg.TTYOut)
	io0 := m.XICU[0]
	m.TTY.IRQ = func(ch int, on bool) { io0.SetHWI(ch, on) }
	sys.AddDevice(mem.TTYBase, mem.PageSize, 0, m.TTY)
	sys.AddDevice(mem.SysCtlBase, mem.PageSize, 0, sysctl{m})
	sys.AddDevice(mem.MDescBase, mem.PageSize, 0, mdescDev{m})
	sys.Semihost = m.semihost
	m.initMDesc()
	if !cfg.NoROM {
		sys.SetROM(BootROM())
	}
	return m, nil
}

func (m *Machine) initMDesc() {
	cfg := m.Cfg
	d := &m.mdesc
	set := func(off int, v uint32) { d[off/4] = v }
	set(MDMagic, MDMagicValue)
	set(MDVersion, 1)
	set(MDMeshX, uint32(cfg.MeshX))
	set(MDMeshY, uint32(cfg.MeshY))
	set(MDCores, uint32(cfg.Cores))
	set(MDBankSize, uint32(cfg.BankSize))
	set(MDClusterSh, mem.ClusterShift)
	set(MDXICUOffset, mem.XICUOffset)
	set(MDXICUConfig, uint32(cfg.Cores)<<24|xicu.NWTI<<16|xicu.NHWI<<8|xicu.NPTI)
	set(MDTTY, mem.TTYBase)
	set(MDTTYChans, uint32(cfg.TTYChannels))
	set(MDSysCtl, mem.SysCtlBase)
	set(MDROM, mem.ROMBase)
	set(MDFreq, uint32(min(cfg.FreqHz, 1<<32-1)))
	set(MDStack, 0x80000000+uint32(cfg.BankSize)-64)
	set(MDTTYHWI, 0)
	set(MDLineSize, uint32(cfg.DCache.Line))
	set(MDIOCluster, 0)
}

type mdescDev struct{ m *Machine }

func (d mdescDev) Read(c *cpu.Core, off uint32, size int) uint32 {
	if int(off/4) >= len(d.m.mdesc) {
		return 0
	}
	w := d.m.mdesc[off/4]
	sh := 8 * (off & 3)
	switch size {
	case 1:
		return w >> sh & 0xff
	case 2:
		return w >> sh & 0xffff
	}
	return w
}

func (d mdescDev) Write(c *cpu.Core, off uint32, size int, v uint32) {}

type sysctl struct{ m *Machine }

func (s sysctl) Read(c *cpu.Core, off uint32, size int) uint32 {
	switch off {
	case SysBootAddr:
		return s.m.boot
	case SysCycleLo:
		return uint32(c.Cnt.Cycles)
	case SysCycleHi:
		return uint32(c.Cnt.Cycles >> 32)
	}
	return 0
}

func (s sysctl) Write(c *cpu.Core, off uint32, size int, v uint32) {
	switch off {
	case SysPowerOff:
		s.m.Sys.Halt(int(int32(v)), fmt.Sprintf("power-off by core %d", c.ID))
	case SysBootAddr:
		s.m.boot = v
	case SysPanic:
		s.m.Sys.Halt(255, fmt.Sprintf("unexpected exception in the boot ROM on core %d: Cause %#x EPC %#x BadVAddr %#x Status %#x",
			c.ID, c.Cause, c.EPC, c.BadVAddr, c.Status))
	}
}

// semihost serves UHI write (t9 = 5: a0 = fd, a1 = buffer, a2 = length)
// to the TTY output; exit (t9 = 1) is served by the core.
func (m *Machine) semihost(c *cpu.Core) bool {
	if c.R[25] != 5 {
		return false
	}
	buf := make([]byte, c.R[6])
	n := 0
	for i := range buf {
		v, ok := c.ReadVirt(c.R[5] + uint32(i))
		if !ok {
			break
		}
		buf[i] = v
		n++
	}
	m.Cfg.TTYOut.Write(buf[:n])
	c.R[2] = uint32(n)
	return true
}
