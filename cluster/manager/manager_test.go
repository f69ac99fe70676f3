package manager

import (
	"runtime"
	"testing"

	"almos/cluster"
	"almos/mm"
)

// banks returns a topology whose banks live in Go memory the test keeps.
func banks(t *testing.T, spec cluster.Spec, cores int, size uint64) (cluster.Topology, []byte) {
	mem := make([]byte, size+mm.PageSize<<mm.MaxOrder)
	base := (uintptrOf(mem) + mm.PageSize<<mm.MaxOrder - 1) &^ (mm.PageSize<<mm.MaxOrder - 1)
	topo, err := cluster.New(spec, cluster.Machine{Cores: cores, RAMBase: uint64(base), RAMSize: size, MinBank: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return topo, mem
}

func TestInitBanksAndCaches(t *testing.T) {
	topo, mem := banks(t, cluster.Spec{X: 2, Y: 2}, 8, 64<<20)
	var ms [4]Manager
	for id := range ms {
		reserved := uintptr(0)
		if id == 0 {
			reserved = 1 << 20 // the image, on cluster 0
		}
		if !ms[id].Init(id, &topo, reserved, 500) {
			t.Fatalf("cluster %d: Init failed", id)
		}
		if ms[id].NCores != 2 || ms[id].FirstCore != 2*id {
			t.Errorf("cluster %d: cores %d..+%d", id, ms[id].FirstCore, ms[id].NCores)
		}
	}
	st0, st1 := ms[0].Pages.Stats(), ms[1].Pages.Stats()
	if st0.FreePages >= st1.FreePages {
		t.Errorf("cluster 0 (reserved 1 MiB) has %d free pages, cluster 1 %d", st0.FreePages, st1.FreePages)
	}
	// Memory comes from the cluster's own bank.
	for id := range ms {
		a, ok := ms[id].Pages.AllocRun(3)
		if !ok || !ms[id].Owns(a) {
			t.Errorf("cluster %d: page run %#x outside its bank", id, a)
		}
		o, ok := ms[id].Threads.Alloc()
		if !ok || !ms[id].Owns(o) {
			t.Errorf("cluster %d: descriptor %#x outside its bank", id, o)
		}
		for j := range ms {
			if j != id && ms[j].Owns(a) {
				t.Errorf("page run of cluster %d also in bank %d", id, j)
			}
		}
	}
	runtime.KeepAlive(mem)
}

func TestReport(t *testing.T) {
	ms, tr, mem, tree := twoBanks(t)
	// The tree knows where the memory is: a big request from cluster 0
	// goes to cluster 1 once cluster 0 is drained.
	for {
		if _, ok := ms[0].Pages.Alloc(mm.MaxOrder); !ok {
			break
		}
	}
	ms[0].Report(tr)
	if c := tr.FindMemory(0, mm.MaxOrder, 1); c != 1 {
		t.Errorf("FindMemory for a 4 MiB block near cluster 0: %d, want 1", c)
	}
	runtime.KeepAlive(mem)
	runtime.KeepAlive(tree)
}
