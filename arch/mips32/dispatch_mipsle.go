package mips32

// The handlers the trap entry calls. Early boot sets them twice, both times
// before the Go runtime starts (so before any collector can need a write
// barrier): first to a handler that reports any exception of early boot
// itself, then, once the first thread exists, to the kernel's trap handler.
// They never change after that.
var (
	trapHandler   func(b *Block)
	nestedHandler func(b *Block)
)

// SetHandlers installs the Go functions the trap entry calls: trap for every
// exception of a thread, nested for an exception taken in trap context.
func SetHandlers(trap, nested func(b *Block)) {
	trapHandler = trap
	nestedHandler = nested
}

// nestDepth counts nested-fault reports per core: a fault inside the report
// itself must not recurse forever.
var nestDepth [MaxCPU]uint32

// dispatch is called by trapEntry on the trap stack.
func dispatch(b *Block) {
	trapHandler(b)
}

// dispatchNested is called by trapEntry on the core's emergency stack.
func dispatchNested(b *Block) {
	id := b.ID % MaxCPU
	nestDepth[id]++
	if nestDepth[id] > 1 {
		// The report itself faulted: say so with the least machinery left
		// and stop this core.
		RawPuts("\r\n*** fault while reporting a kernel fault; core stopped\r\n")
		for {
			Wait()
		}
	}
	nestedHandler(b)
	for {
		Wait()
	}
}
