package mips32

// Frame is the register state of a thread as the trap entry saves it and the
// trap exit restores it. A thread descriptor begins with its Frame, so the
// address the vectors keep as "current frame" is also the thread's address.
//
// k0 and k1 (R26, R27) belong to the kernel's exception code and are not
// saved; their slots stay zero. R[0] is never written.
type Frame struct {
	R      [32]uint32
	HI     uint32
	LO     uint32
	EPC    uint32
	Status uint32
	Cause  uint32
	BadVA  uint32
	_      [2]uint32
}

// Byte offsets of the Frame fields, as asm_mipsle.s uses them (checked by
// TestFrameLayout).
const (
	FrameR      = 0
	FrameHI     = 128
	FrameLO     = 132
	FrameEPC    = 136
	FrameStatus = 140
	FrameCause  = 144
	FrameBadVA  = 148
	FrameSize   = 160
)

// Register numbers with an ABI role.
const (
	RegV0 = 2
	RegV1 = 3
	RegA0 = 4
	RegA1 = 5
	RegA2 = 6
	RegA3 = 7
	RegT9 = 25
	RegG  = 30 // Go keeps the current goroutine in R30
	RegGP = 28
	RegSP = 29
	RegRA = 31
)

// RegNames are the o32 names of the general registers, for diagnostics.
var RegNames = [32]string{
	"zero", "at", "v0", "v1", "a0", "a1", "a2", "a3",
	"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7",
	"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7",
	"t8", "t9", "k0", "k1", "gp", "sp", "g/s8", "ra",
}

// Status register bits.
const (
	StatusIE  = 1 << 0
	StatusEXL = 1 << 1
	StatusERL = 1 << 2
	StatusKSU = 3 << 3
	StatusIM0 = 1 << 8 // IM0..IM7 at bits 8..15
	StatusIMs = 0xff << 8
	StatusBEV = 1 << 22
	StatusFR  = 1 << 26
	StatusCU0 = 1 << 28
	StatusCU1 = 1 << 29
)

// Cause register fields.
const (
	CauseExcShift = 2
	CauseExcMask  = 0x1f << CauseExcShift
	CauseIPShift  = 8 // IP0..IP7 at bits 8..15
	CauseIV       = 1 << 23
	CauseBD       = 1 << 31
)

// Exception codes (Cause.ExcCode).
const (
	ExcInt    = 0
	ExcMod    = 1
	ExcTLBL   = 2
	ExcTLBS   = 3
	ExcAdEL   = 4
	ExcAdES   = 5
	ExcIBE    = 6
	ExcDBE    = 7
	ExcSys    = 8
	ExcBp     = 9
	ExcRI     = 10
	ExcCpU    = 11
	ExcOv     = 12
	ExcTr     = 13
	ExcFPE    = 15
	ExcWatch  = 23
	ExcMCheck = 24
)

var excNames = [32]string{
	ExcInt:    "interrupt",
	ExcMod:    "TLB modified",
	ExcTLBL:   "TLB miss or invalid on load/fetch",
	ExcTLBS:   "TLB miss or invalid on store",
	ExcAdEL:   "address error on load/fetch",
	ExcAdES:   "address error on store",
	ExcIBE:    "bus error on instruction fetch",
	ExcDBE:    "bus error on data access",
	ExcSys:    "syscall",
	ExcBp:     "breakpoint",
	ExcRI:     "reserved instruction",
	ExcCpU:    "coprocessor unusable",
	ExcOv:     "arithmetic overflow",
	ExcTr:     "trap",
	ExcFPE:    "floating-point exception",
	ExcWatch:  "watch",
	ExcMCheck: "machine check",
}

// ExcName names an exception code for diagnostics.
func ExcName(code uint32) string {
	if code < 32 && excNames[code] != "" {
		return excNames[code]
	}
	return "reserved exception code"
}

// ExcCode extracts the exception code from a Cause value.
func ExcCode(cause uint32) uint32 { return (cause & CauseExcMask) >> CauseExcShift }
