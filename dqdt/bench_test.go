package dqdt

import (
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"

	"almos/cluster"
)

// The benchmarks compare the tree with the obvious alternative: every
// cluster's indicators in one array behind one mutex, each query scanning
// all clusters. Sub-benchmarks are named impl=dqdt|locked and clusters=N so
// that benchstat can set the two side by side (-col /impl).

// placer is what both implementations offer to the benchmarks.
type placer interface {
	SetCoreLoad(c, core int, v uint32) bool
	SetFree(c, order int, blocks uint32) bool
	PlaceThread(near int) (c, core int)
	FindMemory(near, order int, blocks uint32) int
}

// lockedScan is the baseline: a mutex-protected array of per-cluster
// indicators, scanned linearly by every query. Its answers follow the same
// rules as the tree's, with plain Manhattan distance for "near".
type lockedScan struct {
	mu       sync.Mutex
	topo     cluster.Topology
	slack    uint32
	coreLoad [][MaxCores]uint32
	cores    []int
	load     []uint32 // mean core load of each cluster
	free     [][Orders]uint32
	room     [][Orders]uint32
}

func newLockedScan(topo cluster.Topology, p Params) *lockedScan {
	n := topo.NumClusters()
	s := &lockedScan{topo: topo, slack: uint32(p.PlaceSlack), coreLoad: make([][MaxCores]uint32, n),
		cores: make([]int, n), load: make([]uint32, n), free: make([][Orders]uint32, n), room: make([][Orders]uint32, n)}
	for c := range s.cores {
		_, s.cores[c] = topo.ClusterCores(c)
	}
	return s
}

func (s *lockedScan) SetCoreLoad(c, core int, v uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coreLoad[c][core] = v
	var sum uint32
	for k := 0; k < s.cores[c]; k++ {
		sum += s.coreLoad[c][k]
	}
	s.load[c] = min(sum/uint32(s.cores[c]), MaxLoad)
	return true
}

func (s *lockedScan) SetFree(c, order int, blocks uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free[c][order] = blocks
	var r uint64
	for k := MaxOrder; k >= 0; k-- {
		r = min(r*2+uint64(s.free[c][k]), MaxRoom)
		s.room[c][k] = uint32(r)
	}
	return true
}

func (s *lockedScan) PlaceThread(near int) (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	least := uint32(MaxLoad)
	for _, v := range s.load {
		least = min(least, v)
	}
	best, bd := -1, 0
	for c, v := range s.load {
		if v <= least+s.slack {
			if d := s.topo.Distance(near, c); best < 0 || d < bd {
				best, bd = c, d
			}
		}
	}
	core := 0
	for k := 1; k < s.cores[best]; k++ {
		if s.coreLoad[best][k] < s.coreLoad[best][core] {
			core = k
		}
	}
	return best, core
}

func (s *lockedScan) FindMemory(near, order int, blocks uint32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	best, bd := -1, 0
	for c := range s.room {
		if s.room[c][order] >= blocks {
			if d := s.topo.Distance(near, c); best < 0 || d < bd {
				best, bd = c, d
			}
		}
	}
	return best
}

// benchSizes are the machine sizes benchmarked, as square meshes.
var benchSizes = []int{2, 4, 8, 16, 32} // 4, 16, 64, 256, 1024 clusters

// benchOp is one pre-drawn random operation, so that drawing random numbers
// is not part of what is measured.
type benchOp struct {
	c, core, near, order int
	v                    uint32
}

const benchOps = 1 << 12

func benchSetup(b *testing.B, side int) (impls []placer, names []string, ops []benchOp) {
	topo, err := cluster.New(cluster.Spec{X: side, Y: side}, cluster.Machine{Cores: 4 * side * side, RAMSize: uint64(side*side) << 24})
	if err != nil {
		b.Fatal(err)
	}
	tree := newTree(b, topo, DefaultParams)
	scan := newLockedScan(topo, DefaultParams)
	rng := rand.New(rand.NewSource(int64(side)))
	n := topo.NumClusters()
	for c := 0; c < n; c++ {
		for k := 0; k < 4; k++ {
			v := uint32(rng.Intn(4 * LoadScale))
			tree.SetCoreLoad(c, k, v)
			scan.SetCoreLoad(c, k, v)
		}
		for k := 0; k < Orders; k++ {
			v := uint32(rng.Intn(3))
			tree.SetFree(c, k, v)
			scan.SetFree(c, k, v)
		}
	}
	ops = make([]benchOp, benchOps)
	for i := range ops {
		ops[i] = benchOp{c: rng.Intn(n), core: rng.Intn(4), near: rng.Intn(n), order: rng.Intn(Orders), v: uint32(rng.Intn(4 * LoadScale))}
	}
	return []placer{tree, scan}, []string{"dqdt", "locked"}, ops
}

// runAll runs body for each implementation and size.
func runAll(b *testing.B, body func(b *testing.B, p placer, ops []benchOp)) {
	for _, side := range benchSizes {
		impls, names, ops := benchSetup(b, side)
		for i, p := range impls {
			b.Run(fmt.Sprintf("impl=%s/clusters=%d", names[i], side*side), func(b *testing.B) {
				body(b, p, ops)
			})
		}
	}
}

// BenchmarkPlaceThread: one PlaceThread from a random cluster, no contention.
func BenchmarkPlaceThread(b *testing.B) {
	runAll(b, func(b *testing.B, p placer, ops []benchOp) {
		for i := 0; i < b.N; i++ {
			p.PlaceThread(ops[i%benchOps].near)
		}
	})
}

// BenchmarkFindMemory: one FindMemory (2 blocks of a random order) from a
// random cluster, no contention.
func BenchmarkFindMemory(b *testing.B) {
	runAll(b, func(b *testing.B, p placer, ops []benchOp) {
		for i := 0; i < b.N; i++ {
			o := &ops[i%benchOps]
			p.FindMemory(o.near, o.order, 2)
		}
	})
}

// BenchmarkUpdate: one core-load change of a random core, no contention.
// For the tree this includes the climb to the root.
func BenchmarkUpdate(b *testing.B) {
	runAll(b, func(b *testing.B, p placer, ops []benchOp) {
		for i := 0; i < b.N; i++ {
			o := &ops[i%benchOps]
			p.SetCoreLoad(o.c, o.core, o.v)
		}
	})
}

// BenchmarkContended: every core of the host (GOMAXPROCS goroutines) loops
// on one core-load update followed by one PlaceThread; ns/op is per pair.
func BenchmarkContended(b *testing.B) {
	runAll(b, func(b *testing.B, p placer, ops []benchOp) {
		var seed atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			i := int(seed.Add(1)) * 997
			for pb.Next() {
				o := &ops[i%benchOps]
				p.SetCoreLoad(o.c, o.core, o.v)
				p.PlaceThread(o.near)
				i++
			}
		})
	})
}

// TestBaselineAgrees makes sure the baseline answers sensibly, so that the
// benchmarks compare two implementations of the same questions: its answers
// qualify exactly like the tree's (the choice among qualifying clusters may
// differ, the baseline measuring nearness in mesh hops).
func TestBaselineAgrees(t *testing.T) {
	topo := topology(t, 5, 3, 60)
	tree := newTree(t, topo, DefaultParams)
	scan := newLockedScan(topo, DefaultParams)
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 2000; i++ {
		c := rng.Intn(15)
		if rng.Intn(2) == 0 {
			k, v := rng.Intn(4), uint32(rng.Intn(4*LoadScale))
			tree.SetCoreLoad(c, k, v)
			scan.SetCoreLoad(c, k, v)
		} else {
			k, v := rng.Intn(Orders), uint32(rng.Intn(3))
			tree.SetFree(c, k, v)
			scan.SetFree(c, k, v)
		}
		near := rng.Intn(15)
		tc, _ := tree.PlaceThread(near)
		sc, _ := scan.PlaceThread(near)
		if scan.load[tc] > scan.load[sc]+scan.slack {
			t.Fatalf("PlaceThread(%d): tree %d (load %d), scan %d (load %d)", near, tc, scan.load[tc], sc, scan.load[sc])
		}
		tm, sm := tree.FindMemory(near, 1, 2), scan.FindMemory(near, 1, 2)
		if (tm < 0) != (sm < 0) || (tm >= 0 && scan.room[tm][1] < 2) {
			t.Fatalf("FindMemory(%d): tree %d, scan %d", near, tm, sm)
		}
	}
}
