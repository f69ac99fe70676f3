package spin

import (
	"sync"
	"testing"
)

func TestMutualExclusion(t *testing.T) {
	var l Lock
	var wg sync.WaitGroup
	counter := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				l.Acquire(uint32(g))
				counter++
				l.Release()
			}
		}(g)
	}
	wg.Wait()
	if counter != 16000 {
		t.Fatalf("counter %d, want 16000", counter)
	}
	if l.Held() {
		t.Fatal("lock left held")
	}
}

func TestTryAcquire(t *testing.T) {
	var l Lock
	if !l.TryAcquire(3) || l.TryAcquire(4) {
		t.Fatal("TryAcquire")
	}
	if l.Holder.Load() != 4 {
		t.Fatalf("holder %d, want core 3 (+1)", l.Holder.Load())
	}
	l.Release()
}
