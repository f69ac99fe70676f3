package cluster

import (
	"strings"
	"testing"
)

const mib = 1 << 20

func TestSquareMesh(t *testing.T) {
	for _, c := range []struct{ n, x, y int }{
		{1, 1, 1}, {2, 2, 1}, {3, 3, 1}, {4, 2, 2}, {5, 5, 1}, {6, 3, 2},
		{8, 4, 2}, {9, 3, 3}, {12, 4, 3}, {16, 4, 4}, {1024, 32, 32}, {0, 0, 0},
	} {
		if x, y := SquareMesh(c.n); x != c.x || y != c.y {
			t.Errorf("SquareMesh(%d) = %dx%d, want %dx%d", c.n, x, y, c.x, c.y)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	for _, c := range []struct {
		name  string
		spec  Spec
		cores int
		x, y  int
		per   []int // cores of each cluster, in id order
	}{
		{"1 core", Spec{}, 1, 1, 1, []int{1}},
		{"4 cores", Spec{}, 4, 1, 1, []int{4}},
		{"6 cores spread 3+3", Spec{}, 6, 2, 1, []int{3, 3}},
		{"7 cores spread 4+3", Spec{}, 7, 2, 1, []int{4, 3}},
		{"8 cores", Spec{}, 8, 2, 1, []int{4, 4}},
		{"10 cores spread 4+3+3", Spec{}, 10, 3, 1, []int{4, 3, 3}},
		{"16 cores", Spec{}, 16, 2, 2, []int{4, 4, 4, 4}},
		{"2 per cluster", Spec{CoresPerCluster: 2}, 8, 2, 2, []int{2, 2, 2, 2}},
		{"1 per cluster", Spec{CoresPerCluster: 1}, 6, 3, 2, []int{1, 1, 1, 1, 1, 1}},
		{"explicit 4x1", Spec{X: 4, Y: 1}, 16, 4, 1, []int{4, 4, 4, 4}},
		{"explicit 2x2 uneven", Spec{X: 2, Y: 2}, 6, 2, 2, []int{2, 2, 1, 1}},
		{"explicit 2x2 one core each", Spec{X: 2, Y: 2}, 4, 2, 2, []int{1, 1, 1, 1}},
		{"explicit mesh and per-cluster", Spec{X: 3, Y: 1, CoresPerCluster: 3}, 9, 3, 1, []int{3, 3, 3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			topo, err := New(c.spec, Machine{Cores: c.cores, RAMSize: 256 * mib})
			if err != nil {
				t.Fatal(err)
			}
			if x, y := topo.Mesh(); x != c.x || y != c.y {
				t.Fatalf("mesh %dx%d, want %dx%d", x, y, c.x, c.y)
			}
			if topo.NumCores() != c.cores {
				t.Errorf("NumCores %d, want %d", topo.NumCores(), c.cores)
			}
			max := 0
			for id, want := range c.per {
				if _, n := topo.ClusterCores(id); n != want {
					t.Errorf("cluster %d has %d cores, want %d", id, n, want)
				}
				max = maxInt(max, want)
			}
			if topo.CoresPerCluster() != max {
				t.Errorf("CoresPerCluster %d, want %d", topo.CoresPerCluster(), max)
			}
			checkInvariants(t, &topo)
		})
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		spec Spec
		m    Machine
		want []string // fragments the message must hold
	}{
		{"more clusters than cores", Spec{X: 4, Y: 4}, Machine{Cores: 8, RAMSize: 256 * mib},
			[]string{"clusters=4x4", "16 clusters", "8 cores", "at most 8 clusters"}},
		{"too many cores for the mesh", Spec{X: 1, Y: 1}, Machine{Cores: 16, RAMSize: 256 * mib},
			[]string{"clusters=1x1", "holds 4 cores", "has 16"}},
		{"X zero", Spec{X: 0, Y: 2}, Machine{Cores: 8, RAMSize: 256 * mib},
			[]string{"clusters=0x2", "between 1 and 256"}},
		{"Y zero", Spec{X: 2, Y: 0}, Machine{Cores: 8, RAMSize: 256 * mib},
			[]string{"clusters=2x0", "between 1 and 256"}},
		{"side too large", Spec{X: 300, Y: 1}, Machine{Cores: 8, RAMSize: 256 * mib},
			[]string{"clusters=300x1"}},
		{"cores per cluster too large", Spec{CoresPerCluster: 5}, Machine{Cores: 8, RAMSize: 256 * mib},
			[]string{"cores-per-cluster=5", "1 to 4"}},
		{"cores per cluster negative", Spec{CoresPerCluster: -1}, Machine{Cores: 8, RAMSize: 256 * mib},
			[]string{"cores-per-cluster=-1", "1 to 4"}},
		{"no cores", Spec{}, Machine{Cores: 0, RAMSize: 256 * mib},
			[]string{"0 cores"}},
		{"bank below minimum", Spec{X: 4, Y: 1}, Machine{Cores: 4, RAMSize: 32 * mib, MinBank: 16 * mib},
			[]string{"banks of 8 MiB", "16 MiB", "fewer clusters or more memory"}},
		{"no RAM", Spec{}, Machine{Cores: 4}, []string{"banks of 0 B"}},
		// Counts of one are singular: "1 core", never "1 cores".
		{"one core per cluster", Spec{X: 1, Y: 1, CoresPerCluster: 1}, Machine{Cores: 2, RAMSize: 256 * mib},
			[]string{"at most 1 core per cluster", "holds 1 core but"}},
		{"one core, two clusters", Spec{X: 2, Y: 1}, Machine{Cores: 1, RAMSize: 256 * mib},
			[]string{"has 1 core;", "at most 1 cluster"}},
		{"RAM smaller than a page per bank", Spec{X: 2, Y: 1}, Machine{Cores: 2, RAMSize: 4096},
			[]string{"banks of 0 B", "4 KiB"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.spec, c.m)
			if err == nil {
				t.Fatal("no error")
			}
			for _, f := range c.want {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q lacks %q", err, f)
				}
			}
			if strings.Contains(err.Error(), " 1 cores") || strings.Contains(err.Error(), " 1 clusters") {
				t.Errorf("error %q has a plural after 1", err)
			}
		})
	}
}

func TestBanks(t *testing.T) {
	for _, c := range []struct {
		name       string
		x, y       int
		base, size uint64
		align      uint64
		bank       uint64
		first      uint64
	}{
		{"256 MiB over 4", 2, 2, 0, 256 * mib, LargeAlign, 64 * mib, 0},
		{"256 MiB over 3, 4 MiB-aligned", 3, 1, 0, 256 * mib, LargeAlign, 84 * mib, 0},
		{"unaligned base, 4 MiB alignment would waste 1/8", 2, 1, 0x1234, 64 * mib, PageSize, 0x1fff000, 0x2000},
		{"unaligned base, 4 MiB alignment wastes 1/32", 2, 1, 0x1234, 256 * mib, LargeAlign, 124 * mib, 4 * mib},
		{"small banks fall back to pages", 3, 1, 0, 10 * mib, PageSize, 853 * 4096, 0},
		{"page-aligned base, small RAM", 2, 1, 0x3000, 6 * mib, PageSize, 768 * 4096, 0x3000},
	} {
		t.Run(c.name, func(t *testing.T) {
			topo, err := New(Spec{X: c.x, Y: c.y}, Machine{Cores: c.x * c.y, RAMBase: c.base, RAMSize: c.size})
			if err != nil {
				t.Fatal(err)
			}
			if topo.BankAlign() != c.align {
				t.Errorf("align %#x, want %#x", topo.BankAlign(), c.align)
			}
			if b := topo.Bank(0); b.Size != c.bank || b.Base != c.first {
				t.Errorf("bank 0 = [%#x, +%#x), want [%#x, +%#x)", b.Base, b.Size, c.first, c.bank)
			}
			checkInvariants(t, &topo)
		})
	}
}

// checkInvariants verifies the properties every topology must have: ids and
// coordinates agree, each core belongs to exactly one cluster, cluster core
// counts differ by at most one, banks are aligned, disjoint, in id order and
// inside the RAM range, and the unused parts account for the rest.
func checkInvariants(t *testing.T, topo *Topology) {
	t.Helper()
	x, y := topo.Mesh()
	n := topo.NumClusters()
	if n != x*y || n < 1 {
		t.Fatalf("NumClusters %d for mesh %dx%d", n, x, y)
	}
	minC, maxC, next := 1<<30, 0, 0
	for id := 0; id < n; id++ {
		cx, cy := topo.Coords(id)
		if topo.ID(cx, cy) != id || cx != id/y || cy != id%y {
			t.Fatalf("id %d <-> (%d,%d) does not round-trip", id, cx, cy)
		}
		first, c := topo.ClusterCores(id)
		if first != next || c < 1 || c > MaxCoresPerCluster {
			t.Fatalf("cluster %d: cores %d+%d, expected to start at %d", id, first, c, next)
		}
		for l := 0; l < c; l++ {
			if got, gl := topo.CoreCluster(first + l); got != id || gl != l {
				t.Fatalf("core %d -> (%d,%d), want (%d,%d)", first+l, got, gl, id, l)
			}
			if topo.Core(id, l) != first+l {
				t.Fatalf("Core(%d,%d) = %d", id, l, topo.Core(id, l))
			}
		}
		next += c
		minC, maxC = min(minC, c), max(maxC, c)
		b := topo.Bank(id)
		if b.Size == 0 || b.Base%topo.BankAlign() != 0 || b.Size%topo.BankAlign() != 0 {
			t.Fatalf("bank %d [%#x, +%#x) not aligned to %#x", id, b.Base, b.Size, topo.BankAlign())
		}
		if id > 0 && topo.Bank(id-1).End() != b.Base {
			t.Fatalf("bank %d does not follow bank %d", id, id-1)
		}
		if topo.ClusterOfAddr(b.Base) != id || topo.ClusterOfAddr(b.End()-1) != id {
			t.Fatalf("ClusterOfAddr does not find bank %d", id)
		}
	}
	if next != topo.NumCores() || maxC-minC > 1 || maxC != topo.CoresPerCluster() {
		t.Fatalf("cores: %d dealt of %d, per cluster %d..%d (reported %d)", next, topo.NumCores(), minC, maxC, topo.CoresPerCluster())
	}
	if c, l := topo.CoreCluster(topo.NumCores()); c != -1 || l != -1 {
		t.Fatalf("CoreCluster past the end = (%d,%d)", c, l)
	}
	head, tail := topo.Unused()
	ram := topo.RAM()
	if head.Base != ram.Base || head.End() != topo.Bank(0).Base || tail.Base != topo.Bank(n-1).End() || tail.End() != ram.End() {
		t.Fatalf("unused %+v %+v do not complete the banks to %+v", head, tail, ram)
	}
	if head.Size >= topo.BankAlign() || tail.Size >= uint64(n)*topo.BankAlign() {
		t.Fatalf("too much unused RAM: head %#x tail %#x", head.Size, tail.Size)
	}
	if topo.ClusterOfAddr(tail.Base) != -1 || (head.Size > 0 && topo.ClusterOfAddr(head.Base) != -1) {
		t.Fatalf("ClusterOfAddr finds unused RAM")
	}
}

func TestDistance(t *testing.T) {
	topo, err := New(Spec{X: 3, Y: 5}, Machine{Cores: 15, RAMSize: 256 * mib})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ax, ay, bx, by, d int }{
		{0, 0, 0, 0, 0}, {0, 0, 2, 4, 6}, {2, 4, 0, 0, 6}, {1, 3, 2, 1, 3}, {0, 4, 0, 3, 1},
	} {
		a, b := topo.ID(c.ax, c.ay), topo.ID(c.bx, c.by)
		if d := topo.Distance(a, b); d != c.d {
			t.Errorf("Distance((%d,%d),(%d,%d)) = %d, want %d", c.ax, c.ay, c.bx, c.by, d, c.d)
		}
	}
	if topo.Distance(0, 15) != -1 || topo.Distance(-1, 0) != -1 {
		t.Error("Distance accepts unknown clusters")
	}
	if topo.ID(3, 0) != -1 || topo.ID(0, 5) != -1 || topo.ID(-1, 0) != -1 {
		t.Error("ID accepts coordinates outside the mesh")
	}
	if x, y := topo.Coords(15); x != -1 || y != -1 {
		t.Error("Coords accepts an unknown id")
	}
}

func TestTSARNumbering(t *testing.T) {
	// With Y a power of two the ids are TSAR's x<<ybits | y.
	topo, err := New(Spec{X: 4, Y: 4, CoresPerCluster: 4}, Machine{Cores: 64, RAMSize: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; x < 4; x++ {
		for y := 0; y < 4; y++ {
			if topo.ID(x, y) != x<<2|y {
				t.Fatalf("ID(%d,%d) = %d, want %d", x, y, topo.ID(x, y), x<<2|y)
			}
		}
	}
}

func TestString(t *testing.T) {
	topo, err := New(Spec{X: 2, Y: 1}, Machine{Cores: 6, RAMBase: 0x1000, RAMSize: 256 * mib})
	if err != nil {
		t.Fatal(err)
	}
	want := `mesh 2x1: 2 clusters, 6 cores (up to 3 per cluster), ids x-major (id = x*1 + y)
RAM [0x00001000, 0x10001000) 256 MiB: 2 banks of 124 MiB, 4 MiB-aligned
cluster 0 (0,0): cores 0-2, bank [0x00400000, 0x08000000)
cluster 1 (1,0): cores 3-5, bank [0x08000000, 0x0fc00000)
unused RAM [0x00001000, 0x00400000) 4092 KiB
unused RAM [0x0fc00000, 0x10001000) 4100 KiB
`
	if got := topo.String(); got != want {
		t.Errorf("String:\n%s\nwant:\n%s", got, want)
	}
	one, err := New(Spec{}, Machine{Cores: 1, RAMSize: 16 * mib})
	if err != nil {
		t.Fatal(err)
	}
	if s := one.String(); !strings.Contains(s, "mesh 1x1: 1 cluster, 1 core (up to 1 per cluster)") ||
		!strings.Contains(s, "cluster 0 (0,0): core 0, bank [0x00000000, 0x01000000)") {
		t.Errorf("single-core dump:\n%s", s)
	}
	if (Topology{}).String() != "no clusters" {
		t.Error("zero Topology dump")
	}
}

func FuzzNew(f *testing.F) {
	f.Add(2, 2, 4, 16, uint64(0), uint64(256*mib), uint64(0))
	f.Add(0, 0, 0, 6, uint64(0x1234), uint64(10*mib), uint64(mib))
	f.Add(3, 5, 2, 20, uint64(1<<40), uint64(1<<32), uint64(64*mib))
	f.Fuzz(func(t *testing.T, x, y, per, cores int, base, size, minBank uint64) {
		topo, err := New(Spec{X: x, Y: y, CoresPerCluster: per}, Machine{Cores: cores, RAMBase: base, RAMSize: size, MinBank: minBank})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if topo.NumClusters() > 4096 {
			return // the invariant walk is per cluster; keep fuzzing fast
		}
		checkInvariants(t, &topo)
		if topo.Bank(0).Size < minBank {
			t.Fatalf("bank %#x below minimum %#x", topo.Bank(0).Size, minBank)
		}
	})
}

func TestMakeAgreesWithNewAndAllocatesNothing(t *testing.T) {
	specs := []Spec{{}, {X: 2, Y: 2}, {X: 4, Y: 4}, {X: 3, Y: 1, CoresPerCluster: 2}, {CoresPerCluster: 7}, {X: 9, Y: 9}}
	machines := []Machine{{Cores: 16, RAMBase: 0x40000000, RAMSize: 256 << 20, MinBank: 8 << 20}, {Cores: 4, RAMBase: 0, RAMSize: 16 << 20, MinBank: 8 << 20}, {Cores: 0}}
	for _, s := range specs {
		for _, m := range machines {
			t1, err := New(s, m)
			t2, ok := Make(s, m)
			if (err == nil) != ok || t1 != t2 {
				t.Errorf("%+v on %+v: New %v, Make %v", s, m, err, ok)
			}
		}
	}
	n := testing.AllocsPerRun(100, func() {
		Make(Spec{X: 2, Y: 2}, machines[0])
		Make(Spec{X: 9, Y: 9}, machines[0])
	})
	if n != 0 {
		t.Fatalf("Make allocates %v times", n)
	}
}

// TestAlignBanks: a machine whose allocators need 4 MiB-aligned banks gets
// them even when that wastes more than 1/16 of RAM (52 MiB over 4 clusters:
// 12 MiB banks, not 13).
func TestAlignBanks(t *testing.T) {
	const mib = 1 << 20
	m := Machine{Cores: 16, RAMBase: 0x40000000, RAMSize: 52 * mib, MinBank: 8 * mib}
	top, err := New(Spec{}, m)
	if err != nil {
		t.Fatal(err)
	}
	if b := top.Bank(1); b.Base%LargeAlign == 0 {
		t.Fatalf("without AlignBanks bank 1 at %#x: expected a page-aligned split here", b.Base)
	}
	m.AlignBanks = true
	top, err = New(Spec{}, m)
	if err != nil {
		t.Fatal(err)
	}
	for id := 0; id < top.NumClusters(); id++ {
		if b := top.Bank(id); b.Base%LargeAlign != 0 || b.Size != 12*mib {
			t.Errorf("bank %d: %#x +%#x, want 4 MiB-aligned 12 MiB", id, b.Base, b.Size)
		}
	}
}
