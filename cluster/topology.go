// Package cluster describes the machine as a mesh of clusters: which cores
// and which memory bank belong to each cluster, and how far apart clusters
// are, computed once at boot from the core count, the RAM range and the
// kernel command line. The cluster-manager that runs each cluster (its page
// allocator and descriptor cache) is in the subpackage cluster/manager.
//
// # Numbering
//
// A cluster sits at mesh coordinates (x, y) with 0 <= x < X and 0 <= y < Y.
// Cluster ids are x-major: id = x*Y + y, so the clusters of one mesh column
// have consecutive ids. When Y is a power of two this is exactly TSAR's
// cluster id x<<ybits | y, so one numbering serves both boards.
//
// Global core numbers (0 .. Cores-1, the order in which the board starts its
// cores) are dealt to clusters in id order: cluster 0 takes the first cores,
// cluster 1 the next ones, and so on. A core is named inside its cluster by
// its local index 0 .. n-1.
//
// # Uneven core counts
//
// When the cores do not fill every cluster, they are spread as evenly as
// possible: with N cores over C clusters, the first N mod C clusters get
// ceil(N/C) cores and the others floor(N/C). So 6 cores over 2 clusters are
// 3+3, not 4+2, and 10 cores over 3 clusters are 4+3+3. An even spread keeps
// every cluster's capacity close to the others', which is what the placement
// heuristics assume; CoresPerCluster is therefore an upper bound ("up to 4
// cores", as on TSAR), never a promise that every cluster has that many.
//
// # Default mesh
//
// Without clusters=XxY the kernel uses C = ceil(N / cores-per-cluster)
// clusters (cores-per-cluster defaults to 4) and the squarest mesh with
// exactly C clusters: Y is the largest divisor of C not above sqrt(C) and
// X = C/Y, so the mesh is never taller than wide. 16 cores give 2x2, 8 give
// 2x1, 6 give 2x1 with 3+3 cores, 12 give 3x1. A prime cluster count gives a
// line (C x 1): clusters are never left without cores to make a mesh squarer.
//
// # Memory banks
//
// QEMU's RAM is uniform, so it is split into one bank per cluster: the RAM
// range handed to New is cut into equal banks, in id order. Banks are
// aligned to 4 MiB (so a bank can be mapped by a few large TLB page pairs)
// when that wastes at most 1/16 of a bank, and to the 4 KiB page otherwise.
// What alignment leaves over at both ends of the range is reported as unused.
//
// # Trap safety
//
// A Topology is a small value holding no Go pointers: it can be copied into
// every kernel instance, and its arithmetic methods (ID, Coords, Distance,
// ClusterCores, CoreCluster, Bank, ClusterOfAddr ...) allocate nothing and may
// be called from trap context. New, the parsers and String allocate and are
// for boot time.
package cluster

import (
	"fmt"
	"strings"
)

const (
	// MaxCoresPerCluster is the most cores a cluster can have (TSAR: 4).
	MaxCoresPerCluster = 4
	// DefaultCoresPerCluster is used when the command line does not say.
	DefaultCoresPerCluster = 4
	// MaxSide bounds X and Y. TSAR's physical addresses leave 8 bits for
	// the cluster (16x16); the bound is wider so that host tests and
	// simulations can model up to 256x256 meshes without overflow.
	MaxSide = 256
	// PageSize is the smallest alignment of a bank.
	PageSize = 4 << 10
	// LargeAlign is the preferred alignment of a bank.
	LargeAlign = 4 << 20
)

// Spec is what the command line says about the topology. Zero fields mean
// "choose": see the package comment for the defaults.
type Spec struct {
	// X and Y give the mesh; both zero lets New choose it.
	X, Y int
	// CoresPerCluster is the most cores one cluster may hold; zero means
	// DefaultCoresPerCluster.
	CoresPerCluster int
}

// Machine is what the board reports about the hardware.
type Machine struct {
	// Cores is the number of cores started by the board (e.g. -smp N).
	Cores int
	// RAMBase and RAMSize give the physical range to split into banks.
	RAMBase, RAMSize uint64
	// MinBank is the smallest bank a cluster can boot with (kernel image,
	// heap, stacks); zero means one page.
	MinBank uint64
	// AlignBanks asks for banks aligned to LargeAlign whatever that wastes
	// (a page allocator whose largest blocks must be aligned needs it).
	AlignBanks bool
}

// Bank is a physical memory range [Base, Base+Size).
type Bank struct {
	Base, Size uint64
}

// End returns the first address after the bank.
func (b Bank) End() uint64 { return b.Base + b.Size }

// Contains reports whether physical address pa lies in the bank.
func (b Bank) Contains(pa uint64) bool { return pa >= b.Base && pa-b.Base < b.Size }

// Topology is the machine seen as a mesh of clusters. The zero value has no
// clusters; build one with New.
type Topology struct {
	x, y   int
	cores  int
	maxPer int    // largest number of cores in one cluster
	q, r   int    // the first r clusters have q+1 cores, the others q
	ram    Bank   // the range that was split
	first  uint64 // base of bank 0
	bank   uint64 // size of every bank
	align  uint64 // alignment of the banks
}

// New computes the topology for spec on machine m, or says in an error what
// value is impossible and what would be accepted.
func New(spec Spec, m Machine) (Topology, error) {
	t, p := build(spec, m)
	if p.kind == ok {
		return t, nil
	}
	return Topology{}, p.err(spec, m)
}

// Make computes the topology like New but allocates nothing, so that early
// boot can call it before the Go runtime exists; it reports only whether the
// topology is possible (New says why not).
func Make(spec Spec, m Machine) (Topology, bool) {
	t, p := build(spec, m)
	if p.kind != ok {
		return Topology{}, false
	}
	return t, true
}

// problem records what build found wrong, with the numbers the message
// needs, so that the check itself allocates nothing.
type problem struct {
	kind       int
	x, y, n    int
	per        int
	first, end uint64
	size       uint64
	minBank    uint64
}

const (
	ok = iota
	badPer
	noCores
	tooManyCores
	badMesh
	moreClustersThanCores
	tooFewSlots
	wraps
	bankTooSmall
)

func (p problem) err(spec Spec, m Machine) error {
	switch p.kind {
	case badPer:
		return fmt.Errorf("cluster: cores-per-cluster=%d: accepted values are 1 to %d", spec.CoresPerCluster, MaxCoresPerCluster)
	case noCores:
		return fmt.Errorf("cluster: the machine reports %s; at least 1 is needed", count(m.Cores, "core"))
	case tooManyCores:
		return fmt.Errorf("cluster: the machine reports %s; at most %d are supported", count(m.Cores, "core"), MaxSide*MaxSide*MaxCoresPerCluster)
	case badMesh:
		return fmt.Errorf("cluster: clusters=%dx%d: X and Y must both be between 1 and %d", spec.X, spec.Y, MaxSide)
	case moreClustersThanCores:
		return fmt.Errorf("cluster: clusters=%dx%d asks for %s but the machine has %s; every cluster needs a core, so use at most %s",
			p.x, p.y, count(p.n, "cluster"), count(m.Cores, "core"), count(m.Cores, "cluster"))
	case tooFewSlots:
		return fmt.Errorf("cluster: clusters=%dx%d with at most %s per cluster holds %s but the machine has %d; use a larger mesh or more cores per cluster (at most %d)",
			p.x, p.y, count(p.per, "core"), count(p.n*p.per, "core"), m.Cores, MaxCoresPerCluster)
	case wraps:
		return fmt.Errorf("cluster: RAM [%#x, +%#x) wraps around the address space", m.RAMBase, m.RAMSize)
	case bankTooSmall:
		return fmt.Errorf("cluster: RAM [%#x, %#x) (%s) split over %s gives banks of %s, less than the %s a cluster needs to boot; use fewer clusters or more memory",
			m.RAMBase, p.end, sizeString(m.RAMSize), count(p.n, "cluster"), sizeString(p.size), sizeString(p.minBank))
	}
	return nil
}

func build(spec Spec, m Machine) (Topology, problem) {
	var t Topology
	per := spec.CoresPerCluster
	if per == 0 {
		per = DefaultCoresPerCluster
	}
	if per < 1 || per > MaxCoresPerCluster {
		return t, problem{kind: badPer}
	}
	if m.Cores < 1 {
		return t, problem{kind: noCores}
	}
	if m.Cores > MaxSide*MaxSide*MaxCoresPerCluster {
		return t, problem{kind: tooManyCores}
	}
	x, y := spec.X, spec.Y
	switch {
	case x == 0 && y == 0:
		x, y = SquareMesh((m.Cores + per - 1) / per)
	case x < 1 || y < 1 || x > MaxSide || y > MaxSide:
		return t, problem{kind: badMesh}
	}
	n := x * y
	if n > m.Cores {
		return t, problem{kind: moreClustersThanCores, x: x, y: y, n: n}
	}
	if n*per < m.Cores {
		return t, problem{kind: tooFewSlots, x: x, y: y, n: n, per: per}
	}
	t.x, t.y, t.cores = x, y, m.Cores
	t.q, t.r = m.Cores/n, m.Cores%n
	t.maxPer = t.q
	if t.r > 0 {
		t.maxPer++
	}
	if p := t.splitRAM(m); p.kind != ok {
		return Topology{}, p
	}
	return t, problem{}
}

// splitRAM cuts [RAMBase, RAMBase+RAMSize) into equal banks, one per cluster.
func (t *Topology) splitRAM(m Machine) problem {
	n := uint64(t.x * t.y)
	end := m.RAMBase + m.RAMSize
	if end < m.RAMBase {
		return problem{kind: wraps}
	}
	// Banks of each alignment: start at the first aligned address, take an
	// equal share of what follows, round the share down.
	banks := func(align uint64) (first, size uint64) {
		first = (m.RAMBase + align - 1) &^ (align - 1)
		if first < m.RAMBase || first >= end {
			return first, 0
		}
		return first, (end - first) / n &^ (align - 1)
	}
	first, size := banks(PageSize)
	t.align = PageSize
	if f4, s4 := banks(LargeAlign); m.AlignBanks || s4 > 0 && s4*16 >= size*15 {
		first, size, t.align = f4, s4, LargeAlign
	}
	minBank := m.MinBank
	if minBank < PageSize {
		minBank = PageSize
	}
	if size < minBank {
		return problem{kind: bankTooSmall, end: end, n: int(n), size: size, minBank: minBank}
	}
	t.ram = Bank{m.RAMBase, m.RAMSize}
	t.first, t.bank = first, size
	return problem{}
}

// SquareMesh returns the squarest X x Y mesh with exactly n clusters, X >= Y
// (see the package comment). n < 1 gives 0x0.
func SquareMesh(n int) (x, y int) {
	if n < 1 {
		return 0, 0
	}
	y = 1
	for d := 1; d*d <= n; d++ {
		if n%d == 0 {
			y = d
		}
	}
	return n / y, y
}

// Mesh returns the mesh dimensions X and Y.
func (t *Topology) Mesh() (x, y int) { return t.x, t.y }

// NumClusters returns X*Y.
func (t *Topology) NumClusters() int { return t.x * t.y }

// NumCores returns the number of cores of the machine.
func (t *Topology) NumCores() int { return t.cores }

// CoresPerCluster returns the largest number of cores in one cluster.
func (t *Topology) CoresPerCluster() int { return t.maxPer }

// ID returns the id of the cluster at (x, y), or -1 outside the mesh.
func (t *Topology) ID(x, y int) int {
	if uint(x) >= uint(t.x) || uint(y) >= uint(t.y) {
		return -1
	}
	return x*t.y + y
}

// Coords returns the mesh coordinates of cluster id, or (-1, -1) for an
// unknown id.
func (t *Topology) Coords(id int) (x, y int) {
	if uint(id) >= uint(t.x*t.y) {
		return -1, -1
	}
	return id / t.y, id % t.y
}

// Distance returns the Manhattan distance (mesh hops) between clusters a
// and b, or -1 if either is unknown.
func (t *Topology) Distance(a, b int) int {
	ax, ay := t.Coords(a)
	bx, by := t.Coords(b)
	if ax < 0 || bx < 0 {
		return -1
	}
	return abs(ax-bx) + abs(ay-by)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// ClusterCores returns the global number of the first core of cluster id and
// how many cores it has; (-1, 0) for an unknown id.
func (t *Topology) ClusterCores(id int) (first, n int) {
	if uint(id) >= uint(t.x*t.y) {
		return -1, 0
	}
	if id < t.r {
		return id * (t.q + 1), t.q + 1
	}
	return t.r*(t.q+1) + (id-t.r)*t.q, t.q
}

// CoreCluster returns the cluster of global core number core and the core's
// local index in it; (-1, -1) for an unknown core.
func (t *Topology) CoreCluster(core int) (id, local int) {
	if uint(core) >= uint(t.cores) {
		return -1, -1
	}
	big := t.r * (t.q + 1) // cores held by the clusters with one more
	if core < big {
		return core / (t.q + 1), core % (t.q + 1)
	}
	return t.r + (core-big)/t.q, (core - big) % t.q
}

// Core returns the global number of local core local of cluster id, or -1.
func (t *Topology) Core(id, local int) int {
	first, n := t.ClusterCores(id)
	if uint(local) >= uint(n) {
		return -1
	}
	return first + local
}

// Bank returns the memory bank of cluster id (zero for an unknown id).
func (t *Topology) Bank(id int) Bank {
	if uint(id) >= uint(t.x*t.y) {
		return Bank{}
	}
	return Bank{t.first + uint64(id)*t.bank, t.bank}
}

// BankAlign returns the alignment the banks were cut with (PageSize or
// LargeAlign).
func (t *Topology) BankAlign() uint64 { return t.align }

// RAM returns the whole range that was split into banks.
func (t *Topology) RAM() Bank { return t.ram }

// Unused returns the parts of the RAM range outside every bank: the head
// lost to aligning the first bank and the tail left by rounding bank sizes.
func (t *Topology) Unused() (head, tail Bank) {
	end := t.first + uint64(t.x*t.y)*t.bank
	return Bank{t.ram.Base, t.first - t.ram.Base}, Bank{end, t.ram.End() - end}
}

// ClusterOfAddr returns the cluster whose bank holds physical address pa, or
// -1 if no bank does.
func (t *Topology) ClusterOfAddr(pa uint64) int {
	if t.bank == 0 || pa < t.first {
		return -1
	}
	id := (pa - t.first) / t.bank
	if id >= uint64(t.x*t.y) {
		return -1
	}
	return int(id)
}

// String returns the boot-log dump: the mesh, then each cluster's
// coordinates, cores and bank, then unused RAM if any.
func (t Topology) String() string {
	if t.x == 0 {
		return "no clusters"
	}
	var b strings.Builder
	n := t.x * t.y
	fmt.Fprintf(&b, "mesh %dx%d: %s, %s (up to %d per cluster), ids x-major (id = x*%d + y)\n",
		t.x, t.y, count(n, "cluster"), count(t.cores, "core"), t.maxPer, t.y)
	align := "page"
	if t.align == LargeAlign {
		align = "4 MiB"
	}
	fmt.Fprintf(&b, "RAM [0x%08x, 0x%08x) %s: %s of %s, %s-aligned\n",
		t.ram.Base, t.ram.End(), sizeString(t.ram.Size), count(n, "bank"), sizeString(t.bank), align)
	for id := 0; id < n; id++ {
		x, y := t.Coords(id)
		first, c := t.ClusterCores(id)
		cores := fmt.Sprintf("cores %d-%d", first, first+c-1)
		if c == 1 {
			cores = fmt.Sprintf("core %d", first)
		}
		bk := t.Bank(id)
		fmt.Fprintf(&b, "cluster %d (%d,%d): %s, bank [0x%08x, 0x%08x)\n", id, x, y, cores, bk.Base, bk.End())
	}
	head, tail := t.Unused()
	for _, u := range [2]Bank{head, tail} {
		if u.Size > 0 {
			fmt.Fprintf(&b, "unused RAM [0x%08x, 0x%08x) %s\n", u.Base, u.End(), sizeString(u.Size))
		}
	}
	return b.String()
}

// count returns "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// sizeString prints a byte count in the largest binary unit that divides it.
func sizeString(n uint64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
