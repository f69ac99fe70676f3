#include "textflag.h"

// The bounds come from the linker's own symbols, so no address has to be
// passed in from the build and nothing is computed from a uintptr in Go.

// func imagePclntab() []byte
TEXT ·imagePclntab(SB), NOSPLIT, $0-12
	MOVW	$runtime·pclntab(SB), R1
	MOVW	$runtime·epclntab(SB), R2
	SUBU	R1, R2
	MOVW	R1, ret_base+0(FP)
	MOVW	R2, ret_len+4(FP)
	MOVW	R2, ret_cap+8(FP)
	RET

// func imageText() uintptr
TEXT ·imageText(SB), NOSPLIT, $0-4
	MOVW	$runtime·text(SB), R1
	MOVW	R1, ret+0(FP)
	RET
