package mips32

// MaxCPU is the number of cores the kernel can drive: QEMU's malta takes up to
// 16 with the P5600's CPS.
const MaxCPU = 16

// BlockSize is the size and alignment of a per-core Block: EBase must be 4 KiB
// aligned, and the vectors sit at fixed offsets from it.
const BlockSize = 4096

// Block is one core's page at EBase. Its first KiB holds the exception vectors
// (TLB refill at +0x000, cache error at +0x100, general exceptions at +0x180,
// interrupts at +0x200). The words after it are what the trap entry needs
// before it can run Go code: since it may use only k0 and k1, it finds this
// block by reading EBase and clearing the low bits, so the offsets below are
// part of the contract with asm_mipsle.s (checked by TestBlockLayout).
type Block struct {
	Vectors [0x400]byte

	// CurFrame is the address of the Frame of the thread this core runs: the
	// trap entry saves the registers there and the trap exit restores from
	// it, so switching threads is changing this word.
	CurFrame uintptr // +0x400
	// InTrap is non-zero while the core runs the Go trap handler. An
	// exception taken then is a kernel fault, not a thread's trap.
	InTrap uint32 // +0x404
	// TrapSP is the stack pointer the Go trap handler starts with.
	TrapSP uintptr // +0x408
	// TrapG is the address of the core's fake g: a g whose only valid fields
	// are the stack bounds of the trap stack, so the stack checks of ordinary
	// Go functions work there.
	TrapG uintptr // +0x40c
	// NestFrame and NestSP serve an exception taken in trap context: the
	// registers go to NestFrame and the diagnostic runs on NestSP.
	NestFrame uintptr // +0x410
	NestSP    uintptr // +0x414
	// ID is the core number (EBase.CPUNum).
	ID uint32 // +0x418
	// Traps counts the traps the core took.
	Traps uint32 // +0x41c
	// NestG is the address of the fake g describing the nest stack.
	NestG uintptr // +0x420
	// PagedBase, PagedSize and PagedTable describe the paged space the TLB
	// refill handler serves (see mm.Space): its first address, its size in
	// bytes and its page table. A refill outside it goes to the trap entry.
	PagedBase  uintptr // +0x424
	PagedSize  uintptr // +0x428
	PagedTable uintptr // +0x42c
	// Scratch is where the refill handler keeps the register it borrows.
	Scratch uint32 // +0x430

	_    [0xc]byte
	Nest Frame // +0x440: registers at a nested exception

	// G is the fake g of the trap stack (runtime.g's first four words:
	// stack.lo, stack.hi, stackguard0, stackguard1; the rest, among it g.m,
	// stays zero so that anything needing an m faults visibly). NG is the
	// same for the nest stack.
	G  [32]uintptr
	NG [32]uintptr

	_ [BlockSize - 0x440 - FrameSize - 2*32*4]byte
}

// Offsets of Block fields used by asm_mipsle.s.
const (
	BlockCurFrame  = 0x400
	BlockInTrap    = 0x404
	BlockTrapSP    = 0x408
	BlockTrapG     = 0x40c
	BlockNestFrame = 0x410
	BlockNestSP    = 0x414
	BlockID        = 0x418
	BlockTraps     = 0x41c
	BlockNestG     = 0x420
	BlockPagedBase = 0x424
	BlockPagedSize = 0x428
	BlockPagedTbl  = 0x42c
	BlockScratch   = 0x430
	BlockNest      = 0x440
)

// Vector offsets from EBase.
const (
	VecRefill     = 0x000
	VecCacheError = 0x100
	VecGeneral    = 0x180
	VecInterrupt  = 0x200
)

// SetFakeG makes b.G describe the stack [lo, hi): stack.lo, stack.hi and both
// stack guards. guard bytes above lo are kept free so that a function whose
// stack check fails still has room to fault in morestack (which finds no m)
// rather than run off the stack.
func (b *Block) SetFakeG(lo, hi, guard uintptr) {
	setG(&b.G, lo, hi, guard)
}

// SetNestG does the same for the nest stack.
func (b *Block) SetNestG(lo, hi, guard uintptr) {
	setG(&b.NG, lo, hi, guard)
}

func setG(g *[32]uintptr, lo, hi, guard uintptr) {
	g[0] = lo
	g[1] = hi
	g[2] = lo + guard
	g[3] = lo + guard
}
