package boot

import (
	"almos/arch/mips32"
	"almos/kernel/ktime"
)

// The malta board: a GT64120 system controller, a PIIX4 south bridge with
// its ISA devices (16550 UART, i8254 PIT, i8259 PICs, MC146818 RTC, ACPI
// power management), RAM below the I/O hole and, entirely, at physical
// 0x80000000.
const (
	isaBase      = 0xB8000000 // PCI I/O space through KSEG1
	gtBase       = 0xBBE00000 // GT64120 registers
	boardReset   = 0xBF000500 // writing 0x42 resets the board
	ramHighAlias = 0x80000000 // all of RAM, reachable through the TLB
)

func inb(port uintptr) uint8     { return mips32.Read8(isaBase + port) }
func outb(port uintptr, v uint8) { mips32.Write8(isaBase+port, v) }

// maskPICs masks every line of both i8259s: nothing the kernel does not
// drive may interrupt it.
func maskPICs() {
	outb(0x21, 0xff)
	outb(0xa1, 0xff)
}

// pitCount latches and reads i8254 channel 0.
func pitCount() uint16 {
	outb(0x43, 0x00) // latch channel 0
	lo := inb(0x40)
	hi := inb(0x40)
	return uint16(hi)<<8 | uint16(lo)
}

// pitHz is the i8254's input clock.
const pitHz = 1193182

// calibrate measures the frequency of CP0 Count (and of a second counter,
// when other is not nil) against the i8254 PIT: the median of three windows
// of ms milliseconds.
func calibrate(ms int, other func() uint64) (countHz, otherHz uint64) {
	// Channel 0, lobyte/hibyte, mode 2 (rate generator), binary, count
	// 65536: it counts down continuously, wrapping every 55 ms.
	outb(0x43, 0x34)
	outb(0x40, 0)
	outb(0x40, 0)
	var c, o [3]uint64
	for i := range c {
		c[i], o[i] = calibrateOnce(ms, other)
	}
	return median3(c), median3(o)
}

func median3(v [3]uint64) uint64 {
	a, b, c := v[0], v[1], v[2]
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	if a > b {
		return a
	}
	return b
}

// pitSample reads the PIT, the counters, and the PIT again. The sample is
// good when the two PIT readings are within two ticks: the core was not
// held up (descheduled by the host, under an emulator) in between.
func pitSample(other func() uint64) (pit uint16, count uint32, o uint64, good bool) {
	a := pitCount()
	count = mips32.Count()
	if other != nil {
		o = other()
	}
	b := pitCount()
	return a, count, o, uint16(a-b) <= 2
}

func calibrateOnce(ms int, other func() uint64) (countHz, otherHz uint64) {
	target := uint64(pitHz) * uint64(ms) / 1000
	var p0 uint16
	var c0 uint32
	var o0 uint64
	for ok := false; !ok; {
		p0, c0, o0, ok = pitSample(other)
	}
	prev, elapsed := p0, uint64(0)
	advance := func(cur uint16) {
		elapsed += uint64(uint16(prev - cur))
		prev = cur
	}
	for elapsed < target {
		advance(pitCount())
	}
	var p1 uint16
	var c1 uint32
	var o1 uint64
	for ok := false; !ok; {
		p1, c1, o1, ok = pitSample(other)
		advance(p1)
	}
	countHz = uint64(c1-c0) * pitHz / elapsed
	if other != nil {
		otherHz = (o1 - o0) * pitHz / elapsed
	}
	return
}

// rtcRead reads MC146818 register r.
func rtcRead(r uint8) uint8 {
	outb(0x70, r)
	return inb(0x71)
}

func bcd(v uint8) int { return int(v>>4)*10 + int(v&0xf) }

// readRTC returns the wall-clock time in seconds since 1970 from the RTC.
func readRTC() int64 {
	// Wait for an update cycle to end, so the fields are consistent.
	for i := 0; i < 1000000 && rtcRead(0x0a)&0x80 != 0; i++ {
	}
	sec, min, hour := rtcRead(0), rtcRead(2), rtcRead(4)
	day, mon, year := rtcRead(7), rtcRead(8), rtcRead(9)
	cent := rtcRead(0x32)
	regB := rtcRead(0x0b)
	binary := regB&0x04 != 0
	conv := func(v uint8) int {
		if binary {
			return int(v)
		}
		return bcd(v)
	}
	pm := hour&0x80 != 0
	h := conv(hour & 0x7f)
	if regB&0x02 == 0 { // 12-hour mode
		if h == 12 {
			h = 0
		}
		if pm {
			h += 12
		}
	}
	y := conv(year)
	c := conv(cent)
	if c >= 19 && c <= 21 {
		y += c * 100
	} else {
		y += 2000
	}
	return ktime.UnixFromCivil(y, conv(mon), conv(day), h, conv(min), conv(sec))
}

// pciConfigWrite and pciConfigRead reach PCI configuration space through
// the GT64120 (bus 0).
func pciConfigWrite(addr, v uint32) {
	mips32.Write32(gtBase+0xcf8, addr)
	mips32.Write32(gtBase+0xcfc, v)
}

func pciConfigRead(addr uint32) uint32 {
	mips32.Write32(gtBase+0xcf8, addr)
	return mips32.Read32(gtBase + 0xcfc)
}

// acpiPowerOff turns the machine off through the PIIX4's power management
// (function 3): power-management I/O at 0x1000, then SLP_TYP = soft-off with
// SLP_EN in the PM1a control register.
func acpiPowerOff() {
	pciConfigWrite(0x80005340, 0x1001) // PMBA
	v := pciConfigRead(0x80005380)     // PMREGMISC
	pciConfigWrite(0x80005380, v|1)    // PMIOSE: I/O space enable
	mips32.Write16(isaBase+0x1004, 0x2000)
}

// resetBoard resets the malta (QEMU exits when run with -no-reboot).
func resetBoard() {
	mips32.Write32(boardReset, 0x42)
}
