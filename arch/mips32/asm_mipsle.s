// Exception entry and exit, and the CP0, TLB, cache and MMIO primitives that
// Go cannot express. The Go assembler has no mnemonics for mfc0/mtc0 with a
// select, eret, ehb, wait, di/ei, synci, cache or sdbbp: those are WORD
// encodings, each with its instruction in a comment.

#include "textflag.h"

// Offsets in Block and Frame (see block.go, frame.go; checked by tests).
#define B_CURFRAME 0x400
#define B_INTRAP 0x404
#define B_TRAPSP 0x408
#define B_TRAPG 0x40c
#define B_NESTFRAME 0x410
#define B_NESTSP 0x414
#define B_TRAPS 0x41c
#define B_NESTG 0x420
#define B_PAGEDBASE 0x424
#define B_PAGEDSIZE 0x428
#define B_PAGEDTBL 0x42c
#define B_SCRATCH 0x430

#define F_HI 128
#define F_LO 132
#define F_EPC 136
#define F_STATUS 140
#define F_CAUSE 144
#define F_BADVA 148

// mfc0 k0, EBase (CP0 15, select 1)
#define MFC0_K0_EBASE WORD $0x401a7801
#define EHB WORD $0x000000c0
#define ERET WORD $0x42000018

// SAVE_GPRS stores every general register but zero, k0 and k1 at the frame
// addressed by R27 (k1).
#define SAVE_GPRS \
	MOVW	R1, 4(R27) ; \
	MOVW	R2, 8(R27) ; \
	MOVW	R3, 12(R27) ; \
	MOVW	R4, 16(R27) ; \
	MOVW	R5, 20(R27) ; \
	MOVW	R6, 24(R27) ; \
	MOVW	R7, 28(R27) ; \
	MOVW	R8, 32(R27) ; \
	MOVW	R9, 36(R27) ; \
	MOVW	R10, 40(R27) ; \
	MOVW	R11, 44(R27) ; \
	MOVW	R12, 48(R27) ; \
	MOVW	R13, 52(R27) ; \
	MOVW	R14, 56(R27) ; \
	MOVW	R15, 60(R27) ; \
	MOVW	R16, 64(R27) ; \
	MOVW	R17, 68(R27) ; \
	MOVW	R18, 72(R27) ; \
	MOVW	R19, 76(R27) ; \
	MOVW	R20, 80(R27) ; \
	MOVW	R21, 84(R27) ; \
	MOVW	R22, 88(R27) ; \
	MOVW	R23, 92(R27) ; \
	MOVW	R24, 96(R27) ; \
	MOVW	R25, 100(R27) ; \
	MOVW	R28, 112(R27) ; \
	MOVW	R29, 116(R27) ; \
	MOVW	g, 120(R27) ; \
	MOVW	R31, 124(R27) ; \
	MOVW	HI, R8 ; \
	MOVW	R8, F_HI(R27) ; \
	MOVW	LO, R8 ; \
	MOVW	R8, F_LO(R27) ; \
	MOVW	M14, R8 ; \
	MOVW	R8, F_EPC(R27) ; \
	MOVW	M12, R8 ; \
	MOVW	R8, F_STATUS(R27) ; \
	MOVW	M13, R8 ; \
	MOVW	R8, F_CAUSE(R27) ; \
	MOVW	M8, R8 ; \
	MOVW	R8, F_BADVA(R27)

// trapEntry is where every vector of every core jumps (the vectors hold
// "j trapEntry; nop"). It runs with EXL set, so interrupts are off and the
// TLB-mapped kernel heap is still reachable. It saves the interrupted thread
// into the current frame, switches to the core's trap stack and fake g, and
// calls the Go handler. The handler may change the current frame (a thread
// switch): the exit restores whatever frame is current then.
TEXT ·trapEntry(SB),NOSPLIT|NOFRAME,$0
	MFC0_K0_EBASE
	SRL	$12, R26
	SLL	$12, R26
	MOVW	B_INTRAP(R26), R27
	BNE	R27, R0, nested
	// From here an exception is the kernel's own: mark it before touching
	// memory, so a bad current frame cannot loop through this path.
	MOVW	$1, R27
	MOVW	R27, B_INTRAP(R26)
	MOVW	B_CURFRAME(R26), R27
	BEQ	R27, R0, nested
	SAVE_GPRS
	// Leave exception level (interrupts stay off: IE cleared too) so that
	// an exception in the Go handler records its own EPC and BadVAddr
	// instead of being lost under EXL.
	MOVW	M12, R8
	AND	$~0x1f, R8 // clear IE, EXL, ERL, KSU
	MOVW	R8, M12
	EHB
	MOVW	B_TRAPS(R26), R8
	ADDU	$1, R8
	MOVW	R8, B_TRAPS(R26)
	MOVW	B_TRAPSP(R26), R29
	MOVW	B_TRAPG(R26), g
	MOVW	R26, 4(R29)
	JAL	·dispatch(SB)
	JMP	·trapReturn(SB)

nested:
	// An exception while the Go handler runs: the kernel itself faulted.
	// Keep the interrupted thread's frame intact and report from a stack of
	// its own.
	MOVW	B_NESTFRAME(R26), R27
	SAVE_GPRS
	MOVW	B_NESTSP(R26), R29
	MOVW	B_NESTG(R26), g
	MOVW	R26, 4(R29)
	JAL	·dispatchNested(SB)
	JMP	0(PC)

// refillEntry is the TLB refill vector's target. A miss in the paged space
// (BadVAddr in [PagedBase, PagedBase+PagedSize)) loads the pair of page
// table entries of BadVAddr>>13 into a random TLB entry and returns: a page
// without a frame loads as invalid, and the retried access then takes a TLB
// invalid exception, which the trap entry turns into a page fault. Any other
// miss goes to the trap entry as before. It uses k0, k1 and at (saved in the
// block) and touches only the block (KSEG0) and the table (in the wired
// heap window), so it never misses itself. PageMask must be 0 (4 KiB pages).
TEXT ·refillEntry(SB),NOSPLIT|NOFRAME,$0
	MFC0_K0_EBASE
	SRL	$12, R26
	SLL	$12, R26
	MOVW	R1, B_SCRATCH(R26)
	MOVW	M8, R27                // BadVAddr
	MOVW	B_PAGEDBASE(R26), R1
	SUBU	R1, R27                // offset into the space: negative or past the end is outside
	BLTZ	R27, refillOutside
	MOVW	B_PAGEDSIZE(R26), R1
	SUBU	R1, R27, R1
	BGEZ	R1, refillOutside
	SRL	$13, R27
	SLL	$3, R27
	MOVW	B_PAGEDTBL(R26), R1
	ADDU	R1, R27
	MOVW	0(R27), R1
	MOVW	R1, M2                 // EntryLo0
	MOVW	4(R27), R1
	MOVW	R1, M3                 // EntryLo1
	MOVW	B_SCRATCH(R26), R1
	EHB
	TLBWR
	EHB
	ERET
refillOutside:
	MOVW	B_SCRATCH(R26), R1
	JMP	·trapEntry(SB)

// trapReturn restores the current frame of this core and returns to it. It
// is also how a core enters its first thread.
TEXT ·trapReturn(SB),NOSPLIT|NOFRAME,$0
	MFC0_K0_EBASE
	SRL	$12, R26
	SLL	$12, R26
	MOVW	B_CURFRAME(R26), R27
	MOVW	F_HI(R27), R8
	MOVW	R8, HI
	MOVW	F_LO(R27), R8
	MOVW	R8, LO
	// Restore Status with EXL forced on first: it stays on until eret, so
	// no interrupt can arrive while the registers are half restored, and
	// EPC is not overwritten once set.
	MOVW	F_STATUS(R27), R8
	OR	$2, R8
	MOVW	R8, M12
	EHB
	MOVW	F_EPC(R27), R8
	MOVW	R8, M14
	EHB
	MOVW	R0, B_INTRAP(R26)
	MOVW	4(R27), R1
	MOVW	8(R27), R2
	MOVW	12(R27), R3
	MOVW	16(R27), R4
	MOVW	20(R27), R5
	MOVW	24(R27), R6
	MOVW	28(R27), R7
	MOVW	32(R27), R8
	MOVW	36(R27), R9
	MOVW	40(R27), R10
	MOVW	44(R27), R11
	MOVW	48(R27), R12
	MOVW	52(R27), R13
	MOVW	56(R27), R14
	MOVW	60(R27), R15
	MOVW	64(R27), R16
	MOVW	68(R27), R17
	MOVW	72(R27), R18
	MOVW	76(R27), R19
	MOVW	80(R27), R20
	MOVW	84(R27), R21
	MOVW	88(R27), R22
	MOVW	92(R27), R23
	MOVW	96(R27), R24
	MOVW	100(R27), R25
	MOVW	112(R27), R28
	MOVW	116(R27), R29
	MOVW	120(R27), g
	MOVW	124(R27), R31
	ERET

// idleLoop is the body of each core's idle thread: wait for an interrupt
// with interrupts enabled (a wait with IE clear never wakes on QEMU).
TEXT ·idleLoop(SB),NOSPLIT|NOFRAME,$0
	WORD	$0x42000020 // wait
	JMP	·idleLoop(SB)

// sigreturnTramp is where a signal handler returns: it asks for
// rt_sigreturn, which restores the interrupted context.
TEXT ·sigreturnTramp(SB),NOSPLIT|NOFRAME,$0
	MOVW	$4193, R2
	SYSCALL
	JMP	0(PC)

TEXT ·RefillEntryAddr(SB),NOSPLIT,$0-4
	MOVW	$·refillEntry(SB), R1
	MOVW	R1, ret+0(FP)
	RET

// Addresses of the above, for the vectors and for thread set-up.
TEXT ·TrapEntryAddr(SB),NOSPLIT,$0-4
	MOVW	$·trapEntry(SB), R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·TrapReturnAddr(SB),NOSPLIT,$0-4
	MOVW	$·trapReturn(SB), R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·IdleLoopAddr(SB),NOSPLIT,$0-4
	MOVW	$·idleLoop(SB), R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·SigreturnAddr(SB),NOSPLIT,$0-4
	MOVW	$·sigreturnTramp(SB), R1
	MOVW	R1, ret+0(FP)
	RET

// EnterFrame makes f the current frame of this core and enters it, as if
// returning from a trap. It is how the boot core starts its first thread and
// how other cores start their idle thread. It does not return.
TEXT ·EnterFrame(SB),NOSPLIT|NOFRAME,$0-4
	MOVW	f+0(FP), R8
	MFC0_K0_EBASE
	SRL	$12, R26
	SLL	$12, R26
	MOVW	R8, B_CURFRAME(R26)
	JMP	·trapReturn(SB)

// CP0 access.
TEXT ·Status(SB),NOSPLIT,$0-4
	MOVW	M12, R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·SetStatus(SB),NOSPLIT,$0-4
	MOVW	v+0(FP), R1
	MOVW	R1, M12
	EHB
	RET

TEXT ·Cause(SB),NOSPLIT,$0-4
	MOVW	M13, R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·SetCause(SB),NOSPLIT,$0-4
	MOVW	v+0(FP), R1
	MOVW	R1, M13
	EHB
	RET

TEXT ·Count(SB),NOSPLIT,$0-4
	MOVW	M9, R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·SetCompare(SB),NOSPLIT,$0-4
	MOVW	v+0(FP), R1
	MOVW	R1, M11
	EHB
	RET

TEXT ·PRId(SB),NOSPLIT,$0-4
	MOVW	M15, R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·EBase(SB),NOSPLIT,$0-4
	WORD	$0x40017801 // mfc0 at, $15, 1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·SetEBase(SB),NOSPLIT,$0-4
	MOVW	v+0(FP), R1
	WORD	$0x40817801 // mtc0 at, $15, 1
	EHB
	RET

// CPUNum is EBase.CPUNum: the number of the core running this code.
TEXT ·CPUNum(SB),NOSPLIT,$0-4
	WORD	$0x40017801 // mfc0 at, $15, 1
	AND	$0x3ff, R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·Config(SB),NOSPLIT,$0-4
	MOVW	M16, R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·SetConfig(SB),NOSPLIT,$0-4
	MOVW	v+0(FP), R1
	MOVW	R1, M16
	EHB
	RET

TEXT ·Config1(SB),NOSPLIT,$0-4
	WORD	$0x40018001 // mfc0 at, $16, 1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·Config2(SB),NOSPLIT,$0-4
	WORD	$0x40018002 // mfc0 at, $16, 2
	MOVW	R1, ret+0(FP)
	RET

TEXT ·Config3(SB),NOSPLIT,$0-4
	WORD	$0x40018003 // mfc0 at, $16, 3
	MOVW	R1, ret+0(FP)
	RET

TEXT ·IntCtl(SB),NOSPLIT,$0-4
	WORD	$0x40016001 // mfc0 at, $12, 1
	MOVW	R1, ret+0(FP)
	RET

// CMGCRBase is CP0 15 select 3: the physical base of the GCR, shifted right
// by 4.
TEXT ·CMGCRBase(SB),NOSPLIT,$0-4
	WORD	$0x40017803 // mfc0 at, $15, 3
	MOVW	R1, ret+0(FP)
	RET

// DisableInterrupts clears Status.IE and returns the previous Status.
TEXT ·DisableInterrupts(SB),NOSPLIT,$0-4
	WORD	$0x41616000 // di at
	EHB
	MOVW	R1, ret+0(FP)
	RET

// RestoreInterrupts puts back Status.IE as saved by DisableInterrupts.
TEXT ·RestoreInterrupts(SB),NOSPLIT,$0-4
	MOVW	s+0(FP), R1
	AND	$1, R1
	BEQ	R1, off
	WORD	$0x41606020 // ei
	EHB
off:
	RET

// Wait executes wait: the core sleeps until an interrupt is pending.
TEXT ·Wait(SB),NOSPLIT,$0
	WORD	$0x42000020
	RET

// TLB access: WriteTLB writes entry index with the given EntryHi, EntryLo0,
// EntryLo1 and PageMask.
TEXT ·WriteTLB(SB),NOSPLIT,$0-20
	MOVW	index+0(FP), R1
	MOVW	R1, M0
	MOVW	hi+4(FP), R1
	MOVW	R1, M10
	MOVW	lo0+8(FP), R1
	MOVW	R1, M2
	MOVW	lo1+12(FP), R1
	MOVW	R1, M3
	MOVW	mask+16(FP), R1
	MOVW	R1, M5
	EHB
	TLBWI
	EHB
	RET

// UpdateTLB rewrites the TLB entry whose VPN2 is hi's (ASID 0), if this
// core's TLB holds one, with lo0 and lo1 (4 KiB pages); it leaves the TLB
// alone otherwise (the refill handler loads the table when it is needed).
TEXT ·UpdateTLB(SB),NOSPLIT,$0-12
	MOVW	hi+0(FP), R1
	MOVW	R1, M10
	EHB
	TLBP
	EHB
	MOVW	M0, R1                 // Index: bit 31 set when no entry matched
	BLTZ	R1, updateDone
	MOVW	lo0+4(FP), R1
	MOVW	R1, M2
	MOVW	lo1+8(FP), R1
	MOVW	R1, M3
	MOVW	R0, M5
	EHB
	TLBWI
	EHB
updateDone:
	RET

// FlushTLB invalidates TLB entries [from, to): each gets a distinct
// unmapped KSEG0 VPN2 so that no two entries can ever match one address.
TEXT ·FlushTLB(SB),NOSPLIT,$0-8
	MOVW	from+0(FP), R1
	MOVW	to+4(FP), R2
	MOVW	R0, M2
	MOVW	R0, M3
	MOVW	R0, M5
flushLoop:
	SUBU	R1, R2, R3
	BLEZ	R3, flushDone
	MOVW	R1, M0
	SLL	$14, R1, R3
	MOVW	$0x80000000, R4
	OR	R4, R3
	MOVW	R3, M10
	EHB
	TLBWI
	ADDU	$1, R1
	JMP	flushLoop
flushDone:
	EHB
	MOVW	R0, M10                // ASID 0 again
	EHB
	RET

TEXT ·SetWired(SB),NOSPLIT,$0-4
	MOVW	n+0(FP), R1
	MOVW	R1, M6
	EHB
	RET

TEXT ·Wired(SB),NOSPLIT,$0-4
	MOVW	M6, R1
	MOVW	R1, ret+0(FP)
	RET

TEXT ·SetEntryHi(SB),NOSPLIT,$0-4
	MOVW	v+0(FP), R1
	MOVW	R1, M10
	EHB
	RET

TEXT ·EntryHi(SB),NOSPLIT,$0-4
	MOVW	M10, R1
	MOVW	R1, ret+0(FP)
	RET

// ReadTLB reads entry index: EntryHi, EntryLo0, EntryLo1, PageMask.
TEXT ·ReadTLB(SB),NOSPLIT,$0-20
	MOVW	M10, R8 // keep the current ASID
	MOVW	index+0(FP), R1
	MOVW	R1, M0
	EHB
	TLBR
	EHB
	MOVW	M10, R1
	MOVW	R1, hi+4(FP)
	MOVW	M2, R1
	MOVW	R1, lo0+8(FP)
	MOVW	M3, R1
	MOVW	R1, lo1+12(FP)
	MOVW	M5, R1
	MOVW	R1, mask+16(FP)
	MOVW	R8, M10
	EHB
	RET

// CacheIndexInvalidate applies CACHE op to each line of [base, base+size).
// op is encoded in the instruction, so there is one entry per operation.
TEXT ·ICacheIndexStoreTag(SB),NOSPLIT,$0-12
	MOVW	base+0(FP), R1
	MOVW	size+4(FP), R2
	MOVW	line+8(FP), R3
	ADDU	R1, R2
loop:
	WORD	$0xbc280000 // cache 0x08 (I Index_Store_Tag), 0(at)
	ADDU	R3, R1
	SGTU	R2, R1, R4
	BNE	R4, R0, loop
	RET

TEXT ·DCacheIndexStoreTag(SB),NOSPLIT,$0-12
	MOVW	base+0(FP), R1
	MOVW	size+4(FP), R2
	MOVW	line+8(FP), R3
	ADDU	R1, R2
loop:
	WORD	$0xbc290000 // cache 0x09 (D Index_Store_Tag), 0(at)
	ADDU	R3, R1
	SGTU	R2, R1, R4
	BNE	R4, R0, loop
	RET

// SetTagLo clears the tag registers used by Index_Store_Tag.
TEXT ·ClearTagLo(SB),NOSPLIT,$0
	MOVW	R0, M28
	WORD	$0x4080e002 // mtc0 zero, $28, 2 (DTagLo)
	MOVW	R0, M29
	EHB
	RET

// SyncICache makes instructions written at [base, base+size) visible to
// instruction fetch (synci on each line, then a hazard barrier).
TEXT ·SyncICache(SB),NOSPLIT,$0-12
	MOVW	base+0(FP), R1
	MOVW	size+4(FP), R2
	MOVW	line+8(FP), R3
	ADDU	R1, R2
loop:
	WORD	$0x043f0000 // synci 0(at)
	ADDU	R3, R1
	SGTU	R2, R1, R4
	BNE	R4, R0, loop
	SYNC
	EHB
	RET

// MMIO with the ordering devices need: a sync before and after each access.
TEXT ·Read8(SB),NOSPLIT,$0-5
	MOVW	addr+0(FP), R1
	SYNC
	MOVBU	0(R1), R2
	SYNC
	MOVB	R2, ret+4(FP)
	RET

TEXT ·Write8(SB),NOSPLIT,$0-5
	MOVW	addr+0(FP), R1
	MOVBU	v+4(FP), R2
	SYNC
	MOVB	R2, 0(R1)
	SYNC
	RET

TEXT ·Read16(SB),NOSPLIT,$0-6
	MOVW	addr+0(FP), R1
	SYNC
	MOVHU	0(R1), R2
	SYNC
	MOVH	R2, ret+4(FP)
	RET

TEXT ·Write16(SB),NOSPLIT,$0-6
	MOVW	addr+0(FP), R1
	MOVHU	v+4(FP), R2
	SYNC
	MOVH	R2, 0(R1)
	SYNC
	RET

TEXT ·Read32(SB),NOSPLIT,$0-8
	MOVW	addr+0(FP), R1
	SYNC
	MOVW	0(R1), R2
	SYNC
	MOVW	R2, ret+4(FP)
	RET

TEXT ·Write32(SB),NOSPLIT,$0-8
	MOVW	addr+0(FP), R1
	MOVW	v+4(FP), R2
	SYNC
	MOVW	R2, 0(R1)
	SYNC
	RET

// SemihostExit asks QEMU (run with -semihosting) to exit with code, through
// the UHI exit operation: t9 = 1, a0 = code, sdbbp 1.
TEXT ·SemihostExit(SB),NOSPLIT,$0-4
	MOVW	code+0(FP), R4
	MOVW	$1, R25
	WORD	$0x7000007f // sdbbp 1
	JMP	0(PC)

// SemihostWrite writes n bytes at p to the host's fd through UHI write
// (t9 = 5; a0 = fd, a1 = buf, a2 = len).
TEXT ·SemihostWrite(SB),NOSPLIT,$0-12
	MOVW	fd+0(FP), R4
	MOVW	p+4(FP), R5
	MOVW	n+8(FP), R6
	MOVW	$5, R25
	WORD	$0x7000007f // sdbbp 1
	RET
