#include "textflag.h"

#define BOOTSTACK 131072

// _kentry is the ELF entry: QEMU's boot loader (or a firmware) jumps here
// on every core that comes through it, with a0-a3 describing the command
// line and memory. Core 0 boots the kernel; any other core parks until SMP
// bring-up calls it.
TEXT _kentry(SB),NOSPLIT|NOFRAME,$0
	MOVW	M9, R8                 // Count at entry: the origin of boot time
	WORD	$0x40097801            // mfc0 t1, EBase
	AND	$0x3ff, R9
	BNE	R9, R0, secondary
	MOVW	R8, ·entryCount(SB)
	MOVW	R4, ·loaderArgs+0(SB)
	MOVW	R5, ·loaderArgs+4(SB)
	MOVW	R6, ·loaderArgs+8(SB)
	MOVW	R7, ·loaderArgs+12(SB)
	// A machine whose RAM ends before the image does (QEMU -m 4) would run
	// into a bss and a boot stack that are not there: say so on the UART
	// and power off. a3 is the loader's low RAM size (0: not given).
	BEQ	R7, R0, sizeok
	MOVW	$runtime·end(SB), R8
	MOVW	$0x1fffffff, R9
	AND	R9, R8
	SUBU	R8, R7, R9
	BLTZ	R9, toosmall
sizeok:
	// The boot stack, and a fake g describing it so that the stack
	// checks of the Go code of early boot work before the runtime exists.
	MOVW	$·bootStack(SB), R8
	MOVW	$·bootG(SB), g
	MOVW	R8, 0(g)
	MOVW	$BOOTSTACK, R9
	ADDU	R8, R9
	MOVW	R9, 4(g)
	ADDU	$4096, R8, R10
	MOVW	R10, 8(g)
	MOVW	R10, 12(g)
	ADDU	$-16, R9, R29
	JAL	·early(SB)
	// early returns the stack pointer of the runtime's start frame.
	MOVW	4(R29), R29
	MOVW	R0, g
	JMP	_rt0_mipsle_linux(SB)

secondary:
	JMP	·secondaryEntry(SB)

toosmall:
	MOVW	$·tooSmallText(SB), R8
	MOVW	$0xb80003f8, R10       // malta's 16550: THR, LSR at +5
putc:
	MOVBU	0(R8), R11
	BEQ	R11, R0, off
txwait:
	MOVBU	5(R10), R12
	AND	$0x20, R12             // LSR.THRE
	BEQ	R12, R0, txwait
	MOVB	R11, 0(R10)
	ADDU	$1, R8
	JMP	putc
off:
	// Semihosting (a0 = -1 from QEMU's loader): exit with status 5,
	// diag.StatusTooSmall. Else reset the board (QEMU with -no-reboot
	// exits).
	MOVW	$-1, R9
	BNE	R4, R9, reset
	MOVW	$5, R4
	MOVW	$1, R25
	WORD	$0x7000007f            // sdbbp 1: UHI exit
reset:
	MOVW	$0xbf000500, R9        // malta's board reset register
	MOVW	$0x42, R10
	MOVW	R10, 0(R9)
	JMP	0(PC)

// secondaryEntry is where a core other than 0 waits: cores 1-7 arrive from
// the reset stub the CPC starts them at, cores 8-15 from QEMU's boot loader.
// It spins on its slot of ·release until SMP bring-up stores the address of
// the core's EBase block there, then runs ·secondaryMain on the core's trap
// stack with the block's fake g. Interrupts are off (BEV and ERL are set at
// reset), so the loop only loads.
TEXT ·secondaryEntry(SB),NOSPLIT|NOFRAME,$0
	WORD	$0x40097801            // mfc0 t1, EBase
	AND	$0x3ff, R9
	SLL	$2, R9, R10
	MOVW	$·release(SB), R11
	ADDU	R10, R11
	// Read the slot through KSEG1: this core's caches are not set up.
	MOVW	$0x20000000, R12
	OR	R12, R11
wait:
	MOVW	0(R11), R12
	BEQ	R12, R0, wait
	MOVW	0x408(R12), R29        // Block.TrapSP
	MOVW	0x40c(R12), g          // Block.TrapG
	MOVW	R12, 4(R29)
	JAL	·secondaryMain(SB)
	JMP	0(PC)

// Linker symbols bounding the image.
TEXT ·imageBounds(SB),NOSPLIT,$0-8
	MOVW	$runtime·text(SB), R1
	MOVW	R1, start+0(FP)
	MOVW	$runtime·end(SB), R1
	MOVW	R1, end+4(FP)
	RET

// kentry returns the address of _kentry, where the reset stub jumps.
TEXT ·kentry(SB),NOSPLIT,$0-4
	MOVW	$_kentry(SB), R1
	MOVW	R1, ret+0(FP)
	RET

// tooSmallText is the line _kentry prints when RAM ends before the image
// does (NUL-terminated bytes, little-endian words). It sits in the text
// segment, which is loaded below the data, so that it is there when the
// data and bss are not. boot's TestTooSmallText checks that it names
// cmdline.MinRAM.
TEXT ·tooSmallText(SB),NOSPLIT|NOFRAME,$0
	WORD	$0x4c410a0d
	WORD	$0x3a534f4d
	WORD	$0x65687420
	WORD	$0x72656b20
	WORD	$0x206c656e
	WORD	$0x67616d69
	WORD	$0x6f642065
	WORD	$0x6e207365
	WORD	$0x6620746f
	WORD	$0x69207469
	WORD	$0x6874206e
	WORD	$0x6d207369
	WORD	$0x69686361
	WORD	$0x7327656e
	WORD	$0x4d415220
	WORD	$0x4c41203b
	WORD	$0x20534f4d
	WORD	$0x6465656e
	WORD	$0x74612073
	WORD	$0x61656c20
	WORD	$0x33207473
	WORD	$0x694d2032
	WORD	$0x51282042
	WORD	$0x20554d45
	WORD	$0x33206d2d
	WORD	$0x0a0d2932
	WORD	$0x00000000
