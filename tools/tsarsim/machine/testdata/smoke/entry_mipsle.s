#include "textflag.h"

// Register use: R4 = CPUNum (from the boot ROM), R5 = machine description.
#define TTY 0xBFC20000
#define SYSCTL 0xBFC30000

// putc prints the byte in R11. Clobbers R20.
#define PUTC MOVW $TTY, R20; MOVB R11, (R20)

TEXT ·entry(SB),NOSPLIT|NOFRAME,$0
	BEQ	R4, R0, core0
	JMP	·secondary(SB)
core0:
	// Core 0: BOOTADDR = secondary.
	MOVW	$·secondary(SB), R8
	MOVW	$SYSCTL, R9
	MOVW	R8, 4(R9)
	// Number of cores = X * Y * cores per cluster (mdesc words 2, 3, 4).
	MOVW	8(R5), R12      // X
	MOVW	12(R5), R13     // Y
	MOVW	16(R5), R14     // cores per cluster
	MOVW	R0, R15         // x
xloop:
	MOVW	R0, R16         // y
yloop:
	// Map cluster (x,y)'s XICU at VA 0xC0000000 through TLB entry 0:
	// PA = (x<<4|y)<<28 | 0x0F000000, uncached, dirty, valid, global.
	SLL	$4, R15, R17
	OR	R16, R17        // cluster id
	SLL	$22, R17, R18   // (id<<28)>>12<<6 = id<<22: PFN field
	MOVW	$(0x0F000<<6), R19
	OR	R19, R18
	OR	$0x17, R18      // C=2 uncached, D, V, G
	MOVW	R18, M2         // EntryLo0
	MOVW	$1, R19
	MOVW	R19, M3         // EntryLo1: invalid but global
	MOVW	$0xC0000000, R19
	MOVW	R19, M10        // EntryHi
	MOVW	R0, M5          // PageMask: 4 KiB
	MOVW	R0, M0          // Index 0
	TLBWI
	// Post mailbox l of that XICU for every core l, except core 0 of
	// cluster 0 (ourselves).
	MOVW	R0, R21         // l
lloop:
	OR	R17, R21, R22
	BEQ	R22, R0, skip
	MOVW	$0xC0000000, R19
	SLL	$2, R21, R22
	ADDU	R22, R19
	MOVW	$1, R22
	MOVW	R22, (R19)      // WTI_REG[l] = 1
skip:
	ADDU	$1, R21
	BNE	R21, R14, lloop
	ADDU	$1, R16
	BNE	R16, R13, yloop
	ADDU	$1, R15
	BNE	R15, R12, xloop

	JAL	·hello(SB)
	// Wait until every other core has checked in.
	MUL	R12, R13, R8
	MUL	R8, R14, R8
	SUBU	$1, R8
	MOVW	$·count(SB), R9
waitall:
	MOVW	(R9), R10
	BNE	R10, R8, waitall
	MOVW	$·doneMsg(SB), R10
	JAL	·puts(SB)
	MOVW	$SYSCTL, R9
	MOVW	$42, R10
	MOVW	R10, 0(R9)      // power off, status 42
	JMP	0(PC)

TEXT ·secondary(SB),NOSPLIT|NOFRAME,$0
	JAL	·hello(SB)
	MOVW	$·count(SB), R9
inc:
	LL	(R9), R10
	ADDU	$1, R10
	SC	R10, (R9)
	BEQ	R10, R0, inc
park:
	WORD	$0x42000020     // WAIT: interrupts stay masked, sleep for good
	JMP	park

// hello prints "core 0xNNN up\n" under the lock. R4 = CPUNum.
// Clobbers R9-R11, R20, R24, R25.
TEXT ·hello(SB),NOSPLIT|NOFRAME,$0
	MOVW	R31, R24
	MOVW	$·lock(SB), R9
acquire:
	LL	(R9), R10
	BNE	R10, R0, acquire
	MOVW	$1, R10
	SC	R10, (R9)
	BEQ	R10, R0, acquire
	MOVW	$·coreMsg(SB), R10
	JAL	·puts(SB)
	MOVW	$·hex(SB), R25
	SRL	$8, R4, R11
	AND	$15, R11
	ADDU	R25, R11
	MOVBU	(R11), R11
	PUTC
	SRL	$4, R4, R11
	AND	$15, R11
	ADDU	R25, R11
	MOVBU	(R11), R11
	PUTC
	AND	$15, R4, R11
	ADDU	R25, R11
	MOVBU	(R11), R11
	PUTC
	MOVW	$·upMsg(SB), R10
	JAL	·puts(SB)
	MOVW	$·lock(SB), R9
	MOVW	R0, (R9)        // release
	JMP	(R24)

// puts prints the NUL-terminated string at R10. Clobbers R10, R11, R20.
TEXT ·puts(SB),NOSPLIT|NOFRAME,$0
ploop:
	MOVBU	(R10), R11
	BEQ	R11, R0, pdone
	PUTC
	ADDU	$1, R10
	JMP	ploop
pdone:
	JMP	(R31)

DATA ·hex+0(SB)/8, $"01234567"
DATA ·hex+8(SB)/8, $"89abcdef"
GLOBL ·hex(SB), RODATA, $16
DATA ·coreMsg+0(SB)/8, $"core 0x\x00"
GLOBL ·coreMsg(SB), RODATA, $8
DATA ·upMsg+0(SB)/4, $" up\n"
DATA ·upMsg+4(SB)/4, $"\x00\x00\x00\x00"
GLOBL ·upMsg(SB), RODATA, $8
DATA ·doneMsg+0(SB)/8, $"all up\n\x00"
GLOBL ·doneMsg(SB), RODATA, $8
GLOBL ·lock(SB), NOPTR, $4
GLOBL ·count(SB), NOPTR, $4
