// Package kapi is the interface between thread-context kernel code (the
// shell, the in-kernel tests) and the trap-side kernel: private system
// calls, numbered above every Linux o32 call, and the fixed-layout records
// they fill. Thread-context code never takes a kernel spinlock itself; it
// asks through these calls, which run atomically with respect to its core.
package kapi

// Private system call numbers.
const (
	CallBase      = 6000
	CallPowerOff  = CallBase + 0  // (status)
	CallMemStats  = CallBase + 1  // (*MemStats)
	CallCPUs      = CallBase + 2  // (*CPUInfo, n) -> count
	CallThreads   = CallBase + 3  // (*ThreadInfo, n) -> count
	CallLog       = CallBase + 4  // (buf, len) -> bytes
	CallFault     = CallBase + 5  // (kind): a deliberate kernel fault
	CallSysStats  = CallBase + 6  // (*SysStats)
	CallClock     = CallBase + 7  // (*Clock)
	CallCheckVM   = CallBase + 8  // () -> number of inconsistencies (logged)
	CallWhere     = CallBase + 9  // () -> the core the caller runs on
	CallIPIPing   = CallBase + 10 // (core, rounds) -> GIC ticks for rounds IPI round trips
	CallClusters  = CallBase + 11 // (*ClusterInfo, n) -> count
	CallTree      = CallBase + 12 // (*TreeNode, n) -> count
	CallAddrHome  = CallBase + 13 // (addr) -> cluster whose bank holds addr (or -1)
	CallLocality  = CallBase + 14 // (*Locality)
	CallPlaceMode = CallBase + 15 // (mode) -> previous mode
	// CallWatchdog arms the in-kernel test suite's last-resort deadline
	// for the named test, ms from now (0 disarms): see Watchdog.
	CallWatchdog    = CallBase + 16 // (name, len, ms)
	CallDumpThreads = CallBase + 17 // (): the kernel's threads on the console
	CallCount       = 18
)

// Fault kinds for CallFault.
const (
	FaultTrapLoad = 1 // load from an unmapped address in trap context
)

// MemStats describes physical memory and the kernel process's mappings.
type MemStats struct {
	RAMBytes    uint64
	PageSize    uint64
	TotalPages  uint64 // pages the allocator manages
	FreePages   uint64
	FreeBlocks  [11]uint64 // free blocks per order (4 KiB .. 4 MiB)
	MappedRW    uint64     // pages the process mapped readable (virtual)
	Reserved    uint64     // pages mapped PROT_NONE (virtual)
	Resident    uint64     // pages of the process holding a frame
	KernelPages uint64     // frames held by the kernel itself (descriptors, tables), not in limbo
	Maps        uint64
	Unmaps      uint64
	MapFailures uint64
	ZeroedBytes uint64 // bytes of frames zeroed for page faults
	PageFaults  uint64 // page faults that bound a frame
	Released    uint64 // frames given back by munmap, MADV_DONTNEED, MAP_FIXED
	Limbo       uint64 // frames unbound, waiting for every core's TLB flush
	TLBFlushes  uint64 // machine-wide TLB flushes before giving frames back
	SpacePages  uint64 // size of the process's paged space
	ImageBytes  uint64 // kernel image, data and bss
}

// CPUInfo describes one core.
type CPUInfo struct {
	ID          uint32
	Online      uint32
	Current     int32 // thread id running (0: idle)
	Ready       uint32
	Timers      uint32
	_           uint32
	Traps       uint64
	Syscalls    uint64
	Interrupts  uint64
	TimerIRQs   uint64
	IPIs        uint64
	Faults      uint64
	Switches    uint64
	Preemptions uint64
	Wakeups     uint64
	Posted      uint64
	Spurious    uint64 // interrupts with no known cause
	Throttles   uint64 // periods in which FIFO threads used up their budget
	IdleNS      int64
	UpNS        int64
	BringUpNS   int64
	SliceNS     int64 // the core's round-robin time slice
}

// ThreadInfo describes one thread.
type ThreadInfo struct {
	TID         int32
	Core        uint32
	State       uint32
	Policy      uint32
	RunNS       int64
	Switches    uint32
	Preempted   uint32
	Syscalls    uint64
	LastSyscall uint32
	Migrations  uint32
	Name        [16]byte
}

// Clock is a reading of the kernel's hardware clock.
type Clock struct {
	Counter uint64 // raw counter value
	Hz      uint64 // its frequency
	NS      int64  // the kernel's monotonic time for that value
	CountHz uint64 // CP0 Count frequency
}

// SysStats are system-wide counters of the Linux personality.
type SysStats struct {
	Calls            uint64
	Errors           uint64
	NoSys            uint64
	FutexWaits       uint64
	FutexWakes       uint64
	FutexWoken       uint64
	FutexTimeouts    uint64
	SignalsSent      uint64
	SignalsDelivered uint64
	Interrupted      uint64 // waits a signal ended (restarted or failed with EINTR)
	Faults           uint64
	ThreadsCreated   uint64
	ThreadsExited    uint64
}

// Placement modes for CallPlaceMode.
const (
	PlaceDQDT  = 0 // the DQDT chooses (the default)
	PlaceLocal = 1 // every new thread goes to cluster 0 (to load one cluster on purpose)
)

// ClusterInfo describes one cluster.
type ClusterInfo struct {
	ID, X, Y          int32
	FirstCore, NCores int32
	_                 int32
	BankBase          uint64
	BankSize          uint64
	TotalPages        uint64
	FreePages         uint64
	Threads           uint32 // as the DQDT sees them
	Load              uint32 // sum of its cores' loads, in LoadScale units
	CoreLoad          [4]uint32
	Spilled           uint64 // runs its threads got from other banks
	Lent              uint64 // runs its bank gave to other clusters' threads
}

// TreeNode is one node of the DQDT.
type TreeNode struct {
	Level, I, J      int32
	Clusters, Cores  uint32
	Threads, Load    uint32
	MinLoad, MaxLoad uint32
	Free             [11]uint32
}

// Locality counts the DQDT's decisions.
type Locality struct {
	PlacedLocal, PlacedRemote uint64
	Spills                    uint64
	Pulls, PullsAnswered      uint64
	PulledRemote              uint64
	LoadScale                 uint64
	PlacedOn                  [MaxClusters]uint64 // new threads placed per cluster
}

// MaxClusters is the most clusters the kernel manages.
const MaxClusters = 16
