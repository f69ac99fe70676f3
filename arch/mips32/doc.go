// Package mips32 holds what is specific to the MIPS32 cores this kernel runs
// on: the exception vectors and the trap entry that saves a thread's registers,
// the per-core block the vectors find through EBase, CP0 and TLB access, cache
// maintenance, uncached MMIO accessors, the 16550 UART driver of the console,
// and semihosting. The board's devices (the malta's PIIX4 PIT, PICs, RTC and
// ACPI power-off, and the Coherence Manager, Cluster Power Controller and GIC
// of the P5600's CPS) are driven by package boot through those accessors.
//
// Trap-safe: every function here may be called from trap context (per-core trap
// stack, fake g, interrupts off). Nothing allocates, blocks or stores a Go pointer
// into shared memory. The portable parts (frame and block layouts, register
// names, exception names) also build on the host so that the layouts the
// assembly relies on are checked by `go test`.
package mips32
