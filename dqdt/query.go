package dqdt

// The three queries share one shape: climb from the leaf of the cluster
// asking to the lowest ancestor whose subtree holds a cluster that qualifies,
// then descend from it, at each node choosing among the child slots. The
// lowest qualifying ancestor is the smallest aligned square around the asking
// cluster that holds an answer, which is how "near" is understood: nearer in
// the tree first, then, among the children of one node, nearer in mesh hops
// to the asking cluster. Both walks are bounded by Levels().

// Summary is a copy of the indicators of a subtree (or of one cluster), read
// word by word without a snapshot.
type Summary struct {
	Clusters uint32 // clusters in the subtree
	Cores    uint32 // cores in the subtree
	Threads  uint32
	Load     uint32 // sum of the core loads
	Free     [Orders]uint32
	MinLoad  uint32         // least cluster load (mean of its cores), saturated at MaxLoad
	MaxLoad  uint32         // greatest cluster load
	Room     [Orders]uint32 // most blocks of order k one cluster can supply, saturated at MaxRoom
}

func readSummary(s uintptr) Summary {
	var r Summary
	r.Clusters = load(w(s, sClusters))
	r.Cores = load(w(s, sCores))
	r.Threads = load(w(s, sThreads))
	r.Load = load(w(s, sLoad))
	for k := 0; k < Orders; k++ {
		r.Free[k] = load(w(s, sFree+k))
		r.Room[k] = ext(s, eRoom+k)
	}
	r.MinLoad = ext(s, eMin)
	r.MaxLoad = ext(s, eMax)
	return r
}

// ext reads the value of extreme e of the summary at s.
func ext(s uintptr, e int) uint32 { return load(w(s, sExt+e)) & 0xFFFF }

// Total returns the indicators of the whole machine (the root's totals).
func (t *Tree) Total() Summary { return readSummary(w(t.node(t.top, 0, 0), nTotal)) }

// Cluster returns the indicators of cluster c; ok is false for an unknown
// cluster.
func (t *Tree) Cluster(c int) (s Summary, ok bool) {
	_, _, n, ok := t.leaf(c)
	if !ok {
		return Summary{}, false
	}
	return readSummary(w(n, nTotal)), true
}

// CoreLoad returns the load last set for local core core of cluster c (0
// for an unknown core).
func (t *Tree) CoreLoad(c, core int) uint32 {
	_, _, n, ok := t.leaf(c)
	if !ok || uint(core) >= uint(load(w(n, nTotal+sCores))) {
		return 0
	}
	return load(w(n, nChild+core))
}

// How a query judges an extreme: which one it reads, which values qualify,
// and which it prefers among qualifying children.
const (
	wantLeast = iota // PlaceThread: eMin <= target; nearest, then least
	wantRoom         // FindMemory: eRoom+k >= target; nearest, then most
	wantMost         // MostLoaded: eMax >= target; most, then nearest
)

func qualifies(kind int, v, target uint32) bool {
	if kind == wantLeast {
		return v <= target
	}
	return v >= target
}

// climb returns the lowest level >= from whose ancestor of (x, y) qualifies,
// or -1 when even the root does not.
func (t *Tree) climb(x, y, from, kind, e int, target uint32) int {
	for l := from; l <= t.top; l++ {
		if qualifies(kind, ext(w(t.node(l, x>>l, y>>l), nTotal), e), target) {
			return l
		}
	}
	return -1
}

// descend walks from node (l, i, j) down to a leaf, choosing at each node
// the child the query prefers, and returns the leaf's cluster id. If values
// changed under it and no child qualifies, it takes the child whose value is
// best for the query, so it always ends on a leaf.
func (t *Tree) descend(l, i, j, x, y, kind, e int, target uint32) int {
	mx, my := t.topo.Mesh()
	for ; l > 0; l-- {
		n := t.node(l, i, j)
		present := load(w(n, nPresent))
		best, bq, bd := -1, false, 0
		var bv uint32
		for q := 0; q < 4; q++ {
			if present&(1<<q) == 0 {
				continue
			}
			ci, cj := 2*i+q&1, 2*j+q>>1
			v := ext(w(n, nChild+q*slotWords), e)
			ok := qualifies(kind, v, target)
			d := span(x, ci, l-1, mx) + span(y, cj, l-1, my)
			if best < 0 || better(kind, ok, v, d, bq, bv, bd) {
				best, bq, bv, bd = q, ok, v, d
			}
		}
		i, j = 2*i+best&1, 2*j+best>>1
	}
	return t.topo.ID(i, j)
}

// better reports whether a child (qualifying ok, value v, distance d) beats
// the best so far (bq, bv, bd). Equal children keep the first, so the
// answer is deterministic.
func better(kind int, ok bool, v uint32, d int, bq bool, bv uint32, bd int) bool {
	if ok != bq {
		return ok
	}
	// Smaller is better for PlaceThread's loads, larger for the others.
	vBetter, vEqual := v > bv, v == bv
	if kind == wantLeast {
		vBetter = v < bv
	}
	if !ok || kind == wantMost {
		// Nobody qualifies (stale values), or MostLoaded: value first.
		return vBetter || (vEqual && d < bd)
	}
	return d < bd || (d == bd && vBetter)
}

// span returns the distance along one axis from coordinate c to the cells
// covered by index i of level l (cells i<<l .. (i+1)<<l - 1, cut at side).
func span(c, i, l, side int) int {
	lo := i << l
	hi := (i+1)<<l - 1
	if hi >= side {
		hi = side - 1
	}
	switch {
	case c < lo:
		return lo - c
	case c > hi:
		return c - hi
	}
	return 0
}

// PlaceThread chooses where to run a new thread created near cluster near:
// a cluster whose load is within PlaceSlack of the least cluster load of the
// machine, the nearest such in the tree, and in it the core with the least
// load (the first of equals). It returns (-1, -1) for an unknown cluster.
func (t *Tree) PlaceThread(near int) (c, core int) {
	x, y, _, ok := t.leaf(near)
	if !ok {
		return -1, -1
	}
	target := ext(w(t.node(t.top, 0, 0), nTotal), eMin) + t.slack
	l := t.climb(x, y, 0, wantLeast, eMin, target)
	if l < 0 {
		l = t.top // the root moved under us: descend by least load
	}
	c = t.descend(l, x>>l, y>>l, x, y, wantLeast, eMin, target)
	_, _, n, _ := t.leaf(c)
	cores := load(w(n, nTotal+sCores))
	core = 0
	least := load(w(n, nChild))
	for k := 1; k < int(cores); k++ {
		if v := load(w(n, nChild+k)); v < least {
			core, least = k, v
		}
	}
	return c, core
}

// FindMemory returns the cluster nearest to near (nearest subtree first) that
// has room for at least blocks blocks of order order, or -1 if none has or
// the arguments are out of range. blocks above MaxRoom count as MaxRoom;
// zero blocks is answered by near itself. Under concurrent updates the
// answer may have lost its room by the time the caller allocates there.
func (t *Tree) FindMemory(near, order int, blocks uint32) int {
	x, y, _, ok := t.leaf(near)
	if !ok || uint(order) > MaxOrder {
		return -1
	}
	if blocks == 0 {
		return near
	}
	if blocks > MaxRoom {
		blocks = MaxRoom
	}
	e := eRoom + order
	l := t.climb(x, y, 0, wantRoom, e, blocks)
	if l < 0 {
		return -1
	}
	return t.descend(l, x>>l, y>>l, x, y, wantRoom, e, blocks)
}

// MostLoaded returns, for an idle cluster near, a cluster to take work from:
// the most loaded cluster of the smallest subtree around near holding a
// cluster whose load exceeds near's by at least BalanceThreshold. It returns
// -1 when there is none (a balanced machine) or near is unknown.
func (t *Tree) MostLoaded(near int) int {
	x, y, n, ok := t.leaf(near)
	if !ok {
		return -1
	}
	target := ext(w(n, nTotal), eMin) + t.threshold
	if target > MaxLoad {
		return -1
	}
	l := t.climb(x, y, 1, wantMost, eMax, target)
	if l < 0 {
		return -1
	}
	return t.descend(l, x>>l, y>>l, x, y, wantMost, eMax, target)
}
