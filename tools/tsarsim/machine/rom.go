package machine

import (
	. "almos/tools/tsarsim/internal/asm"
	"almos/tools/tsarsim/mem"
)

// BootROM returns the boot ROM image, the machine's preloader. Its
// contract with the loaded image (see README.md, "Boot contract"):
//
//   - every core starts at 0xBFC00000 in kernel mode with BEV and ERL set;
//   - core 0 (CPUNum 0, cluster (0,0)) jumps to the image entry with
//     a0 = CPUNum, a1 = the machine description (KSEG1 0xBFC10000),
//     sp = the stack word of the description, Status = BEV;
//   - every other core sets Status = BEV | IM2 and WAITs until its XICU
//     line is raised (its WTI mailbox is written: at reset WTI i is
//     unmasked on output i) and the system controller's BOOTADDR is
//     non-zero, then jumps there with a0 = CPUNum and a1 as above. The
//     WTI stays pending: the woken kernel acknowledges it by reading
//     WTI_REG.
//
// The BEV exception vectors report any exception through the system
// controller's PANIC register, which halts the machine with status 255.
func BootROM() []byte {
	var p Prog
	sysctl := uint32(0xA0000000 | mem.SysCtlBase)
	mdesc := uint32(0xA0000000 | mem.MDescBase)
	p.Emit(
		Mfc0(T0, 15, 1),         // EBase
		Andi(T0, T0, 0x3ff),     // CPUNum
		Lui(A1, mdesc>>16),      // machine description
		Bne(T0, ZERO, 8),        // secondary cores
		Lui(T1, 0x0040),         // delay slot: Status = BEV
		Mtc0(T1, 12, 0),         // (clears ERL)
		Lw(T2, A1, MDEntry),     // image entry
		Lw(SP, A1, MDStack),     // its stack
		Move(A0, T0),            //
		Jr(T2),                  //
		Nop(),                   //
		Nop(),                   //
		Nop(),                   //
		Ori(T1, T1, 0x0400),     // secondary: BEV | IM2
		Mtc0(T1, 12, 0),         //
		Lui(T3, sysctl>>16),     //
		Wait(),                  // wait:
		Lw(T2, T3, SysBootAddr), //
		Beq(T2, ZERO, -3),       //   until BOOTADDR is set
		Nop(),                   //
		Move(A0, T0),            //
		Jr(T2),                  //
		Nop(),                   //
	)
	if p.PC() != 4*23 {
		panic("boot ROM layout")
	}
	vector := []uint32{
		Lui(K0, sysctl>>16),
		Sw(ZERO, K0, SysPanic),
		Beq(ZERO, ZERO, -1),
		Nop(),
	}
	for p.PC() < 0x200 {
		p.Emit(Nop())
	}
	p.Emit(vector...) // 0x200: TLB refill
	for p.PC() < 0x380 {
		p.Emit(Nop())
	}
	p.Emit(vector...) // 0x380: general
	for p.PC() < 0x400 {
		p.Emit(Nop())
	}
	p.Emit(vector...) // 0x400: interrupt with Cause.IV
	return p.Bytes()
}
