package dqdt

import "testing"

// The tests below replay, step by step, the interleavings that the ticket
// protocol exists for. Real races hit these windows only rarely on a small
// host, so the concurrent tests alone would not show that the protocol is
// needed; these do, deterministically.

// rootMin is the least-load extreme word of the root's totals of a 2x1 tree.
func rootMin(tree *Tree) (word, ctr uintptr) {
	root := tree.node(1, 0, 0)
	return w(root, nTotal+sExt+eMin), w(root, nCounter+eMin)
}

// TestStaleCollectLoses: updater Y takes its ticket and reads the children,
// then stalls; updater Z changes a child and completes; Y then tries to store
// what it read before Z's change. Y must lose, or the tree would keep a
// stale least load with no update left to repair it.
func TestStaleCollectLoses(t *testing.T) {
	tree := newTree(t, topology(t, 2, 1, 2), DefaultParams)
	tree.SetCoreLoad(0, 0, 5)
	tree.SetCoreLoad(1, 0, 7)
	word, ctr := rootMin(tree)
	root := tree.node(1, 0, 0)

	// Y: ticket, then collect (sees 5 and 7).
	tkY := add(ctr, 1) & 0xFFFF
	var v [nExt]uint32
	collectInner(root, 1<<eMin, &v)
	if v[eMin] != 5 {
		t.Fatalf("collect = %d, want 5", v[eMin])
	}
	// Z: cluster 0 becomes busier and the update climbs to the root.
	tree.SetCoreLoad(0, 0, 9)
	if got := load(word) & 0xFFFF; got != 7 {
		t.Fatalf("after Z the root's least load is %d, want 7", got)
	}
	// Y wakes up with its stale 5.
	if r := publish(word, ctr, v[eMin], tkY); r != superseded {
		t.Fatalf("stale publish returned %d, want superseded", r)
	}
	if got := load(word) & 0xFFFF; got != 7 {
		t.Fatalf("the stale value landed: root least load %d, want 7", got)
	}
}

// TestNewerCollectWins: Y takes a ticket first but Z, with a newer ticket,
// both collects and stores before Y; then Y's older store must not land,
// while in the opposite order (older stores first) the newer must land.
func TestNewerCollectWins(t *testing.T) {
	tree := newTree(t, topology(t, 2, 1, 2), DefaultParams)
	word, ctr := rootMin(tree)
	tkY := add(ctr, 1) & 0xFFFF
	tkZ := add(ctr, 1) & 0xFFFF
	if r := publish(word, ctr, 3, tkZ); r != changed {
		t.Fatalf("newer publish returned %d, want changed", r)
	}
	if r := publish(word, ctr, 4, tkY); r != superseded {
		t.Fatalf("older publish after a newer returned %d, want superseded", r)
	}
	tkA := add(ctr, 1) & 0xFFFF
	tkB := add(ctr, 1) & 0xFFFF
	if r := publish(word, ctr, 6, tkA); r != changed {
		t.Fatalf("older-first publish returned %d, want changed", r)
	}
	if r := publish(word, ctr, 6, tkB); r != same {
		t.Fatalf("newer publish of the same value returned %d, want same", r)
	}
	if got := load(word); got != tkB<<16|6 {
		t.Fatalf("word = %#x, want ticket %d value 6", got, tkB)
	}
}

// TestTicketWraparound: tickets are compared modulo 2^16. Words written long
// ago hold old tickets, which must still count as older after the counter
// has wrapped many times, because every updater takes its ticket from the
// same counter and the newest one always stores.
func TestTicketWraparound(t *testing.T) {
	tree := newTree(t, topology(t, 2, 2, 4), DefaultParams)
	for i := 0; i < 3*65536+123; i++ {
		tree.SetCoreLoad(i%4, 0, uint32(i%500))
	}
	checkNodes(t, tree, truthOf(modelOf(tree)))
	// An updater that fell a whole window behind gives up rather than
	// compare tickets that may have aliased.
	word, ctr := rootMin(tree)
	before := load(word)
	tk := add(ctr, 1) & 0xFFFF
	store(ctr, load(ctr)+window)
	if r := publish(word, ctr, 1234, tk); r != superseded || load(word) != before {
		t.Fatalf("a ticket a window old was used: %d, word %#x", r, load(word))
	}
}
