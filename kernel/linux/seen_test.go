package linux

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestSeenSetFirstOnce has several goroutines (the cores) mark the same
// numbers at once: each number in the set must be reported first exactly
// once, numbers beyond it every time.
func TestSeenSetFirstOnce(t *testing.T) {
	var s seenSet
	const workers = 8
	limit := uint32(len(s)) * 32
	var firsts [16 * 32]atomic.Int32
	var beyond atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for round := 0; round < 50; round++ {
				for k := uint32(0); k < limit+2; k++ {
					// Each worker walks the numbers from a different place so
					// that they collide on every word.
					i := (k + uint32(w)*37) % (limit + 2)
					if !s.First(i) {
						continue
					}
					if i >= limit {
						beyond.Add(1)
					} else {
						firsts[i].Add(1)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	for i := range firsts {
		if got := firsts[i].Load(); got != 1 {
			t.Errorf("number %d reported %d times, want once", i, got)
		}
	}
	if got, want := beyond.Load(), int32(workers*50*2); got != want {
		t.Errorf("numbers beyond the set reported %d times, want %d (every time)", got, want)
	}
}
