package mem

import "testing"

func TestCacheLRUAndVersions(t *testing.T) {
	c := NewCache(CacheConfig{Size: 4 * 64 * 2, Ways: 4, Line: 64}) // 2 sets
	if c.Sets != 2 {
		t.Fatalf("sets %d", c.Sets)
	}
	// Lines 0, 2, 4, 6 map to set 0.
	for _, l := range []uint32{0, 2, 4, 6} {
		if c.Access(l, 0) {
			t.Errorf("cold line %d hit", l)
		}
	}
	for _, l := range []uint32{0, 2, 4, 6} {
		if !c.Access(l, 0) {
			t.Errorf("line %d missed", l)
		}
	}
	c.Access(8, 0) // evicts the least recently used: line 0
	// (and refilling 0 evicts 2, now the oldest)
	if c.Access(0, 0) {
		t.Errorf("LRU line 0 was not evicted")
	}
	if !c.Access(8, 0) || !c.Access(6, 0) {
		t.Errorf("recent lines evicted")
	}
	// Another core's store bumps the version: the copy misses once.
	if c.Access(6, 1) {
		t.Errorf("stale version hit")
	}
	if !c.Access(6, 1) {
		t.Errorf("refilled line missed")
	}
	// Our own store keeps our copy valid.
	c.Update(6, 1, 2)
	if !c.Access(6, 2) {
		t.Errorf("own store invalidated the line")
	}
	// Set 1 is independent.
	if c.Access(1, 0) {
		t.Errorf("set 1 line hit cold")
	}
}

func TestLayout(t *testing.T) {
	if Dist(ClusterID(0, 0), ClusterID(3, 2)) != 5 || Dist(ClusterID(15, 15), ClusterID(15, 15)) != 0 {
		t.Errorf("distance")
	}
	x, y := ClusterXY(ClusterID(12, 7))
	if x != 12 || y != 7 {
		t.Errorf("cluster id round trip")
	}
	if err := (CacheConfig{Size: 3000, Ways: 4, Line: 64}).Validate(); err == nil {
		t.Errorf("bad geometry accepted")
	}
}
