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
