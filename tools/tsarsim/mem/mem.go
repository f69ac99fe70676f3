// Package mem holds the memory side of tsarsim: the physical address layout
// of the TSAR-like machine, the per-cluster memory banks, the tag-only L1
// cache model and the latency parameters.
//
// The layout (documented in tools/tsarsim/README.md):
//
//	physical addresses are 36 bits, the largest the MIPS32 TLB can express
//	(EntryLo.PFN is 24 bits of 4 KiB frames).
//	PA[35:28] is the home cluster: x<<4 | y, so meshes up to 16x16.
//	PA[27:0] is the offset inside that cluster's 256 MiB segment:
//	  [0, BankSize)               memory bank (at most 240 MiB)
//	  0x0F000000 + 4 KiB          the cluster's XICU
//	The global I/O window PA 0x1FC00000-0x1FFFFFFF (KSEG1 0xBFC00000, where
//	the MIPS reset vector points) belongs to the I/O cluster (0,0) even
//	though it lies in segment 1: boot ROM, machine description, TTY and the
//	system controller live there.
package mem

import "fmt"

// Address layout constants.
const (
	ClusterShift = 28
	SegmentSize  = 1 << ClusterShift
	LocalMask    = SegmentSize - 1
	// DevOffset is where the per-cluster device window starts inside a
	// cluster segment; it also bounds the bank size.
	DevOffset = 0x0F000000
	MaxBank   = DevOffset
	// XICUOffset is the local offset of a cluster's XICU.
	XICUOffset = DevOffset
	XICUSize   = 0x1000

	IOBase     = 0x1FC00000 // global I/O window, homed in cluster (0,0)
	IOEnd      = 0x20000000
	ROMBase    = 0x1FC00000 // boot ROM: 64 KiB, the reset vector
	ROMSize    = 0x10000
	MDescBase  = 0x1FC10000 // machine description table (read only)
	TTYBase    = 0x1FC20000 // TTY channels, 16 bytes each
	SysCtlBase = 0x1FC30000 // system controller: power-off, boot address

	PageShift = 12
	PageSize  = 1 << PageShift

	MaxMeshDim = 16
)

// ClusterID returns the address-field identifier of cluster (x, y).
func ClusterID(x, y int) int { return x<<4 | y }

// ClusterXY splits a cluster identifier.
func ClusterXY(id int) (x, y int) { return id >> 4, id & 15 }

// Bank is one cluster's memory: the bytes, a version number per cache line
// (bumped by every store; the cache model uses it for coherence and LL/SC
// for reservations) and a flag per page telling that the page has been
// decoded as code, so that stores to it must invalidate the decoded copy.
type Bank struct {
	Cluster int    // cluster identifier (x<<4|y)
	Base    uint64 // physical address of byte 0
	Mem     []byte
	Ver     []uint32
	Code    []uint8
	// ReadOnly banks (the boot ROM) ignore stores.
	ReadOnly bool
}

// NewBank allocates a bank. The host memory comes from make and is only
// committed by the host kernel when touched, so large meshes with large
// banks cost address space, not memory.
func NewBank(cluster int, base uint64, size int, lineShift uint) *Bank {
	if size%PageSize != 0 {
		panic(fmt.Sprintf("bank size %#x not page aligned", size))
	}
	return &Bank{
		Cluster: cluster,
		Base:    base,
		Mem:     make([]byte, size),
		Ver:     make([]uint32, size>>lineShift),
		Code:    make([]uint8, size>>PageShift),
	}
}

// Contains reports whether pa falls in the bank.
func (b *Bank) Contains(pa uint64) bool {
	return pa >= b.Base && pa-b.Base < uint64(len(b.Mem))
}

// Latency holds the cost model of a memory transaction: Base cycles plus
// Hop cycles per mesh hop between the requesting cluster and the home
// cluster (a round trip, so both directions are folded into Hop).
type Latency struct {
	MissBase  int // L1 miss (read) to the local bank
	MissHop   int
	StoreBase int // write-through store
	StoreHop  int
	UncBase   int // uncached access (devices, KSEG1)
	UncHop    int
}

// DefaultLatency is the documented default cost model.
var DefaultLatency = Latency{
	MissBase: 20, MissHop: 4,
	StoreBase: 20, StoreHop: 4,
	UncBase: 30, UncHop: 4,
}

// Dist returns the Manhattan distance between two clusters of the mesh
// (XY routing: the number of router hops one way).
func Dist(a, b int) int {
	ax, ay := ClusterXY(a)
	bx, by := ClusterXY(b)
	return abs(ax-bx) + abs(ay-by)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
