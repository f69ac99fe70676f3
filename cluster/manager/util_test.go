package manager

import (
	"testing"
	"unsafe"

	"almos/cluster"
	"almos/dqdt"
)

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }

// twoBanks is a 2x1 mesh of 32 MiB banks with a manager each, reported into
// a DQDT over Go memory; mem and tree must be kept alive by the caller.
func twoBanks(t *testing.T) (ms *[2]Manager, tr *dqdt.Tree, mem []byte, tree []byte) {
	t.Helper()
	topo, mem := banks(t, cluster.Spec{X: 2, Y: 1}, 2, 32<<20)
	tree = make([]byte, dqdt.Size(topo)+dqdt.Align)
	base := (uintptrOf(tree) + dqdt.Align - 1) &^ (dqdt.Align - 1)
	tree0, err := dqdt.New(topo, base, dqdt.Size(topo), dqdt.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	tr = &tree0
	ms = new([2]Manager)
	for id := range ms {
		if !ms[id].Init(id, &topo, 0, 256) {
			t.Fatalf("cluster %d: Init failed", id)
		}
		ms[id].Report(tr)
	}
	return ms, tr, mem, tree
}
