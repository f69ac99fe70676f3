package mips32

// Implemented in asm_mipsle.s.

func trapEntry()
func trapReturn()
func idleLoop()
func sigreturnTramp()

// TrapEntryAddr is the address the vectors jump to.
func TrapEntryAddr() uintptr

// TrapReturnAddr is the address of the trap exit.
func TrapReturnAddr() uintptr

// IdleLoopAddr is where an idle thread runs.
func IdleLoopAddr() uintptr

// SigreturnAddr is the return address given to signal handlers.
func SigreturnAddr() uintptr

// EnterFrame makes f this core's current frame and runs it. It does not return.
func EnterFrame(f uintptr)

func Status() uint32
func SetStatus(v uint32)
func Cause() uint32
func SetCause(v uint32)
func Count() uint32
func SetCompare(v uint32)
func PRId() uint32
func EBase() uint32
func SetEBase(v uint32)
func CPUNum() uint32
func Config() uint32
func SetConfig(v uint32)
func Config1() uint32
func Config2() uint32
func Config3() uint32
func IntCtl() uint32
func CMGCRBase() uint32
func DisableInterrupts() uint32
func RestoreInterrupts(s uint32)
func Wait()

func WriteTLB(index, hi, lo0, lo1, mask uint32)
func ReadTLB(index uint32) (hi, lo0, lo1, mask uint32)
func SetWired(n uint32)

// UpdateTLB rewrites the entry of this core's TLB for VPN2 hi, if any.
func UpdateTLB(hi, lo0, lo1 uint32)

// FlushTLB invalidates the TLB entries [from, to).
func FlushTLB(from, to uint32)

func refillEntry()

// RefillEntryAddr is the address of the TLB refill handler.
func RefillEntryAddr() uintptr
func Wired() uint32
func SetEntryHi(v uint32)
func EntryHi() uint32

func ICacheIndexStoreTag(base, size, line uintptr)
func DCacheIndexStoreTag(base, size, line uintptr)
func ClearTagLo()
func SyncICache(base, size, line uintptr)

func Read8(addr uintptr) uint8
func Write8(addr uintptr, v uint8)
func Read16(addr uintptr) uint16
func Write16(addr uintptr, v uint16)
func Read32(addr uintptr) uint32
func Write32(addr uintptr, v uint32)

// SemihostExit ends QEMU (run with -semihosting) with the given status.
func SemihostExit(code uint32)

// SemihostWrite writes to a file descriptor of the QEMU process.
func SemihostWrite(fd uint32, p uintptr, n uint32)
