#include "textflag.h"

// func rawClone(stack uintptr, flag *uint32) int32
// Creates a bare kernel thread on stack: it sets *flag = 1 and exits, never
// touching Go code. Returns the thread id, or -errno.
TEXT ·rawClone(SB),NOSPLIT,$0-12
	MOVW	stack+0(FP), R5
	MOVW	flag+4(FP), R16
	MOVW	$0x10f00, R4 // CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD
	MOVW	R0, R6
	MOVW	R0, R7
	MOVW	$4120, R2
	SYSCALL
	BNE	R7, R0, fail
	BNE	R2, R0, parent
	// The child, on its own stack.
	MOVW	$1, R8
	SYNC
	MOVW	R8, 0(R16)
	SYNC
	MOVW	R0, R4
	MOVW	$4001, R2 // exit
	SYSCALL
	JMP	0(PC)
fail:
	SUBU	R2, R0, R2
parent:
	MOVW	R2, ret+8(FP)
	RET

// func readCount() uint32: CP0 Count of the running core (threads run in
// kernel mode).
TEXT ·readCount(SB),NOSPLIT,$0-4
	MOVW	M9, R1
	MOVW	R1, ret+0(FP)
	RET

// func spinClone(stack uintptr, slot *int32, stop *uint32) int32
// Creates a bare kernel thread that records the core it starts on in *slot,
// then spins until *stop is set, writing the core it is on to slot[2] on
// every turn; at the end it writes 1 to slot[1] and exits. Returns the
// thread id, or -errno.
TEXT ·spinClone(SB),NOSPLIT,$0-16
	MOVW	stack+0(FP), R5
	MOVW	slot+4(FP), R17
	MOVW	stop+8(FP), R18
	MOVW	$0x10f00, R4
	MOVW	R0, R6
	MOVW	R0, R7
	MOVW	$4120, R2
	SYSCALL
	BNE	R7, R0, fail
	BNE	R2, R0, parent
	MOVW	$6009, R2 // kapi.CallWhere
	SYSCALL
	MOVW	R2, 0(R17)
spin:
	MOVW	$6009, R2
	SYSCALL
	MOVW	R2, 8(R17)
	MOVW	0(R18), R8
	BEQ	R8, R0, spin
	MOVW	$1, R8
	SYNC
	MOVW	R8, 4(R17)
	SYNC
	MOVW	R0, R4
	MOVW	$4001, R2
	SYSCALL
	JMP	0(PC)
fail:
	SUBU	R2, R0, R2
parent:
	MOVW	R2, ret+12(FP)
	RET

// func spinWhile(p *uint32)
// Spins while *p is not zero. Being assembly, it is no safe point for the
// runtime's asynchronous preemption: like the runtime's own spin locks, only
// the kernel can take the core from it.
TEXT ·spinWhile(SB),NOSPLIT,$0-4
	MOVW	p+0(FP), R1
loop:
	MOVW	0(R1), R2
	BNE	R2, R0, loop
	RET

// func spinCounts(n uint32)
// Spins until the running core's CP0 Count has advanced by n. Being
// assembly, it is no safe point for the runtime's asynchronous preemption:
// the thread keeps running until the kernel takes the core from it (or it
// moves to another core, whose Count it then reads: the threads that use it
// are pinned).
TEXT ·spinCounts(SB),NOSPLIT,$0-4
	MOVW	n+0(FP), R2
	MOVW	M9, R3
loop:
	MOVW	M9, R1
	SUBU	R3, R1, R1
	SGTU	R2, R1, R4
	BNE	R4, R0, loop
	RET
