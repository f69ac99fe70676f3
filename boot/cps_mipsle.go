package boot

import "almos/arch/mips32"

// The P5600's Coherent Processing System as QEMU models it: the Global
// Configuration Registers (GCR) of the Coherence Manager, the Cluster Power
// Controller (CPC) that starts and stops cores, and the Global Interrupt
// Controller (GIC) with its shared 64-bit counter.
const (
	gcrBase = 0xBFBF8000
	gicPhys = 0x1BDC0000
	cpcPhys = 0x1BDE0000
	gicBase = 0xA0000000 | gicPhys
	cpcBase = 0xA0000000 | cpcPhys

	gcrGICBase     = 0x80
	gcrCPCBase     = 0x88
	gcrCLConfig    = 0x2010
	gcrCLOther     = 0x2018
	gcrCOResetBase = 0x4020

	gicShConfig  = 0x0000
	gicShCounter = 0x0010
)

// cpsInit enables the GIC and the CPC and returns the number of cores (QEMU
// models -smp N as N virtual processors of one core; each is a core to the
// kernel).
func cpsInit() int {
	mips32.Write32(gcrBase+gcrGICBase, gicPhys|1)
	mips32.Write32(gcrBase+gcrCPCBase, cpcPhys|1)
	// Make sure the shared counter runs (COUNTSTOP is bit 28).
	cfg := mips32.Read32(gicBase + gicShConfig)
	mips32.Write32(gicBase+gicShConfig, cfg&^(1<<28))
	n := int(mips32.Read32(gcrBase+gcrCLConfig)&0x3ff) + 1
	if n > mips32.MaxCPU {
		n = mips32.MaxCPU
	}
	return n
}

// gicCounter reads the GIC's shared 64-bit counter: high, low, high again so
// that a carry between the two reads is seen.
func gicCounter() uint64 {
	for {
		hi := mips32.Read32(gicBase + gicShCounter + 4)
		lo := mips32.Read32(gicBase + gicShCounter)
		if mips32.Read32(gicBase+gicShCounter+4) == hi {
			return uint64(hi)<<32 | uint64(lo)
		}
	}
}
