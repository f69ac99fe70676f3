package mem

import "fmt"

// CacheConfig describes one L1 cache (tags only: data always comes from
// the bank, so the model changes timing and counters, never values).
type CacheConfig struct {
	Size int // bytes
	Ways int
	Line int // bytes, power of two; the same for every cache of a machine
}

// DefaultCache is TSAR's L1 geometry: 16 KiB, 4 ways, 64-byte lines.
var DefaultCache = CacheConfig{Size: 16 << 10, Ways: 4, Line: 64}

// Validate checks the geometry.
func (c CacheConfig) Validate() error {
	if c.Line < 16 || c.Line > 4096 || c.Line&(c.Line-1) != 0 {
		return fmt.Errorf("cache line %d: want a power of two in 16..4096", c.Line)
	}
	if c.Ways < 1 || c.Ways > 16 {
		return fmt.Errorf("cache ways %d: want 1..16", c.Ways)
	}
	sets := c.Size / (c.Ways * c.Line)
	if sets < 1 || sets&(sets-1) != 0 || sets*c.Ways*c.Line != c.Size {
		return fmt.Errorf("cache size %d: want ways*line*sets with sets a power of two", c.Size)
	}
	return nil
}

// LineShift is log2 of the line size.
func (c CacheConfig) LineShift() uint {
	s := uint(0)
	for 1<<s < c.Line {
		s++
	}
	return s
}

// Cache is a set-associative tag store with true LRU kept by
// move-to-front inside each set. A tag word holds the global line number
// plus one (so 0 means empty) in the high half and the line's version
// number at fill time in the low half: a hit needs both to match, so a
// line another core has written since we filled it misses, which is how
// write-through invalidation coherence is modelled without a directory.
type Cache struct {
	tags     []uint64
	setMask  uint32
	wayShift uint
	ways     int
	Sets     int
	Ways     int
}

// NewCache builds an empty cache. The number of ways is rounded up to a
// power of two internally (unused ways stay empty) so that a set's first
// tag is found with a shift.
func NewCache(cfg CacheConfig) *Cache {
	sets := cfg.Size / (cfg.Ways * cfg.Line)
	ws := uint(0)
	for 1<<ws < cfg.Ways {
		ws++
	}
	return &Cache{
		tags:     make([]uint64, sets<<ws),
		setMask:  uint32(sets - 1),
		wayShift: ws,
		ways:     cfg.Ways,
		Sets:     sets,
		Ways:     cfg.Ways,
	}
}

func key(line, ver uint32) uint64 { return uint64(line+1)<<32 | uint64(ver) }

// Access looks a line up and fills it on a miss. It returns true on a hit.
// The common case (hit in the most recently used way) is small enough to
// be inlined into the interpreter.
func (c *Cache) Access(line, ver uint32) bool {
	i := (line & c.setMask) << c.wayShift
	if c.tags[i] == key(line, ver) {
		return true
	}
	return c.accessSlow(i, key(line, ver))
}

func (c *Cache) accessSlow(i uint32, k uint64) bool {
	set := c.tags[i : i+uint32(c.ways)]
	hit := false
	w := len(set) - 1 // on a miss the LRU way is replaced
	for j := 0; j < len(set); j++ {
		if set[j]>>32 == k>>32 {
			// Same line: a hit if the version still matches, else the
			// line was invalidated by another core's store.
			hit = set[j] == k
			w = j
			break
		}
	}
	copy(set[1:w+1], set[:w])
	set[0] = k
	return hit
}

// Update refreshes the version of a line this core has just written (a
// write-through store keeps the writer's copy valid). Absent lines are not
// allocated: TSAR's L1 does not allocate on write.
func (c *Cache) Update(line, oldVer, newVer uint32) {
	i := (line & c.setMask) << c.wayShift
	old := key(line, oldVer)
	for j := 0; j < c.ways; j++ {
		if c.tags[i+uint32(j)] == old {
			c.tags[i+uint32(j)] = key(line, newVer)
			return
		}
	}
}

// Flush empties the cache.
func (c *Cache) Flush() {
	clear(c.tags)
}
