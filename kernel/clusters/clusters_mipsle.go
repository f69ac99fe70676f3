// Package clusters is the kernel's view of the machine as a mesh of
// clusters at run time: the topology, one cluster-manager per cluster (its
// bank's page allocator and object caches), and the DQDT that every
// placement decision goes through: where a new thread runs, which bank a
// mapping's pages come from when the local one is short, and which cluster
// an idle core takes work from.
//
// Trap-safe: the state is static data holding integers and addresses; the
// functions run in trap context or early boot.
package clusters

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"almos/cluster"
	"almos/cluster/manager"
	"almos/dqdt"
	"almos/kernel/cpu"
	"almos/kernel/kapi"
	"almos/kernel/kmem"
	"almos/kernel/thread"
	"almos/mm"
)

// MaxClusters bounds the clusters of a machine (malta: at most 16 cores).
const MaxClusters = kapi.MaxClusters

var (
	// Topo is the mesh.
	Topo cluster.Topology
	// Managers holds one cluster-manager per cluster.
	Managers [MaxClusters]manager.Manager
	// Tree is the DQDT over the mesh.
	Tree dqdt.Tree
	// Ready is set once the tree is built. Like Topo and Tree it is
	// plain data: early boot sets it on core 0 before any other core
	// starts (the CPC write that starts them is preceded by a sync) and
	// nothing changes it after, so every core reads it as set.
	Ready bool

	n int // clusters
)

// Stats count locality decisions. Every core updates them, atomically.
var Stats struct {
	PlacedLocal, PlacedRemote atomic.Uint32              // new threads in the creator's cluster or not
	PlacedOn                  [MaxClusters]atomic.Uint32 // new threads per chosen cluster
	Spills                    atomic.Uint32              // page runs served by another cluster's bank
	Pulls, PullsAnswered      atomic.Uint32              // idle cores asking for work, and answers
	PulledRemote              atomic.Uint32              // threads moved across clusters by a pull
}

// Init sets up the managers for topo. reserved0 bytes at the start of
// cluster 0's bank are in use (the kernel image). Called once in early boot.
func Init(topo cluster.Topology, reserved0 uintptr) bool {
	Topo = topo
	n = topo.NumClusters()
	if n > MaxClusters {
		return false
	}
	for id := 0; id < n; id++ {
		r := uintptr(0)
		if id == 0 {
			r = reserved0
		}
		if !Managers[id].Init(id, &Topo, r, unsafe.Sizeof(thread.Thread{})) {
			return false
		}
	}
	thread.CacheOf = threadCacheOf
	thread.CacheFor = threadCacheFor
	return true
}

// InitTree builds the DQDT in memory taken from cluster 0's bank and reports
// every bank's state into it.
func InitTree() bool {
	size := dqdt.Size(Topo)
	pages := (size + dqdt.Align + mm.PageSize - 1) >> mm.PageShift
	mem, ok := Managers[0].Pages.AllocRun(pages)
	if !ok {
		return false
	}
	kmem.Zero(mem, pages<<mm.PageShift)
	base := (mem + dqdt.Align - 1) &^ (dqdt.Align - 1)
	t, err := dqdt.New(Topo, base, size, dqdt.DefaultParams)
	if err != nil {
		return false
	}
	Tree = t
	for id := 0; id < n; id++ {
		Managers[id].Report(&Tree)
	}
	Ready = true
	return true
}

// N is the number of clusters.
func N() int { return n }

// Of returns the cluster of core.
func Of(core uint32) int {
	c, _ := Topo.CoreCluster(int(core))
	if c < 0 || c >= n {
		return 0
	}
	return c
}

// OfAddr returns the cluster whose bank holds addr, or -1.
func OfAddr(addr uintptr) int {
	for id := 0; id < n; id++ {
		if Managers[id].Owns(addr) {
			return id
		}
	}
	return -1
}

func threadCacheOf(core uint32) *mm.Cache { return &Managers[Of(core)].Threads }

func threadCacheFor(addr uintptr) *mm.Cache {
	if c := OfAddr(addr); c >= 0 {
		return &Managers[c].Threads
	}
	return nil
}

// AllocRun takes npages contiguous pages for a thread running on core: from
// its cluster's bank, else from the nearest cluster the DQDT says has room,
// else from any bank, nearest first.
func AllocRun(core uint32, npages uintptr) (uintptr, bool) {
	home := Of(core)
	if a, ok := Managers[home].Pages.AllocRun(npages); ok {
		return a, true
	}
	// Spill: ask the tree where the memory is.
	order, blocks := orderFor(npages)
	if Ready {
		Managers[home].Report(&Tree)
		if c := Tree.FindMemory(home, order, blocks); c >= 0 && c != home {
			if a, ok := Managers[c].Pages.AllocRun(npages); ok {
				spilled(home, c)
				return a, true
			}
		}
	}
	// The tree may be stale: try every bank by distance.
	for d := 1; d <= maxDistance(); d++ {
		for c := 0; c < n; c++ {
			if Topo.Distance(home, c) != d {
				continue
			}
			if a, ok := Managers[c].Pages.AllocRun(npages); ok {
				spilled(home, c)
				return a, true
			}
		}
	}
	return 0, false
}

func spilled(home, c int) {
	Managers[home].Spilled.Add(1)
	Managers[c].Lent.Add(1)
	Stats.Spills.Add(1)
	if Ready {
		Managers[c].Report(&Tree)
	}
}

func maxDistance() int {
	x, y := Topo.Mesh()
	return x + y
}

// orderFor expresses a run of npages as blocks of one order for FindMemory.
func orderFor(npages uintptr) (order int, blocks uint32) {
	if npages <= 1<<mm.MaxOrder {
		return bits.Len(uint(npages - 1)), 1
	}
	return mm.MaxOrder, uint32((npages + 1<<mm.MaxOrder - 1) >> mm.MaxOrder)
}

// bankSpan calls f for each piece of [addr, addr+npages pages) that lies in
// one bank, stopping at the first false. It returns false if a piece lies in
// no bank.
func bankSpan(addr, npages uintptr, f func(m *manager.Manager, a, n uintptr) bool) bool {
	for npages > 0 {
		c := OfAddr(addr)
		if c < 0 {
			return false
		}
		m := &Managers[c]
		end := uintptr(m.Bank.End())
		k := (end - addr) >> mm.PageShift
		if k > npages {
			k = npages
		}
		if !f(m, addr, k) {
			return false
		}
		addr += k << mm.PageShift
		npages -= k
	}
	return true
}

// Claim takes exactly [addr, addr+npages pages) if every page is free, in
// whichever banks it crosses; else it takes nothing.
func Claim(addr, npages uintptr) bool {
	done := uintptr(0)
	ok := bankSpan(addr, npages, func(m *manager.Manager, a, k uintptr) bool {
		if !m.Pages.Claim(a, k) {
			return false
		}
		done += k
		return true
	})
	if !ok && done > 0 {
		FreeRange(addr, done)
	}
	return ok
}

// FreeRange gives pages back to the banks they belong to.
func FreeRange(addr, npages uintptr) bool {
	return bankSpan(addr, npages, func(m *manager.Manager, a, k uintptr) bool {
		return m.Pages.FreeRange(a, k)
	})
}

// IsFree reports whether the page at addr is free in its bank.
func IsFree(addr uintptr) bool {
	c := OfAddr(addr)
	return c >= 0 && Managers[c].Pages.IsFree(addr)
}

// MemStats adds up the banks' allocator statistics.
func MemStats() mm.Stats {
	var s mm.Stats
	for id := 0; id < n; id++ {
		t := Managers[id].Pages.Stats()
		s.TotalPages += t.TotalPages
		s.FreePages += t.FreePages
		s.UsedPages += t.UsedPages
		for k := range s.FreeBlocks {
			s.FreeBlocks[k] += t.FreeBlocks[k]
		}
		s.Allocs += t.Allocs
		s.Frees += t.Frees
		s.Failures += t.Failures
	}
	return s
}

// Mode is the placement mode: 0, the DQDT chooses; 1, every new thread goes
// to cluster 0, its cores in turn (a test loads one cluster on purpose). A
// thread on one core sets it, every core's placements read it.
var Mode atomic.Uint32

// modeNext turns over cluster 0's cores in mode 1; any core may be placing a
// thread, so each takes the next turn atomically.
var modeNext atomic.Uint32

// Placer places new threads with the DQDT: the least-loaded cluster near the
// creator's, and the least-loaded core in it.
type Placer struct{}

// Place implements cpu.Placer.
func (Placer) Place(c *cpu.CPU, t *thread.Thread) uint32 {
	if Mode.Load() == 1 {
		first, k := Topo.ClusterCores(0)
		core := uint32(first) + modeNext.Add(1)%uint32(k)
		if t.Affinity == 0 || t.Affinity&(1<<core) != 0 {
			return core
		}
	}
	if !Ready {
		return cpu.RoundRobin{}.Place(c, t)
	}
	home := Of(c.ID)
	cl, local := Tree.PlaceThread(home)
	core := uint32(Topo.Core(cl, local))
	if cl < 0 || core >= uint32(cpu.Possible) || !cpu.CPUs[core].Online.Load() ||
		t.Affinity != 0 && t.Affinity&(1<<core) == 0 {
		return cpu.RoundRobin{}.Place(c, t)
	}
	if cl == home {
		Stats.PlacedLocal.Add(1)
	} else {
		Stats.PlacedRemote.Add(1)
	}
	Stats.PlacedOn[cl].Add(1)
	// Count the thread on its core now: the core reports its own load only
	// when it next schedules, and a placement made before that (the next
	// clone, on a busy host a vCPU that has not run for a while) would see
	// the core as still empty and pile threads on it. The core's next report
	// replaces the estimate, whatever it last reported.
	Tree.AddCoreLoad(cl, local, dqdt.LoadScale)
	atomic.StoreUint32(&lastLoad[core%mips32MaxCPU], ^uint32(0))
	return core
}

// ThreadMoved keeps the tree's thread counts when a thread is created
// (from = -1), exits (to = -1) or moves between cores.
func ThreadMoved(from, to int32) {
	if !Ready {
		return
	}
	var fc, tc int = -1, -1
	if from >= 0 {
		fc = Of(uint32(from))
	}
	if to >= 0 {
		tc = Of(uint32(to))
	}
	if fc == tc {
		return
	}
	if fc >= 0 {
		Tree.AddThreads(fc, -1)
	}
	if tc >= 0 {
		Tree.AddThreads(tc, 1)
	}
}

// lastLoad is the load each core last reported.
var lastLoad [mips32MaxCPU]uint32

const mips32MaxCPU = 16

// ReportLoad tells the tree core c's load (threads running or ready, in
// dqdt.LoadScale units) when it changed.
func ReportLoad(c *cpu.CPU) {
	if !Ready {
		return
	}
	l := uint32(c.Sched.Ready())
	if c.Sched.Current != c.Sched.Idle {
		l++
	}
	l *= dqdt.LoadScale
	if l > dqdt.MaxLoad {
		l = dqdt.MaxLoad
	}
	if atomic.SwapUint32(&lastLoad[c.ID%mips32MaxCPU], l) == l {
		return
	}
	cl, local := Topo.CoreCluster(int(c.ID))
	Tree.SetCoreLoad(cl, local, l)
}

// Tick is the periodic work of core c: the first core of each cluster
// refreshes its bank's state in the tree; an idle core asks for work. It
// returns how soon it wants to run again.
func Tick(c *cpu.CPU, now int64) int64 {
	if !Ready {
		return 0
	}
	cl, local := Topo.CoreCluster(int(c.ID))
	if local == 0 {
		Managers[cl].Report(&Tree)
	}
	if c.Sched.Current == c.Sched.Idle {
		Pull(c)
		return 20e6
	}
	return 100e6
}

// Pull is an idle core asking for work: from a core of its own cluster with
// threads waiting, else from the most loaded cluster near it (the DQDT's
// MostLoaded). The asked core answers by handing over a ready thread (Give).
func Pull(c *cpu.CPU) {
	home := Of(c.ID)
	if giver, ok := busiest(home, c.ID); ok {
		ask(c, giver)
		return
	}
	if n > 1 {
		if k := Tree.MostLoaded(home); k >= 0 && k != home {
			if giver, ok := busiest(k, c.ID); ok {
				ask(c, giver)
				return
			}
		}
		// The tree sees no cluster loaded enough above the others to be
		// worth balancing, but this core has nothing at all: take a
		// waiting thread from the nearest cluster that has one.
		for d := 1; d <= maxDistance(); d++ {
			for k := 0; k < n; k++ {
				if Topo.Distance(home, k) != d {
					continue
				}
				if giver, ok := busiest(k, c.ID); ok {
					ask(c, giver)
					return
				}
			}
		}
	}
}

// busiest finds the core of cluster cl with the most threads waiting.
func busiest(cl int, except uint32) (uint32, bool) {
	first, k := Topo.ClusterCores(cl)
	best, most := uint32(0), 0
	for i := first; i < first+k; i++ {
		if uint32(i) == except || i >= cpu.Possible || !cpu.CPUs[i].Online.Load() {
			continue
		}
		if r := cpu.CPUs[i].Sched.Ready(); r > most {
			best, most = uint32(i), r
		}
	}
	return best, most > 0
}

func ask(c *cpu.CPU, giver uint32) {
	Stats.Pulls.Add(1)
	g := &cpu.CPUs[giver]
	g.Asked.Or(1 << c.ID)
	g.Post(cpu.WorkGive)
	if cpu.SendIPI != nil {
		cpu.SendIPI(giver)
	}
}

// Give answers the pulls posted to core c (its WorkGive): one ready thread
// to each asking core that is still idle, within the thread's affinity.
func Give(c *cpu.CPU) {
	askers := c.Asked.Swap(0)
	for askers != 0 {
		dst := uint32(bits.TrailingZeros32(askers))
		askers &^= 1 << dst
		if cpu.IdleMask.Load()&(1<<dst) == 0 {
			continue
		}
		if !cpu.Migrate(c, dst) {
			return
		}
		Stats.PullsAnswered.Add(1)
		if Of(dst) != Of(c.ID) {
			Stats.PulledRemote.Add(1)
		}
	}
}
