// Package dqdt is the Distributed Quaternary Decision Tree: a quad-tree over
// the mesh of clusters whose nodes aggregate the resource-usage indicators of
// their subtree, so that placement decisions (where to run a new thread,
// where to find memory, whom to steal work from) are taken by descending a
// few nodes instead of scanning every cluster.
//
// Trap-safe: after New or Attach, every update, query and read of a Tree
// allocates nothing from the Go heap, takes no lock, uses no channel, stores
// no Go pointer and finishes in a bounded number of steps; it may run in
// trap context on a per-core trap stack. New and Attach themselves only
// compute and check; the tree's memory is handed in by the caller.
//
// # Shape
//
// Level 0 holds one leaf per cluster. A node of level l covers the aligned
// 2^l x 2^l square of clusters whose coordinates have the same x>>l and y>>l;
// its children are the four squares of level l-1 inside it. The root is at
// the smallest level whose square covers the whole mesh. For a mesh whose
// sides are not powers of two, squares on the right and top edges are cut
// by the mesh: some children are absent and some nodes cover a strip rather
// than a square, but no node is ever empty. A node is found by arithmetic on
// coordinates (no pointers): its parent is (l+1, i>>1, j>>1).
//
// # Indicators
//
// Every node has a summary of its whole subtree (its totals) and one summary
// per child, so a query can choose among children by reading one node. A
// summary holds:
//   - sums, exact when quiescent: threads, load (sum of the per-core loads),
//     free blocks of each order 0..10, and the static numbers of cores and
//     clusters;
//   - extremes over the clusters of the subtree: the least and the greatest
//     cluster load, and for each order k the most room a single cluster has,
//     where room(k) = sum over j >= k of free[j] << (j-k), the number of
//     order-k blocks the cluster could hand out (larger blocks split).
//
// A cluster's load is the mean of its cores' loads; a core's load is what
// the scheduler reports, by convention LoadScale per runnable thread. Each
// leaf keeps its cores' loads so that PlaceThread can name the least-loaded
// core.
//
// Extremes are kept in 16 bits (see below): cluster loads saturate at
// MaxLoad (255 runnable threads per core) and room at MaxRoom blocks (256 MiB
// of 4 KiB pages at order 0). FindMemory treats a request above MaxRoom
// blocks as a request for MaxRoom.
//
// # Updates, and why they are wait-free
//
// An update first changes the leaf (atomic swap or add of a core load, the
// thread count or a free count), then climbs towards the root, at most
// Levels() steps. At each level it adds the change of the sums to the
// parent's slot for this child and to the parent's totals (atomic adds), and
// recomputes the extremes that changed from the node's own children (for a
// leaf, from its raw values) and publishes them into the node's totals and
// into the parent's slot for the node.
//
// Sums commute, so the adds make them exact once updates stop. Extremes do
// not: two updaters recomputing the same node from different children could
// store in the wrong order and leave a stale value behind. So each extreme
// word carries a 16-bit ticket next to its 16-bit value. Before reading the
// children, an updater takes a ticket from the node's counter for that
// extreme; it stores its result with compare-and-swap only while the word
// holds an older ticket, and stops as soon as it sees a newer one. A newer
// ticket was taken after this updater had changed the children, so the
// newer updater's result already includes that change. The holder of the
// newest ticket therefore always lands its result, which is why extremes are
// exact once updates stop. An updater goes on to the parent only for the
// extremes whose value it actually changed there.
//
// Bounds. Each compare-and-swap fails only because another updater's
// succeeded in between: if that one held a newer ticket, the next read stops
// us; otherwise it held an older ticket, was already in flight when we took
// ours, and succeeds at most once. So a store loops at most (number of cores
// updating the same node) + 1 times, and an update does at most
// Levels() x (a few adds + 13 x (one ticket + 4 loads + 2 stores)) of those.
// That bound does not depend on what other cores do over time: the update
// is wait-free at the level of sync/atomic operations. Tickets are compared
// modulo 2^16; that is exact while fewer than 2^14 updaters are at one node
// at once (the most cores TSAR has is 4096), and an updater that finds
// itself 2^14 tickets behind gives up, newer ones having covered it.
//
// On MIPS32 every sync/atomic operation (add, swap, compare-and-swap) is an
// LL/SC loop in the Go runtime: the SC fails when another core wrote the
// same cache line, or an exception came, between LL and SC. That loop is
// lock-free, not wait-free: one core could in principle keep losing. It is
// acceptable because the window is a handful of instructions, a failure
// means another core's store succeeded, and the contention on any one line
// is bounded by the cores of the subtree below it. The package uses only
// 32-bit atomics: Go's 64-bit atomics on 32-bit MIPS take a spin lock.
//
// Queries only load words: at most two walks of Levels() nodes, reading at
// most the totals and four child slots of each.
//
// # Staleness
//
// Readers take no snapshot: each word is read atomically, but words of one
// node may come from different moments, and an update in flight may have
// reached some levels and not yet the others (a parent lags its leaf by the
// updates still climbing). Once every update call has returned, every sum
// and every extreme equals the brute-force aggregate over the leaves. Under
// concurrent updates an answer is right for the values it read; the only
// guarantee is that clusters whose indicators do not change, and changes
// that stay on the same side of a query's threshold, do not change the
// answer (the tests check exactly that). Every walk has a fallback so that
// it ends on a leaf even if the values it reads disagree.
//
// # Memory
//
// The nodes do not live in the Go heap: with one kernel instance per
// cluster, the tree is shared by several Go runtimes and no collector may
// see it. New lays the tree out in a region handed in by address (in the
// kernel, pages from a cluster's allocator; in tests, a []byte kept alive),
// and every access goes through sync/atomic on that address. A Tree value
// holds only integers and that address; other instances call Attach with
// the same region. Nodes are 64-byte aligned so that nodes do not share a
// cache line. All nodes are in one region for now; placing each node in the
// bank of a cluster it covers is a later refinement that needs only a
// different address function.
package dqdt

import (
	"errors"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"almos/cluster"
)

const (
	// Orders is the number of buddy orders whose free blocks are tracked.
	Orders = 11
	// MaxOrder is the largest tracked order.
	MaxOrder = Orders - 1
	// LoadScale is the load of a core with one runnable thread.
	LoadScale = 256
	// MaxLoad is the largest cluster load the extremes can hold.
	MaxLoad = 0xFFFF
	// MaxRoom is the largest room (blocks of one order) the extremes hold.
	MaxRoom = 0xFFFF
	// MaxCores is the most cores a leaf keeps loads for.
	MaxCores = cluster.MaxCoresPerCluster
	// Align is the alignment New requires of the region.
	Align = 64
)

// Layout of a summary, in 32-bit words.
const (
	sThreads  = 0
	sLoad     = 1
	sCores    = 2
	sClusters = 3
	sFree     = 4              // Orders words
	sExt      = sFree + Orders // nExt words, each ticket<<16 | value
	slotWords = sExt + nExt
)

// Extremes, by index from sExt; mask bits use the same index.
const (
	eMin  = 0
	eMax  = 1
	eRoom = 2 // eRoom+k: room of order k
	nExt  = eRoom + Orders

	loadMask = 1<<eMin | 1<<eMax
)

// Layout of a node, in words. A leaf stops after its core loads.
const (
	nPresent   = 0 // inner node: bit q set when child q exists
	nCounter   = 1 // nExt ticket counters
	nTotal     = 16
	nChild     = nTotal + slotWords // inner: 4 slots; leaf: MaxCores core loads
	innerWords = (nChild + 4*slotWords + 15) &^ 15
	leafWords  = (nChild + MaxCores + 15) &^ 15
	leafBytes  = leafWords * 4
	innerBytes = innerWords * 4
)

// Header of the region, in words.
const (
	hMagic = iota
	hX
	hY
	hTop
	hSlack
	hThreshold
	hSize
	headerBytes = 64

	magic = 0x44514454 // "DQDT"
)

// maxTop bounds the root level: cluster.MaxSide = 256 = 2^8.
const maxTop = 8

// window is how far behind the newest ticket an updater may be before it
// leaves the work to newer ones (see the package comment).
const window = 1 << 14

// Params tune the queries; they are fixed at New and read back by Attach.
type Params struct {
	// PlaceSlack: PlaceThread treats every cluster whose load is at most the
	// least load plus PlaceSlack as least loaded, and takes the nearest.
	PlaceSlack uint16
	// BalanceThreshold: MostLoaded answers only clusters whose load exceeds
	// the idle cluster's by at least this much (at least 1).
	BalanceThreshold uint16
}

// DefaultParams: a cluster within an eighth of a runnable thread per core
// of the least load counts as least loaded; balancing starts when a cluster
// has one more runnable thread per core than the idle one.
var DefaultParams = Params{PlaceSlack: LoadScale / 8, BalanceThreshold: LoadScale}

// Tree is a handle on a DQDT laid out in memory outside the Go heap. It holds
// no Go pointers and may be copied freely; every copy names the same tree.
type Tree struct {
	topo      cluster.Topology
	mem       uintptr
	top       int // level of the root (0 for a 1x1 mesh: the leaf is the root)
	slack     uint32
	threshold uint32
	base      [maxTop + 1]uintptr // address of the first node of each level
	nx, ny    [maxTop + 1]int     // nodes per row and per column of each level
}

// ptrAt turns an address into a pointer without a uintptr-to-pointer
// conversion that vet would flag: the memory is either outside the Go heap
// (kernel) or kept alive by the caller (tests).
func ptrAt(a uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&a)) }

func word(a uintptr) *uint32            { return (*uint32)(ptrAt(a)) }
func load(a uintptr) uint32             { return atomic.LoadUint32(word(a)) }
func store(a uintptr, v uint32)         { atomic.StoreUint32(word(a), v) }
func add(a uintptr, d uint32) uint32    { return atomic.AddUint32(word(a), d) }
func swap(a uintptr, v uint32) uint32   { return atomic.SwapUint32(word(a), v) }
func cas(a uintptr, old, v uint32) bool { return atomic.CompareAndSwapUint32(word(a), old, v) }

// w returns the address of word i of the node or slot at a.
func w(a uintptr, i int) uintptr { return a + uintptr(i)*4 }

// geometry returns the root level and the node grid of every level.
func geometry(x, y int) (top int, nx, ny [maxTop + 1]int) {
	for (1<<top) < x || (1<<top) < y {
		top++
	}
	for l := 0; l <= top; l++ {
		nx[l] = (x + 1<<l - 1) >> l
		ny[l] = (y + 1<<l - 1) >> l
	}
	return
}

// Size returns the bytes of memory a tree over topo needs.
func Size(topo cluster.Topology) uintptr {
	x, y := topo.Mesh()
	top, nx, ny := geometry(x, y)
	size := uintptr(headerBytes) + uintptr(x*y)*leafBytes
	for l := 1; l <= top; l++ {
		size += uintptr(nx[l]*ny[l]) * innerBytes
	}
	return size
}

// layout fills the handle's geometry for a region at mem.
func (t *Tree) layout(topo cluster.Topology, mem uintptr) error {
	x, y := topo.Mesh()
	if x < 1 || y < 1 {
		return errors.New("dqdt: the topology has no clusters")
	}
	if mem == 0 || mem%Align != 0 {
		return errors.New("dqdt: the region must be 64-byte aligned and not at address 0")
	}
	t.topo, t.mem = topo, mem
	t.top, t.nx, t.ny = geometry(x, y)
	t.base[0] = mem + headerBytes
	next := t.base[0] + uintptr(x*y)*leafBytes
	for l := 1; l <= t.top; l++ {
		t.base[l] = next
		next += uintptr(t.nx[l]*t.ny[l]) * innerBytes
	}
	return nil
}

// New lays out an empty tree (no threads, no load, no free memory) over
// topo in the size bytes at mem, which must stay reserved for the tree for
// as long as any instance uses it.
func New(topo cluster.Topology, mem, size uintptr, p Params) (Tree, error) {
	var t Tree
	if p.BalanceThreshold == 0 {
		return Tree{}, errors.New("dqdt: Params.BalanceThreshold must be at least 1")
	}
	if err := t.layout(topo, mem); err != nil {
		return Tree{}, err
	}
	need := Size(topo)
	if size < need {
		return Tree{}, errors.New("dqdt: region smaller than Size(topology)")
	}
	for a := mem; a < mem+need; a += 4 {
		store(a, 0)
	}
	t.slack, t.threshold = uint32(p.PlaceSlack), uint32(p.BalanceThreshold)
	x, y := topo.Mesh()
	hdr := [...]uint32{hMagic: magic, hX: uint32(x), hY: uint32(y), hTop: uint32(t.top),
		hSlack: t.slack, hThreshold: t.threshold, hSize: uint32(need)}
	for i, v := range hdr {
		store(w(mem, i), v)
	}
	// Static sums: cores and clusters of every subtree, built bottom-up.
	for id := 0; id < x*y; id++ {
		cx, cy := topo.Coords(id)
		_, cores := topo.ClusterCores(id)
		leaf := t.node(0, cx, cy)
		store(w(leaf, nTotal+sCores), uint32(cores))
		store(w(leaf, nTotal+sClusters), 1)
		i, j := cx, cy
		for l := 1; l <= t.top; l++ {
			q := i&1 | (j&1)<<1
			i, j = i>>1, j>>1
			n := t.node(l, i, j)
			store(w(n, nPresent), load(w(n, nPresent))|1<<q)
			for _, s := range [2]int{nTotal, nChild + q*slotWords} {
				add(w(n, s+sCores), uint32(cores))
				add(w(n, s+sClusters), 1)
			}
		}
	}
	return t, nil
}

// Attach returns a handle on a tree that New laid out at mem for the same
// topology (another kernel instance's view of it).
func Attach(topo cluster.Topology, mem, size uintptr) (Tree, error) {
	var t Tree
	if err := t.layout(topo, mem); err != nil {
		return Tree{}, err
	}
	x, y := topo.Mesh()
	if size < headerBytes || load(w(mem, hMagic)) != magic {
		return Tree{}, errors.New("dqdt: no tree at this address")
	}
	if load(w(mem, hX)) != uint32(x) || load(w(mem, hY)) != uint32(y) ||
		load(w(mem, hTop)) != uint32(t.top) || uintptr(load(w(mem, hSize))) != Size(topo) || size < Size(topo) {
		return Tree{}, errors.New("dqdt: the tree at this address was built for another topology")
	}
	t.slack, t.threshold = load(w(mem, hSlack)), load(w(mem, hThreshold))
	return t, nil
}

// Topology returns the topology the tree was built over.
func (t *Tree) Topology() cluster.Topology { return t.topo }

// Levels returns the number of levels above the leaves (0 for one cluster).
func (t *Tree) Levels() int { return t.top }

// node returns the address of node (i, j) of level l.
func (t *Tree) node(l, i, j int) uintptr {
	if l == 0 {
		return t.base[0] + uintptr(i*t.ny[0]+j)*leafBytes
	}
	return t.base[l] + uintptr(i*t.ny[l]+j)*innerBytes
}

// leaf returns the coordinates and leaf of cluster c; ok is false for an
// unknown cluster.
func (t *Tree) leaf(c int) (x, y int, n uintptr, ok bool) {
	x, y = t.topo.Coords(c)
	if x < 0 {
		return 0, 0, 0, false
	}
	return x, y, t.node(0, x, y), true
}

// change is what one update did to a leaf: the deltas of its sums (two's
// complement) and the extremes to recompute.
type change struct {
	threads, load uint32
	free          [Orders]uint32
	freeMask      uint32 // orders whose delta is not zero
	ext           uint32 // extremes to recompute at the leaf
}

func (c *change) sums() bool { return c.threads != 0 || c.load != 0 || c.freeMask != 0 }

// roomMask returns the extremes that depend on free[order]: room(k) for every
// k <= order.
func roomMask(order int) uint32 { return (1<<(order+1) - 1) << eRoom }

// SetCoreLoad sets the load of local core core of cluster c. It returns
// false, changing nothing, for an unknown cluster or core.
func (t *Tree) SetCoreLoad(c, core int, v uint32) bool {
	x, y, n, ok := t.leaf(c)
	if !ok || uint(core) >= uint(load(w(n, nTotal+sCores))) {
		return false
	}
	old := swap(w(n, nChild+core), v)
	if old == v {
		return true
	}
	ch := change{load: v - old, ext: loadMask}
	add(w(n, nTotal+sLoad), ch.load)
	t.propagate(x, y, &ch)
	return true
}

// AddCoreLoad adds delta to the load of local core core of cluster c. A
// placer uses it to count a thread it just sent to a core before that core
// gets to report its own load: the core's next SetCoreLoad replaces the
// estimate with the measured value.
func (t *Tree) AddCoreLoad(c, core int, delta int32) bool {
	x, y, n, ok := t.leaf(c)
	if !ok || uint(core) >= uint(load(w(n, nTotal+sCores))) {
		return false
	}
	if delta == 0 {
		return true
	}
	ch := change{load: uint32(delta), ext: loadMask}
	add(w(n, nChild+core), ch.load)
	add(w(n, nTotal+sLoad), ch.load)
	t.propagate(x, y, &ch)
	return true
}

// AddThreads adds delta to the thread count of cluster c.
func (t *Tree) AddThreads(c int, delta int32) bool {
	x, y, n, ok := t.leaf(c)
	if !ok {
		return false
	}
	if delta == 0 {
		return true
	}
	ch := change{threads: uint32(delta)}
	add(w(n, nTotal+sThreads), ch.threads)
	t.propagate(x, y, &ch)
	return true
}

// SetThreads sets the thread count of cluster c.
func (t *Tree) SetThreads(c int, v uint32) bool {
	x, y, n, ok := t.leaf(c)
	if !ok {
		return false
	}
	old := swap(w(n, nTotal+sThreads), v)
	if old == v {
		return true
	}
	ch := change{threads: v - old}
	t.propagate(x, y, &ch)
	return true
}

// SetFree sets the number of free blocks of order order in cluster c.
func (t *Tree) SetFree(c, order int, blocks uint32) bool {
	x, y, n, ok := t.leaf(c)
	if !ok || uint(order) > MaxOrder {
		return false
	}
	old := swap(w(n, nTotal+sFree+order), blocks)
	if old == blocks {
		return true
	}
	var ch change
	ch.free[order], ch.freeMask, ch.ext = blocks-old, 1<<order, roomMask(order)
	t.propagate(x, y, &ch)
	return true
}

// AddFree adds delta to the number of free blocks of order order in
// cluster c (the page allocator's view after an allocation or a free).
func (t *Tree) AddFree(c, order int, delta int32) bool {
	x, y, n, ok := t.leaf(c)
	if !ok || uint(order) > MaxOrder {
		return false
	}
	if delta == 0 {
		return true
	}
	add(w(n, nTotal+sFree+order), uint32(delta))
	var ch change
	ch.free[order], ch.freeMask, ch.ext = uint32(delta), 1<<order, roomMask(order)
	t.propagate(x, y, &ch)
	return true
}

// SetFreeAll sets the free block counts of every order of cluster c at once
// (one climb instead of one per order); blocks must not be nil.
func (t *Tree) SetFreeAll(c int, blocks *[Orders]uint32) bool {
	x, y, n, ok := t.leaf(c)
	if !ok {
		return false
	}
	var ch change
	for k := 0; k < Orders; k++ {
		old := swap(w(n, nTotal+sFree+k), blocks[k])
		if old != blocks[k] {
			ch.free[k] = blocks[k] - old
			ch.freeMask |= 1 << k
			ch.ext |= roomMask(k)
		}
	}
	if ch.freeMask != 0 {
		t.propagate(x, y, &ch)
	}
	return true
}

// propagate climbs from the leaf of cluster (x, y), adding the sums of ch to
// every ancestor and republishing the extremes that change.
func (t *Tree) propagate(x, y int, ch *change) {
	sums := ch.sums()
	mask := ch.ext
	n, l, i, j := t.node(0, x, y), 0, x, y
	for {
		var p uintptr
		q := i&1 | (j&1)<<1
		if l < t.top {
			p = t.node(l+1, i>>1, j>>1)
			if sums {
				addSums(w(p, nChild+q*slotWords), ch)
				addSums(w(p, nTotal), ch)
			}
		}
		if mask != 0 {
			mask = t.republish(n, l, p, q, mask)
		}
		if p == 0 || (mask == 0 && !sums) {
			return
		}
		n, l, i, j = p, l+1, i>>1, j>>1
	}
}

func addSums(s uintptr, ch *change) {
	if ch.threads != 0 {
		add(w(s, sThreads), ch.threads)
	}
	if ch.load != 0 {
		add(w(s, sLoad), ch.load)
	}
	for m := ch.freeMask; m != 0; m &= m - 1 {
		k := bits.TrailingZeros32(m)
		add(w(s, sFree+k), ch.free[k])
	}
}

// Outcomes of publish.
const (
	superseded = iota // a newer ticket is there (or ours is too old): nothing stored
	same              // stored, the value did not change
	changed           // stored a different value
)

// republish recomputes the extremes in mask at node n (level l), stores them
// into n's totals and into slot q of the parent p (if any), and returns the
// extremes whose value in the parent's slot changed: those must climb on.
func (t *Tree) republish(n uintptr, l int, p uintptr, q int, mask uint32) uint32 {
	var tk [nExt]uint32
	for m := mask; m != 0; m &= m - 1 {
		e := bits.TrailingZeros32(m)
		tk[e] = add(w(n, nCounter+e), 1) & 0xFFFF
	}
	// The tickets are taken before the children are read: that order is what
	// lets a newer ticket stand for everything written before it.
	var v [nExt]uint32
	if l == 0 {
		collectLeaf(n, mask, &v)
	} else {
		collectInner(n, mask, &v)
	}
	var up uint32
	for m := mask; m != 0; m &= m - 1 {
		e := bits.TrailingZeros32(m)
		ctr := w(n, nCounter+e)
		if publish(w(n, nTotal+sExt+e), ctr, v[e], tk[e]) == superseded {
			continue // the newer updater publishes the parent's copy too
		}
		if p != 0 && publish(w(p, nChild+q*slotWords+sExt+e), ctr, v[e], tk[e]) == changed {
			up |= 1 << e
		}
	}
	return up
}

// publish stores value v with ticket tk into the extreme word at a unless a
// newer ticket is there; ctr is the counter the ticket came from.
func publish(a, ctr uintptr, v, tk uint32) int {
	for {
		cur := load(a)
		if int16(uint16(cur>>16)-uint16(tk)) > 0 {
			return superseded
		}
		if uint16(load(ctr)-tk) >= window {
			return superseded
		}
		if cas(a, cur, tk<<16|v) {
			if cur&0xFFFF == v {
				return same
			}
			return changed
		}
	}
}

// collectLeaf computes a leaf's extremes from its raw values: the mean core
// load, and the room of each order from the free counts.
func collectLeaf(n uintptr, mask uint32, v *[nExt]uint32) {
	if mask&loadMask != 0 {
		cores := load(w(n, nTotal+sCores))
		var sum uint64
		for k := uint32(0); k < cores; k++ {
			sum += uint64(load(w(n, nChild+int(k))))
		}
		mean := sum / uint64(cores)
		if mean > MaxLoad {
			mean = MaxLoad
		}
		v[eMin], v[eMax] = uint32(mean), uint32(mean)
	}
	if mask>>eRoom != 0 {
		// room(k) = 2*room(k+1) + free[k], saturated; once saturated it
		// stays so, which keeps the recurrence exact below MaxRoom.
		var room uint64
		for k := MaxOrder; k >= 0; k-- {
			room = room*2 + uint64(load(w(n, nTotal+sFree+k)))
			if room > MaxRoom {
				room = MaxRoom
			}
			v[eRoom+k] = uint32(room)
		}
	}
}

// collectInner computes an inner node's extremes from its child slots.
func collectInner(n uintptr, mask uint32, v *[nExt]uint32) {
	present := load(w(n, nPresent))
	for m := mask; m != 0; m &= m - 1 {
		e := bits.TrailingZeros32(m)
		if e == eMin {
			v[e] = MaxLoad
		} else {
			v[e] = 0
		}
	}
	for q := 0; q < 4; q++ {
		if present&(1<<q) == 0 {
			continue
		}
		s := w(n, nChild+q*slotWords+sExt)
		for m := mask; m != 0; m &= m - 1 {
			e := bits.TrailingZeros32(m)
			x := load(w(s, e)) & 0xFFFF
			if (e == eMin && x < v[e]) || (e != eMin && x > v[e]) {
				v[e] = x
			}
		}
	}
}
