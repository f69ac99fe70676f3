package dqdt

import (
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
)

// Tolerance under concurrent updates, as the package comment states it:
// readers see no snapshot, so an answer may reflect any mix of the values
// that the changing clusters go through. What must hold is that clusters
// that do not change, and changes that stay on one side of every threshold a
// query uses, do not change the answer. TestStableAnswersUnderChurn checks
// exactly that; TestConvergenceAfterChaos checks that whatever the
// interleaving, the tree is exact again once the updates stop.

// TestStableAnswersUnderChurn splits the clusters into stable ones, whose
// indicators are set once, and churning ones, which goroutines keep
// updating inside bands that never cross a query threshold:
//   - churning loads stay strictly between least+PlaceSlack and
//     least+BalanceThreshold, so they never qualify for PlaceThread (asked
//     from anywhere) nor for MostLoaded (asked from a least-loaded cluster);
//   - churning clusters have only order-0 pages, fewer than every FindMemory
//     request asks for.
//
// Readers asking from stable clusters must then get, every time, the
// answer the quiescent tree gave before the churn started.
func TestStableAnswersUnderChurn(t *testing.T) {
	for _, mc := range []struct{ x, y, cores int }{{8, 8, 256}, {7, 3, 60}, {3, 5, 15}} {
		topo := topology(t, mc.x, mc.y, mc.cores)
		p := Params{PlaceSlack: 32, BalanceThreshold: 256}
		tree := newTree(t, topo, p)
		m := newModel(topo)
		rng := rand.New(rand.NewSource(int64(mc.x*mc.y + mc.cores)))
		n := topo.NumClusters()
		const low = 64 // the least load; churn stays in (low+32, low+256)
		var stable, churn []int
		for c := 0; c < n; c++ {
			if c == 0 || rng.Intn(2) == 0 {
				stable = append(stable, c)
			} else {
				churn = append(churn, c)
			}
		}
		for _, c := range stable {
			busy := c != 0 && rng.Intn(3) == 0
			for k := range m.core[c] {
				v := uint32(low)
				if busy {
					v = uint32(900 + rng.Intn(200))
				}
				m.core[c][k] = v
				tree.SetCoreLoad(c, k, v)
			}
			for k := 0; k < Orders; k++ {
				v := uint32(rng.Intn(4))
				if rng.Intn(3) == 0 {
					v = 0
				}
				m.free[c][k] = v
				tree.SetFree(c, k, v)
			}
		}
		for _, c := range churn {
			for k := range m.core[c] {
				m.core[c][k] = uint32(100 + rng.Intn(200))
				tree.SetCoreLoad(c, k, m.core[c][k])
			}
			m.free[c][0] = uint32(rng.Intn(16))
			tree.SetFree(c, 0, m.free[c][0])
		}
		// The quiescent answers are right (checked against brute force), and
		// are the expected answers during the churn.
		checkNodes(t, tree, truthOf(m))
		checkQueries(t, tree, truthOf(m), rng)
		type memq struct {
			k int
			n uint32
		}
		mqs := []memq{{0, 16}, {0, 40}, {2, 3}, {4, 1}}
		type answers struct {
			place, core, most int
			mem               [4]int
		}
		want := make([]answers, n)
		for _, c := range stable {
			a := &want[c]
			a.place, a.core = tree.PlaceThread(c)
			a.most = tree.MostLoaded(c)
			for i, q := range mqs {
				a.mem[i] = tree.FindMemory(c, q.k, q.n)
			}
		}
		var wg sync.WaitGroup
		var stop atomic.Bool
		var threads atomic.Int64
		var asked atomic.Int64
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func(seed int64) {
				defer wg.Done()
				r := rand.New(rand.NewSource(seed))
				// Go on until the readers have asked enough: on a loaded
				// machine they may not be scheduled before 1500 updates.
				for i := 0; i < 1500 || asked.Load() < 300; i++ {
					c := churn[r.Intn(len(churn))]
					_, cores := topo.ClusterCores(c)
					switch r.Intn(4) {
					case 0, 1:
						tree.SetCoreLoad(c, r.Intn(cores), uint32(100+r.Intn(200)))
					case 2:
						tree.SetFree(c, 0, uint32(r.Intn(16)))
					default:
						d := int32(r.Intn(3) - 1)
						threads.Add(int64(d))
						tree.AddThreads(c, d)
					}
				}
			}(int64(g))
		}
		var readers sync.WaitGroup
		for g := 0; g < 2; g++ {
			readers.Add(1)
			go func(seed int64) {
				defer readers.Done()
				r := rand.New(rand.NewSource(seed))
				for !stop.Load() {
					c := stable[r.Intn(len(stable))]
					a := &want[c]
					if pc, core := tree.PlaceThread(c); pc != a.place || core != a.core {
						t.Errorf("under churn PlaceThread(%d) = (%d,%d), quiescent (%d,%d)", c, pc, core, a.place, a.core)
						asked.Add(1 << 40) // release the updaters
						return
					}
					if mc := tree.MostLoaded(c); mc != a.most {
						t.Errorf("under churn MostLoaded(%d) = %d, quiescent %d", c, mc, a.most)
						asked.Add(1 << 40) // release the updaters
						return
					}
					for i, q := range mqs {
						if fc := tree.FindMemory(c, q.k, q.n); fc != a.mem[i] {
							t.Errorf("under churn FindMemory(%d, %d, %d) = %d, quiescent %d", c, q.k, q.n, fc, a.mem[i])
							asked.Add(1 << 40) // release the updaters
							return
						}
					}
					asked.Add(1)
				}
			}(int64(100 + g))
		}
		wg.Wait()
		stop.Store(true)
		readers.Wait()
		if asked.Load() == 0 {
			t.Error("the readers asked nothing")
		}
		final := modelOf(tree)
		var sum int64
		for _, v := range final.threads {
			sum += int64(int32(v))
		}
		if sum != threads.Load() {
			t.Errorf("leaf thread counts add up to %d, the updaters added %d", sum, threads.Load())
		}
		checkNodes(t, tree, truthOf(final))
	}
}

// TestConvergenceAfterChaos lets goroutines update random clusters, often
// the same few, with every kind of update while readers query, then checks
// that every node equals the brute-force aggregate of the leaves and that
// the queries are exact again.
func TestConvergenceAfterChaos(t *testing.T) {
	for _, mc := range []struct{ x, y, cores, ops int }{{2, 1, 8, 3000}, {7, 3, 60, 2500}, {16, 16, 700, 2500}} {
		topo := topology(t, mc.x, mc.y, mc.cores)
		tree := newTree(t, topo, DefaultParams)
		n := topo.NumClusters()
		for round := 0; round < 2; round++ {
			var wg sync.WaitGroup
			var stop atomic.Bool
			var threads atomic.Int64
			var asked atomic.Int64
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func(seed int64) {
					defer wg.Done()
					r := rand.New(rand.NewSource(seed))
					var free [Orders]uint32
					for i := 0; i < mc.ops || asked.Load() < 100; i++ {
						c := r.Intn(n)
						if r.Intn(2) == 0 {
							c = r.Intn(min(n, 3)) // a hot spot: same leaves, same ancestors
						}
						_, cores := topo.ClusterCores(c)
						switch r.Intn(6) {
						case 0, 1:
							tree.SetCoreLoad(c, r.Intn(cores), uint32(r.Intn(3*LoadScale)))
						case 2:
							d := int32(r.Intn(5) - 2)
							threads.Add(int64(d))
							tree.AddThreads(c, d)
						case 3:
							tree.SetFree(c, r.Intn(Orders), uint32(r.Intn(5)))
						case 4:
							tree.AddFree(c, r.Intn(Orders), int32(r.Intn(3)))
						default:
							for k := range free {
								free[k] = uint32(r.Intn(3))
							}
							tree.SetFreeAll(c, &free)
						}
					}
				}(int64(round*10 + g))
			}
			var readers sync.WaitGroup
			for g := 0; g < 2; g++ {
				readers.Add(1)
				go func(seed int64) {
					defer readers.Done()
					r := rand.New(rand.NewSource(seed))
					for !stop.Load() {
						near := r.Intn(n)
						c, core := tree.PlaceThread(near)
						if _, cores := topo.ClusterCores(c); c < 0 || c >= n || core < 0 || core >= cores {
							t.Errorf("PlaceThread(%d) = (%d,%d)", near, c, core)
							asked.Add(1 << 40) // release the updaters
							return
						}
						if c := tree.FindMemory(near, r.Intn(Orders), uint32(1+r.Intn(4))); c < -1 || c >= n {
							t.Errorf("FindMemory(%d) = %d", near, c)
							asked.Add(1 << 40) // release the updaters
							return
						}
						if c := tree.MostLoaded(near); c < -1 || c >= n {
							t.Errorf("MostLoaded(%d) = %d", near, c)
							asked.Add(1 << 40) // release the updaters
							return
						}
						if s := tree.Total(); s.Clusters != uint32(n) || s.Cores != uint32(mc.cores) {
							t.Errorf("Total statics changed: %+v", s)
							asked.Add(1 << 40) // release the updaters
							return
						}
						asked.Add(1)
					}
				}(int64(round*10 + 7 + g))
			}
			wg.Wait()
			stop.Store(true)
			readers.Wait()
			m := modelOf(tree)
			var sum int64
			for _, v := range m.threads {
				sum += int64(int32(v))
			}
			if sum != threads.Load() {
				t.Errorf("leaf thread counts add up to %d, the updaters added %d", sum, threads.Load())
			}
			tr := truthOf(m)
			checkNodes(t, tree, tr)
			checkQueries(t, tree, tr, rand.New(rand.NewSource(int64(round))))
			// Threads were only added: bring them back to zero for the
			// next round so the sum stays known.
			for c := 0; c < n; c++ {
				tree.SetThreads(c, 0)
			}
		}
	}
}
