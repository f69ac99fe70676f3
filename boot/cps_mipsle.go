package boot

import (
	"almos/arch/mips32"
	"almos/kernel/ktime"
)

// The P5600's Coherent Processing System as QEMU models it: the Global
// Configuration Registers (GCR) of the Coherence Manager, the Cluster Power
// Controller (CPC) that starts and stops cores, and the Global Interrupt
// Controller (GIC) with its shared counter.
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
	gicCounterBits = 32 + 4*(cfg>>24&0xf)
	n := int(mips32.Read32(gcrBase+gcrCLConfig)&0x3ff) + 1
	if n > mips32.MaxCPU {
		n = mips32.MaxCPU
	}
	for v := 0; v < n; v++ {
		quietLocal(uint32(v))
	}
	return n
}

// gicCounter reads the GIC's shared counter as 64 bits. Its width is
// 32+4*COUNTBITS (GIC_SH_CONFIG bits 27:24): QEMU's counter is 32 bits and
// its high word reads 0, so it wraps every 43 s at 100 MHz and is widened in
// software; a wider counter is read high, low, high again so that a carry
// between the two reads is seen.
func gicCounter() uint64 {
	if gicCounterBits <= 32 {
		return gicWide.Read(gicCounterLow)
	}
	for {
		hi := mips32.Read32(gicBase + gicShCounter + 4)
		lo := mips32.Read32(gicBase + gicShCounter)
		if mips32.Read32(gicBase+gicShCounter+4) == hi {
			return uint64(hi)<<32 | uint64(lo)
		}
	}
}

var (
	gicCounterBits uint32 // set by cpsInit
	gicWide        ktime.Wide32
)

func gicCounterLow() uint32 { return mips32.Read32(gicBase + gicShCounter) }

// GIC VP-local registers: each VP's own at gicLocal, another's (chosen by
// writing its number to gicLocal+gicVPOtherAddr) at gicOther.
const (
	gicLocal          = 0x8000
	gicOther          = 0xC000
	gicVPPend         = 0x04
	gicVPMask         = 0x08
	gicVPRMask        = 0x0C // write 1s to mask local sources
	gicVPCompareMap   = 0x44
	gicVPOtherAddr    = 0x80
	gicVPCompareLo    = 0xA0
	gicVPLocalSources = 0x3F // WD, compare, timer, perf counter, software 0 and 1
)

// quietLocal masks every VP-local interrupt source of VP v. At reset the
// GIC enables each VP's compare interrupt on pin 0 with compare at
// 0xFFFFFFFF: when the 32-bit shared counter gets there (43 s after reset at
// 100 MHz) every core's IP2 would rise and stay up, since nothing here
// programs the GIC compare. Writing compare acknowledges one already
// pending; unmapping it keeps it off the pins for good.
func quietLocal(v uint32) {
	mips32.Write32(gicBase+gicLocal+gicVPOtherAddr, v)
	mips32.Write32(gicBase+gicOther+gicVPRMask, gicVPLocalSources)
	mips32.Write32(gicBase+gicOther+gicVPCompareLo, 0xFFFFFFFF)
	mips32.Write32(gicBase+gicOther+gicVPCompareMap, 0)
}

// GIC shared-interrupt registers used for IPIs.
const (
	gicShWedge   = 0x0280 // write 0x80000000|i to raise interrupt i, i to lower it
	gicShSmask   = 0x0380 // set mask, one bit per interrupt
	gicShPend    = 0x0480 // pending, one bit per interrupt
	gicShMapPin  = 0x0500 // + 4*i: 0x80000000 | pin
	gicShMapVP   = 0x2000 // + 32*i: bit per VP
	ipiBase      = 32     // interrupt 32+core is core's IPI; inputs below carry devices
	ipiPin       = 0      // GIC pin 0 raises Cause.IP2
	cpcVPRun     = 0x2028 // CPC_CL_VP_RUN: start the VPs in the mask
	cpcVPRunning = 0x2030
)

// routeIPIs makes interrupt 32+v reach core v on pin 0, unmasked.
func routeIPIs(n int) {
	for v := 0; v < n; v++ {
		i := uintptr(ipiBase + v)
		mips32.Write32(gicBase+gicShMapPin+4*i, 0x80000000|ipiPin)
		mips32.Write32(gicBase+gicShMapVP+32*i, 1<<uint(v))
		mips32.Write32(gicBase+gicShWedge, uint32(i)) // lowered
		mips32.Write32(gicBase+gicShSmask+4*(i/32), 1<<(i%32))
	}
}

// sendIPI raises core id's IPI.
func sendIPI(id uint32) {
	mips32.Write32(gicBase+gicShWedge, 0x80000000|(ipiBase+id))
}

// takeIPI lowers core id's IPI if it is pending and reports whether it was.
func takeIPI(id uint32) bool {
	i := uintptr(ipiBase + id)
	if mips32.Read32(gicBase+gicShPend+4*(i/32))&(1<<(i%32)) == 0 {
		return false
	}
	mips32.Write32(gicBase+gicShWedge, uint32(i))
	return true
}

// startVPs starts VPs 1..n-1 through the CPC. VPs 1-7 start at reset, the
// kernel's stub; QEMU's GCR_CL_OTHER selects only VPs 0-7, so VPs 8 and up
// start at the board's reset vector, run its boot loader and reach the
// kernel's entry from there.
func startVPs(n int, reset uint32) {
	var mask uint32
	for v := 1; v < n; v++ {
		if v < 8 {
			mips32.Write32(gcrBase+gcrCLOther, uint32(v))
			mips32.Write32(gcrBase+gcrCOResetBase, reset)
		}
		mask |= 1 << uint(v)
	}
	if mask != 0 {
		mips32.Write32(cpcBase+cpcVPRun, mask)
	}
}
