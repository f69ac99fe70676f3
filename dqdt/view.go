package dqdt

// Reads for displaying the tree (the kernel's console): every node by level
// and position. Like every read, they see each counter atomically and the
// node as a whole possibly a little stale.

// Dims returns how many nodes level l has along x and along y (level 0 is
// the clusters, Levels() the root).
func (t *Tree) Dims(l int) (nx, ny int) {
	if l < 0 || l > t.top {
		return 0, 0
	}
	return t.nx[l], t.ny[l]
}

// Node returns the totals of node (i, j) of level l: the aligned square of
// 2^l x 2^l clusters whose corner is cluster (i<<l, j<<l), cut by the mesh.
func (t *Tree) Node(l, i, j int) (Summary, bool) {
	nx, ny := t.Dims(l)
	if i < 0 || j < 0 || i >= nx || j >= ny {
		return Summary{}, false
	}
	return readSummary(w(t.node(l, i, j), nTotal)), true
}
