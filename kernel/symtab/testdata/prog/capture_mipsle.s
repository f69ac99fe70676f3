#include "go_asm.h"
#include "textflag.h"

// func capture(c *capBuf)
//
// A leaf without a frame, like a function faulting before its prologue has
// saved R31: it records its own entry as the pc, SP and R31 as they are, and
// copies the stack from SP up to the goroutine's stack top (g.stack.hi) so
// that the dump is taken at the same instant as the registers.
TEXT ·capture(SB), NOSPLIT|NOFRAME, $0-4
	MOVW	c+0(FP), R1
	MOVW	$·capture(SB), R2
	MOVW	R2, capBuf_pc(R1)
	MOVW	R29, capBuf_sp(R1)
	MOVW	R31, capBuf_ra(R1)
	MOVW	4(g), R3		// g.stack.hi
	MOVW	R3, capBuf_hi(R1)
	SUBU	R29, R3, R4
	SRL	$2, R4
	MOVW	$const_maxWords, R5
	SGTU	R5, R4, R6		// R6 = R4 > R5
	BEQ	R6, counted
	MOVW	R5, R4
counted:
	MOVW	R4, capBuf_n(R1)
	ADDU	$capBuf_words, R1, R7
	MOVW	R29, R8
copy:
	BEQ	R4, done
	MOVW	0(R8), R9
	MOVW	R9, 0(R7)
	ADDU	$4, R8
	ADDU	$4, R7
	SUBU	$1, R4
	JMP	copy
done:
	RET
