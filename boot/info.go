// Package boot starts the kernel: the ELF entry, the early initialization
// that runs before the Go runtime exists (console, caches, exception
// vectors, memory, clock, the first thread), the start frame the runtime
// expects, the board's devices and power-off, and the bring-up of the other
// cores.
//
// Early boot runs on the boot stack with a fake g and no runtime: it must
// not allocate, and it calls only trap-safe code.
package boot

// Version is the kernel's version, set at link time (-X almos/boot.Version).
var Version = "dev"

// Info is what early boot learned, for the kernel's main and its shell.
type Info struct {
	Board       string
	CPUModel    string
	PRId        uint32
	Cores       int    // cores the machine has
	Online      int    // cores brought up
	RAMBytes    uint64 // RAM the machine has
	UsedRAM     uint64 // RAM the kernel manages (capped by mem= and the window)
	Cmdline     string
	Semihosting bool
	CountHz     uint64
	ClockHz     uint64
	ClockName   string
	EntryToMain int64 // filled by main: ns from entry to the runtime's main
	CmdlineStop bool  // a command-line mistake stops the boot
	CacheInfo   string
	ImageStart  uintptr
	ImageEnd    uintptr
	Window      uintptr
	WindowPhys  uint64
	PagedBase   uintptr // the paged space (the Go runtime's mappings)
	PagedSize   uintptr
	EarlyNS     int64 // ns from entry to the end of early boot
}

// Boot is filled by early boot.
var Boot Info
