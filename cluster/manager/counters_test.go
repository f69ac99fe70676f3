package manager

import (
	"runtime"
	"sync"
	"testing"

	"almos/cluster"
)

// TestSpillCountersFromManyCores counts spills the way the kernel does when
// threads of several clusters run short at once: the borrower's Spilled and
// the lender's Lent, from any core. Under -race a plain increment is
// reported, and no count may be lost.
func TestSpillCountersFromManyCores(t *testing.T) {
	topo, mem := banks(t, cluster.Spec{X: 2, Y: 2}, 8, 64<<20)
	var ms [4]Manager
	for id := range ms {
		if !ms[id].Init(id, &topo, 0, 500) {
			t.Fatalf("cluster %d: Init failed", id)
		}
	}
	const cores, each = 8, 1000
	var wg sync.WaitGroup
	for c := 0; c < cores; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			home, lender := c%4, (c+1)%4
			for i := 0; i < each; i++ {
				ms[home].Spilled.Add(1)
				ms[lender].Lent.Add(1)
			}
		}(c)
	}
	wg.Wait()
	for id := range ms {
		// Two cores per cluster borrow, two lend to it.
		if s, l := ms[id].Spilled.Load(), ms[id].Lent.Load(); s != 2*each || l != 2*each {
			t.Errorf("cluster %d: spilled %d, lent %d; want %d each", id, s, l, 2*each)
		}
	}
	runtime.KeepAlive(mem)
}
