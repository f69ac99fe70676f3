// Command locality is tsarsim's locality demonstration and speed
// benchmark program: W workers, each on its own locked thread, sweep
// their own array R times (read, add, write back). The same binary runs
// with its threads and memory placed in one cluster or spread over the
// mesh; the simulator's counters show where the accesses went.
//
//	locality [-compute] [workers [kib-per-worker [rounds]]]
//
// With -compute the workers hash in registers instead (integer code with
// few memory accesses), which is what the speed benchmark measures.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

func main() {
	args := os.Args[1:]
	compute := false
	if len(args) > 0 && args[0] == "-compute" {
		compute = true
		args = args[1:]
	}
	num := func(i, def int) int {
		if i < len(args) {
			if n, err := strconv.Atoi(args[i]); err == nil {
				return n
			}
		}
		return def
	}
	workers, kib, rounds := num(0, 4), num(1, 256), num(2, 10)
	runtime.GOMAXPROCS(workers)
	sums := make([]uint32, workers*16) // one cache line apart
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			if compute {
				sums[w*16] = hash(uint32(w), kib*rounds*256)
				return
			}
			// The worker allocates and first touches its own data.
			data := make([]uint32, kib*256)
			for i := range data {
				data[i] = uint32(i * (w + 1))
			}
			var s uint32
			for r := 0; r < rounds; r++ {
				for i, v := range data {
					s += v
					data[i] = s ^ uint32(r)
				}
			}
			sums[w*16] = s
		}()
	}
	wg.Wait()
	var total uint32
	for w := 0; w < workers; w++ {
		total ^= sums[w*16]
	}
	fmt.Printf("workers %d, %d KiB each, %d rounds: checksum %08x\n", workers, kib, rounds, total)
}

//go:noinline
func hash(seed uint32, n int) uint32 {
	h := seed*2654435761 + 1
	for i := 0; i < n; i++ {
		h ^= h << 13
		h ^= h >> 17
		h ^= h << 5
		h += uint32(i) * 0x9e3779b9
	}
	return h
}
