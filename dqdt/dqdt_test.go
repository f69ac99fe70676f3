package dqdt

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
	"unsafe"

	"almos/cluster"
)

// topology returns an x*y mesh with cores cores dealt over it (1..4 each).
func topology(t testing.TB, x, y, cores int) cluster.Topology {
	t.Helper()
	topo, err := cluster.New(cluster.Spec{X: x, Y: y}, cluster.Machine{Cores: cores, RAMSize: uint64(x*y) << 24})
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// newTree lays a tree out in a Go byte slice, aligned as New wants, and
// keeps the slice alive until the test ends: the tree holds only its address.
func newTree(t testing.TB, topo cluster.Topology, p Params) *Tree {
	t.Helper()
	size := Size(topo)
	buf := make([]byte, size+Align)
	base := uintptr(unsafe.Pointer(&buf[0]))
	off := (Align - base%Align) % Align
	tr, err := New(topo, base+off, size, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runtime.KeepAlive(buf) })
	return &tr
}

// model is the reference state: what every cluster reported last.
type model struct {
	topo    cluster.Topology
	core    [][]uint32
	threads []uint32
	free    [][Orders]uint32
}

func newModel(topo cluster.Topology) *model {
	n := topo.NumClusters()
	m := &model{topo: topo, core: make([][]uint32, n), threads: make([]uint32, n), free: make([][Orders]uint32, n)}
	for c := range m.core {
		_, k := topo.ClusterCores(c)
		m.core[c] = make([]uint32, k)
	}
	return m
}

// modelOf reads the leaves of a tree back into a model: after concurrent
// Set calls the test cannot know which value landed last, but the leaves
// hold it, and every aggregate must follow from them.
func modelOf(tr *Tree) *model {
	topo := tr.Topology()
	m := newModel(topo)
	for c := range m.core {
		s, _ := tr.Cluster(c)
		m.threads[c], m.free[c] = s.Threads, s.Free
		for k := range m.core[c] {
			m.core[c][k] = tr.CoreLoad(c, k)
		}
	}
	return m
}

func (m *model) load(c int) uint32 {
	var s uint64
	for _, v := range m.core[c] {
		s += uint64(v)
	}
	s /= uint64(len(m.core[c]))
	if s > MaxLoad {
		s = MaxLoad
	}
	return uint32(s)
}

func (m *model) room(c, k int) uint32 {
	var r uint64
	for j := MaxOrder; j >= k; j-- {
		r = r*2 + uint64(m.free[c][j])
		if r > MaxRoom {
			r = MaxRoom
		}
	}
	return uint32(r)
}

// truth holds the brute-force aggregate of every node, computed from the
// model by scanning all clusters.
type truth struct {
	m    *model
	top  int
	node [][]Summary // [level][i*ny+j]
	nx   []int
	ny   []int
}

func truthOf(m *model) *truth {
	x, y := m.topo.Mesh()
	top, nx, ny := geometry(x, y)
	tr := &truth{m: m, top: top, node: make([][]Summary, top+1), nx: nx[:top+1], ny: ny[:top+1]}
	for l := 0; l <= top; l++ {
		tr.node[l] = make([]Summary, nx[l]*ny[l])
		for k := range tr.node[l] {
			tr.node[l][k].MinLoad = MaxLoad
		}
	}
	for c := 0; c < m.topo.NumClusters(); c++ {
		cx, cy := m.topo.Coords(c)
		ld := m.load(c)
		for l := 0; l <= top; l++ {
			s := &tr.node[l][(cx>>l)*ny[l]+cy>>l]
			s.Clusters++
			s.Cores += uint32(len(m.core[c]))
			s.Threads += m.threads[c]
			for _, v := range m.core[c] {
				s.Load += v
			}
			for k := 0; k < Orders; k++ {
				s.Free[k] += m.free[c][k]
				s.Room[k] = max(s.Room[k], m.room(c, k))
			}
			s.MinLoad = min(s.MinLoad, ld)
			s.MaxLoad = max(s.MaxLoad, ld)
		}
	}
	return tr
}

func (tr *truth) at(l, x, y int) *Summary { return &tr.node[l][(x>>l)*tr.ny[l]+y>>l] }

// checkNodes compares every node's totals and every parent's child slot with
// the brute-force aggregates.
func checkNodes(t *testing.T, tree *Tree, tr *truth) {
	t.Helper()
	for l := 0; l <= tree.top; l++ {
		for i := 0; i < tree.nx[l]; i++ {
			for j := 0; j < tree.ny[l]; j++ {
				want := tr.node[l][i*tr.ny[l]+j]
				n := tree.node(l, i, j)
				if got := readSummary(w(n, nTotal)); got != want {
					t.Fatalf("level %d node (%d,%d) totals:\n got %+v\nwant %+v", l, i, j, got, want)
				}
				if l == tree.top {
					continue
				}
				p := tree.node(l+1, i>>1, j>>1)
				q := i&1 | (j&1)<<1
				if got := readSummary(w(p, nChild+q*slotWords)); got != want {
					t.Fatalf("level %d node (%d,%d) slot %d:\n got %+v\nwant %+v", l+1, i>>1, j>>1, q, got, want)
				}
				if load(w(p, nPresent))&(1<<q) == 0 {
					t.Fatalf("level %d node (%d,%d) does not list child %d", l+1, i>>1, j>>1, q)
				}
			}
		}
	}
}

// lowest returns the lowest level >= from whose block around cluster near
// satisfies ok, or -1.
func (tr *truth) lowest(near, from int, ok func(*Summary) bool) int {
	x, y := tr.m.topo.Coords(near)
	for l := from; l <= tr.top; l++ {
		if ok(tr.at(l, x, y)) {
			return l
		}
	}
	return -1
}

func (tr *truth) sameBlock(a, b, l int) bool {
	ax, ay := tr.m.topo.Coords(a)
	bx, by := tr.m.topo.Coords(b)
	return ax>>l == bx>>l && ay>>l == by>>l
}

// refDescend is the reference for the descent, written apart from the
// package's code: from the block of level l around near, go down choosing
// among the child blocks by the brute-force aggregates. For wantLeast and
// wantRoom the qualifying child nearest to near wins, then the better value;
// for wantMost the greatest value wins, then the nearer; then the lower
// child index.
func (tr *truth) refDescend(l, near, kind int, val func(*Summary) uint32, target uint32) int {
	x, y := tr.m.topo.Coords(near)
	mx, my := tr.m.topo.Mesh()
	i, j := x>>l, y>>l
	dist := func(c, lo, hi int) int {
		if c < lo {
			return lo - c
		}
		if c > hi {
			return c - hi
		}
		return 0
	}
	for ; l > 0; l-- {
		type cand struct {
			i, j, d int
			v       uint32
			ok      bool
		}
		var cs []cand
		for q := 0; q < 4; q++ {
			ci, cj := 2*i+q%2, 2*j+q/2
			if ci >= tr.nx[l-1] || cj >= tr.ny[l-1] {
				continue
			}
			v := val(&tr.node[l-1][ci*tr.ny[l-1]+cj])
			sz := 1 << (l - 1)
			d := dist(x, ci*sz, min((ci+1)*sz, mx)-1) + dist(y, cj*sz, min((cj+1)*sz, my)-1)
			ok := v >= target
			if kind == wantLeast {
				ok = v <= target
			}
			cs = append(cs, cand{ci, cj, d, v, ok})
		}
		// key: smaller sorts first.
		key := func(c cand) [3]int64 {
			ok := int64(1)
			if c.ok {
				ok = 0
			}
			v := -int64(c.v)
			if kind == wantLeast {
				v = int64(c.v)
			}
			if kind == wantMost {
				return [3]int64{ok, v, int64(c.d)}
			}
			return [3]int64{ok, int64(c.d), v}
		}
		b := cs[0]
		for _, c := range cs[1:] {
			kc, kb := key(c), key(b)
			if kc[0] < kb[0] || kc[0] == kb[0] && (kc[1] < kb[1] || kc[1] == kb[1] && kc[2] < kb[2]) {
				b = c
			}
		}
		i, j = b.i, b.j
	}
	return tr.m.topo.ID(i, j)
}

// checkQueries asks every query from every cluster (or a sample on large
// meshes) and checks each answer against the brute-force aggregates: it
// must qualify, and lie in the smallest block around the asking cluster
// that holds a qualifying cluster.
func checkQueries(t *testing.T, tree *Tree, tr *truth, rng *rand.Rand) {
	t.Helper()
	m, n := tr.m, tr.m.topo.NumClusters()
	root := tr.node[tr.top][0]
	target := root.MinLoad + tree.slack
	for s := 0; s < min(n, 96); s++ {
		near := s
		if n > 96 {
			near = rng.Intn(n)
		}
		// PlaceThread.
		c, core := tree.PlaceThread(near)
		l := tr.lowest(near, 0, func(s *Summary) bool { return s.MinLoad <= target })
		if c < 0 || m.load(c) > target || !tr.sameBlock(near, c, l) {
			t.Fatalf("PlaceThread(%d) = %d (load %d); want load <= %d within level %d of it", near, c, m.load(c), target, l)
		}
		if ref := tr.refDescend(l, near, wantLeast, func(s *Summary) uint32 { return s.MinLoad }, target); c != ref {
			t.Fatalf("PlaceThread(%d) = %d, the reference descent gives %d", near, c, ref)
		}
		best := 0
		for k, v := range m.core[c] {
			if v < m.core[c][best] {
				best = k
			}
		}
		if core != best {
			t.Fatalf("PlaceThread(%d) core %d, least-loaded core is %d (%v)", near, core, best, m.core[c])
		}
		// FindMemory, for a few orders and sizes.
		for _, q := range [...]struct {
			k int
			n uint32
		}{{0, 1}, {0, 9}, {2, 3}, {5, 1}, {MaxOrder, 1}, {0, MaxRoom}, {3, 200000}} {
			want := min(q.n, MaxRoom)
			got := tree.FindMemory(near, q.k, q.n)
			l := tr.lowest(near, 0, func(s *Summary) bool { return s.Room[q.k] >= want })
			if l < 0 {
				if got != -1 {
					t.Fatalf("FindMemory(%d, %d, %d) = %d, no cluster has room", near, q.k, q.n, got)
				}
				continue
			}
			if got < 0 || m.room(got, q.k) < want || !tr.sameBlock(near, got, l) {
				t.Fatalf("FindMemory(%d, %d, %d) = %d; want room >= %d within level %d", near, q.k, q.n, got, want, l)
			}
			if ref := tr.refDescend(l, near, wantRoom, func(s *Summary) uint32 { return s.Room[q.k] }, want); got != ref {
				t.Fatalf("FindMemory(%d, %d, %d) = %d, the reference descent gives %d", near, q.k, q.n, got, ref)
			}
		}
		// MostLoaded.
		got := tree.MostLoaded(near)
		tgt := m.load(near) + tree.threshold
		l = tr.lowest(near, 1, func(s *Summary) bool { return tgt <= MaxLoad && s.MaxLoad >= tgt })
		if l < 0 {
			if got != -1 {
				t.Fatalf("MostLoaded(%d) = %d (load %d), want none above %d", near, got, m.load(got), tgt)
			}
			continue
		}
		x, y := m.topo.Coords(near)
		if got < 0 || !tr.sameBlock(near, got, l) || m.load(got) != tr.at(l, x, y).MaxLoad {
			t.Fatalf("MostLoaded(%d) = %d; want the most loaded (%d) of level %d", near, got, tr.at(l, x, y).MaxLoad, l)
		}
		if ref := tr.refDescend(l, near, wantMost, func(s *Summary) uint32 { return s.MaxLoad }, tgt); got != ref {
			t.Fatalf("MostLoaded(%d) = %d, the reference descent gives %d", near, got, ref)
		}
	}
}

// randomUpdate applies one random update to both the tree and the model.
func randomUpdate(t *testing.T, tree *Tree, m *model, rng *rand.Rand) {
	c := rng.Intn(m.topo.NumClusters())
	ok := true
	switch op := rng.Intn(10); {
	case op < 4:
		k := rng.Intn(len(m.core[c]))
		v := uint32(rng.Intn(4 * LoadScale))
		if rng.Intn(50) == 0 {
			v = uint32(rng.Intn(1 << 20)) // past MaxLoad: saturation
		}
		m.core[c][k] = v
		ok = tree.SetCoreLoad(c, k, v)
		if rng.Intn(3) == 0 {
			d := int32(rng.Intn(3*LoadScale) - LoadScale)
			if int64(m.core[c][k])+int64(d) < 0 {
				d = -d
			}
			m.core[c][k] += uint32(d)
			ok = ok && tree.AddCoreLoad(c, k, d)
		}
	case op < 5:
		d := int32(rng.Intn(7) - 3)
		if int64(m.threads[c])+int64(d) < 0 {
			d = -d
		}
		m.threads[c] += uint32(d)
		ok = tree.AddThreads(c, d)
	case op < 6:
		v := uint32(rng.Intn(100))
		m.threads[c] = v
		ok = tree.SetThreads(c, v)
	case op < 8:
		k := rng.Intn(Orders)
		v := uint32(rng.Intn(6))
		if rng.Intn(40) == 0 {
			v = uint32(rng.Intn(1 << 18)) // room past MaxRoom
		}
		m.free[c][k] = v
		ok = tree.SetFree(c, k, v)
	case op < 9:
		k := rng.Intn(Orders)
		d := int32(rng.Intn(5) - 2)
		if int64(m.free[c][k])+int64(d) < 0 {
			d = -d
		}
		m.free[c][k] += uint32(d)
		ok = tree.AddFree(c, k, d)
	default:
		var f [Orders]uint32
		for k := range f {
			if rng.Intn(3) == 0 {
				f[k] = uint32(rng.Intn(4))
			}
		}
		m.free[c] = f
		ok = tree.SetFreeAll(c, &f)
	}
	if !ok {
		t.Fatalf("update of cluster %d refused", c)
	}
}

// meshes the random-state tests run on; cores are dealt unevenly on some.
var meshes = []struct{ x, y, cores int }{
	{1, 1, 1}, {1, 1, 4}, {2, 1, 3}, {1, 2, 8}, {2, 2, 7}, {3, 5, 40}, {7, 3, 21},
	{5, 1, 17}, {1, 7, 13}, {4, 4, 64}, {6, 6, 100}, {16, 16, 1024}, {32, 32, 3000},
}

func TestRandomStates(t *testing.T) {
	for _, mc := range meshes {
		topo := topology(t, mc.x, mc.y, mc.cores)
		t.Run(fmt.Sprintf("%dx%d/%dcores", mc.x, mc.y, mc.cores), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(mc.x*1000 + mc.y*10 + mc.cores)))
			params := []Params{DefaultParams, {PlaceSlack: 0, BalanceThreshold: 1}, {PlaceSlack: 3 * LoadScale, BalanceThreshold: 2 * LoadScale}}
			if raceBuild && topo.NumClusters() > 256 {
				params = params[:1]
			}
			for _, p := range params {
				tree := newTree(t, topo, p)
				m := newModel(topo)
				checkNodes(t, tree, truthOf(m)) // the empty tree is consistent too
				n := topo.NumClusters()
				rounds := 6
				if n > 64 {
					rounds = 2
				}
				for r := 0; r < rounds; r++ {
					for u := 0; u < 20*n+50; u++ {
						randomUpdate(t, tree, m, rng)
					}
					tr := truthOf(m)
					checkNodes(t, tree, tr)
					checkQueries(t, tree, tr, rng)
				}
			}
		})
	}
}

// TestScenarios checks answers a reader can verify by hand.
func TestScenarios(t *testing.T) {
	topo := topology(t, 4, 4, 64)
	tree := newTree(t, topo, DefaultParams)
	id := func(x, y int) int { return topo.ID(x, y) }
	for c := 0; c < 16; c++ {
		for k := 0; k < 4; k++ {
			tree.SetCoreLoad(c, k, 2*LoadScale)
		}
	}
	// A balanced machine: no one to steal from, every cluster is as good as
	// the asking one.
	if c, _ := tree.PlaceThread(id(1, 2)); c != id(1, 2) {
		t.Errorf("balanced: PlaceThread from (1,2) = %d, want itself", c)
	}
	if c := tree.MostLoaded(id(0, 0)); c != -1 {
		t.Errorf("balanced: MostLoaded = %d, want -1", c)
	}
	// One idle core far away: the least load is there.
	tree.SetCoreLoad(id(3, 3), 2, 0) // cluster (3,3) mean: 1.5 threads per core
	if c, core := tree.PlaceThread(id(0, 0)); c != id(3, 3) || core != 2 {
		t.Errorf("PlaceThread = (%d, %d), want (%d, 2)", c, core, id(3, 3))
	}
	// An equally light cluster nearer wins.
	tree.SetCoreLoad(id(1, 0), 1, 0)
	if c, core := tree.PlaceThread(id(0, 0)); c != id(1, 0) || core != 1 {
		t.Errorf("PlaceThread = (%d, %d), want (%d, 1)", c, core, id(1, 0))
	}
	if c, _ := tree.PlaceThread(id(3, 2)); c != id(3, 3) {
		t.Errorf("PlaceThread from (3,2) = %d, want %d", c, id(3, 3))
	}
	// Work to steal: (2,1) is busy; (0,0)'s own quadrant has nothing above
	// the threshold (1 thread per core), so the answer is in the whole mesh.
	for k := 0; k < 4; k++ {
		tree.SetCoreLoad(id(2, 1), k, 4*LoadScale)
	}
	tree.SetCoreLoad(id(0, 1), 0, 3*LoadScale) // (0,1): mean 2.25, under threshold from (0,0)
	if c := tree.MostLoaded(id(0, 0)); c != id(2, 1) {
		t.Errorf("MostLoaded from (0,0) = %d, want %d", c, id(2, 1))
	}
	if c := tree.MostLoaded(id(2, 1)); c != -1 {
		t.Errorf("MostLoaded from the busiest = %d, want -1", c)
	}
	// Memory: only (2,2) has an order-3 block; (1,1) has four order-0 pages.
	tree.SetFree(id(2, 2), 3, 1)
	tree.SetFree(id(1, 1), 0, 4)
	for _, c := range []struct {
		near, order int
		n           uint32
		want        int
	}{
		{id(0, 0), 3, 1, id(2, 2)},
		{id(0, 0), 0, 4, id(1, 1)}, // nearer, and enough
		{id(0, 0), 0, 5, id(2, 2)}, // the order-3 block splits into 8 pages
		{id(0, 0), 0, 9, -1},
		{id(0, 0), 4, 1, -1},
		{id(3, 3), 0, 1, id(2, 2)},
		{id(1, 1), 0, 0, id(1, 1)},
	} {
		if got := tree.FindMemory(c.near, c.order, c.n); got != c.want {
			t.Errorf("FindMemory(%d, %d, %d) = %d, want %d", c.near, c.order, c.n, got, c.want)
		}
	}
	s := tree.Total()
	if s.Clusters != 16 || s.Cores != 64 || s.Free[3] != 1 || s.Free[0] != 4 || s.Room[0] != 8 || s.MaxLoad != 4*LoadScale {
		t.Errorf("Total = %+v", s)
	}
}

func TestBadArguments(t *testing.T) {
	topo := topology(t, 2, 1, 3) // cluster 0 has 2 cores, cluster 1 has 1
	tree := newTree(t, topo, DefaultParams)
	for _, ok := range []bool{
		tree.SetCoreLoad(2, 0, 1), tree.SetCoreLoad(-1, 0, 1), tree.SetCoreLoad(1, 1, 1), tree.SetCoreLoad(0, -1, 1),
		tree.AddCoreLoad(2, 0, 1), tree.AddCoreLoad(1, 1, 1), tree.AddCoreLoad(0, 2, -1),
		tree.AddThreads(2, 1), tree.SetThreads(-1, 1), tree.SetFree(0, Orders, 1), tree.SetFree(0, -1, 1),
		tree.AddFree(3, 0, 1), tree.AddFree(0, 11, 1), tree.SetFreeAll(9, &[Orders]uint32{}),
	} {
		if ok {
			t.Fatal("an out-of-range update was accepted")
		}
	}
	if c, core := tree.PlaceThread(2); c != -1 || core != -1 {
		t.Error("PlaceThread accepted an unknown cluster")
	}
	if tree.FindMemory(-1, 0, 1) != -1 || tree.FindMemory(0, 11, 1) != -1 || tree.MostLoaded(5) != -1 {
		t.Error("a query accepted an unknown cluster or order")
	}
	if _, ok := tree.Cluster(2); ok || tree.CoreLoad(1, 1) != 0 {
		t.Error("reads accepted unknown clusters or cores")
	}
	if s := tree.Total(); s != (Summary{Clusters: 2, Cores: 3, MinLoad: 0}) {
		t.Errorf("refused updates changed the tree: %+v", s)
	}
}

func TestNewAndAttach(t *testing.T) {
	topo := topology(t, 3, 5, 15)
	size := Size(topo)
	buf := make([]byte, 2*size+Align)
	defer runtime.KeepAlive(buf)
	base := uintptr(unsafe.Pointer(&buf[0]))
	base += (Align - base%Align) % Align
	if _, err := New(topo, base+4, size, DefaultParams); err == nil {
		t.Error("New accepted an unaligned region")
	}
	if _, err := New(topo, base, size-1, DefaultParams); err == nil {
		t.Error("New accepted a short region")
	}
	if _, err := New(topo, base, size, Params{}); err == nil {
		t.Error("New accepted a zero balance threshold")
	}
	if _, err := New(cluster.Topology{}, base, size, DefaultParams); err == nil {
		t.Error("New accepted an empty topology")
	}
	if _, err := Attach(topo, base, size); err == nil {
		t.Error("Attach found a tree in zeroed memory")
	}
	a, err := New(topo, base, size, Params{PlaceSlack: 7, BalanceThreshold: 9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Attach(topo, base, size)
	if err != nil {
		t.Fatal(err)
	}
	if b != a {
		t.Errorf("Attach gave %+v, New %+v", b, a)
	}
	a.SetCoreLoad(4, 0, 99)
	if s, _ := b.Cluster(4); s.Load != 99 {
		t.Error("an update through one handle is not seen through the other")
	}
	if _, err := Attach(topology(t, 5, 3, 15), base, size); err == nil {
		t.Error("Attach accepted another topology")
	}
}

// TestShape checks the levels and the children of a few meshes.
func TestShape(t *testing.T) {
	for _, c := range []struct{ x, y, levels, rootChildren int }{
		{1, 1, 0, 0}, {2, 1, 1, 2}, {2, 2, 1, 4}, {3, 5, 3, 2}, {7, 3, 3, 2}, {5, 1, 3, 2}, {16, 16, 4, 4}, {32, 32, 5, 4}, {32, 1, 5, 2},
	} {
		tree := newTree(t, topology(t, c.x, c.y, c.x*c.y), DefaultParams)
		if tree.Levels() != c.levels {
			t.Errorf("%dx%d: %d levels, want %d", c.x, c.y, tree.Levels(), c.levels)
		}
		if c.levels == 0 {
			continue
		}
		if got := bits32(load(w(tree.node(tree.top, 0, 0), nPresent))); got != c.rootChildren {
			t.Errorf("%dx%d: root has %d children, want %d", c.x, c.y, got, c.rootChildren)
		}
	}
}

func bits32(v uint32) int {
	n := 0
	for ; v != 0; v &= v - 1 {
		n++
	}
	return n
}

// TestNoAllocation proves that updates, queries and reads do not touch the
// Go heap once the tree exists: the property that lets them run in trap
// context.
func TestNoAllocation(t *testing.T) {
	tree := newTree(t, topology(t, 7, 3, 60), DefaultParams)
	free := [Orders]uint32{1, 2, 3}
	i := 0
	for name, f := range map[string]func(){
		"SetCoreLoad": func() { tree.SetCoreLoad(i%21, i%2, uint32(i*37%1000)) },
		"AddCoreLoad": func() { tree.AddCoreLoad(i%21, i%2, 1) },
		"AddThreads":  func() { tree.AddThreads(i%21, 1) },
		"SetThreads":  func() { tree.SetThreads(i%21, uint32(i)) },
		"SetFree":     func() { tree.SetFree(i%21, i%Orders, uint32(i%5)) },
		"AddFree":     func() { tree.AddFree(i%21, i%Orders, 1) },
		"SetFreeAll":  func() { free[0] = uint32(i); tree.SetFreeAll(i%21, &free) },
		"PlaceThread": func() { tree.PlaceThread(i % 21) },
		"FindMemory":  func() { tree.FindMemory(i%21, i%4, 3) },
		"MostLoaded":  func() { tree.MostLoaded(i % 21) },
		"Total":       func() { _ = tree.Total() },
		"Cluster":     func() { _, _ = tree.Cluster(i % 21) },
	} {
		if a := testing.AllocsPerRun(200, func() { f(); i++ }); a != 0 {
			t.Errorf("%s allocates %.1f times per call", name, a)
		}
	}
}

func TestViewAgreesWithTotals(t *testing.T) {
	topo, err := cluster.New(cluster.Spec{X: 3, Y: 5}, cluster.Machine{Cores: 15, RAMSize: 15 << 20, MinBank: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	tr := newTree(t, topo, DefaultParams)
	for c := 0; c < topo.NumClusters(); c++ {
		tr.AddThreads(c, int32(c+1))
	}
	for l := 0; l <= tr.Levels(); l++ {
		nx, ny := tr.Dims(l)
		var threads uint32
		for i := 0; i < nx; i++ {
			for j := 0; j < ny; j++ {
				s, ok := tr.Node(l, i, j)
				if !ok {
					t.Fatalf("node (%d,%d,%d) missing", l, i, j)
				}
				threads += s.Threads
			}
		}
		if threads != tr.Total().Threads {
			t.Errorf("level %d: %d threads, total %d", l, threads, tr.Total().Threads)
		}
	}
	if _, ok := tr.Node(0, 3, 0); ok {
		t.Error("node outside the mesh")
	}
}
