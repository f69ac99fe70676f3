package manager

import (
	"runtime"
	"sync"
	"testing"

	"almos/cluster"
	"almos/dqdt"
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

// TestReportFromManyCores has several cores report one bank while others
// allocate and free in it. Once everything stops, the next report of a
// change must leave the tree with the bank's true counts: no report read
// earlier may land after it. (The interleaving that left the tree stale,
// one report delayed between updating the tree and recording what it sent,
// is rare; this checks the outcome, it does not force the interleaving.)
func TestReportFromManyCores(t *testing.T) {
	ms, tr, mem, tree := twoBanks(t)
	m := &ms[0]
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				if c%2 == 0 {
					if a, ok := m.Pages.AllocRun(uintptr(1 + i%7)); ok {
						m.Pages.FreeRange(a, uintptr(1+i%7))
					}
				}
				m.Report(tr)
			}
		}(c)
	}
	wg.Wait()
	if a, ok := m.Pages.AllocRun(5); !ok {
		t.Fatal("no 5-page run left")
	} else {
		m.Report(tr)
		m.Pages.FreeRange(a, 5)
	}
	m.Report(tr)
	s, _ := tr.Cluster(0)
	st := m.Pages.Stats()
	for k := 0; k < dqdt.Orders; k++ {
		if s.Free[k] != uint32(st.FreeBlocks[k]) {
			t.Errorf("order %d: the tree says %d free blocks, the bank has %d", k, s.Free[k], st.FreeBlocks[k])
		}
	}
	runtime.KeepAlive(mem)
	runtime.KeepAlive(tree)
}
