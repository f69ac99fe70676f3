package ktest

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"almos/kernel/kapi"
	"almos/kernel/kmem"
)

// Tests of locality: where the DQDT places threads, where memory comes
// from when a bank runs out, and idle cores pulling work from a loaded
// cluster. Each prints per-cluster figures ("clusters:" lines).

func init() {
	Register("placement", "new threads are spread over the clusters by the DQDT", testPlacement)
	Register("spill", "a thread's memory comes from its cluster's bank, then from the nearest bank with room", testSpill)
	Register("balance", "idle cores pull threads from a loaded cluster", testBalance)
}

func clusterOfCore(cs []kapi.ClusterInfo, core int) int {
	for _, c := range cs {
		if core >= int(c.FirstCore) && core < int(c.FirstCore+c.NCores) {
			return int(c.ID)
		}
	}
	return -1
}

func perCluster(cs []kapi.ClusterInfo, cores []int) []int {
	counts := make([]int, len(cs))
	for _, c := range cores {
		if k := clusterOfCore(cs, c); k >= 0 {
			counts[k]++
		}
	}
	return counts
}

func spinClone(stack uintptr, slot *int32, stop *uint32) int32

// testPlacement creates bare kernel threads one after another, each spinning
// (so that it is load the next placement sees), and records the cluster the
// DQDT chose for each, the core each first ran on and where each runs while
// the creator waits. Going through clone directly, every thread is a
// placement decision of the kernel, whatever the Go runtime does with its own
// threads.
//
// The decisions are made on instantaneous loads (threads running or ready
// per core, the creator included), so they differ from run to run; what the
// kernel guarantees, and the test checks, is that every new thread goes
// through the tree, that the tree sends threads out of the creator's cluster,
// and that placement and balancing together leave no cluster without work.
// Decision quality itself is checked against a reference in the dqdt
// package's host tests.
func testPlacement(t *T) {
	cs, err := kapi.Clusters()
	if err != nil || len(cs) == 0 {
		t.Fatalf("clusters: %v", err)
	}
	const (
		sStart = iota // core it first ran on
		sDone         // 1 once it stopped
		sNow          // core it is running on
		sWords
	)
	var before, after kapi.Locality
	kapi.ReadLocality(&before)
	n := 2 * online()
	slots := make([]int32, sWords*n)
	for i := 0; i < n; i++ {
		slots[sWords*i+sStart], slots[sWords*i+sNow] = -1, -1
	}
	stacks := make([][]byte, n)
	var stop uint32
	started := 0
	// stopAll stops the threads started and waits until each has stopped.
	// The threads spin on stacks and slots of this frame: they must be gone
	// before it is, on every way out.
	stopAll := func() {
		atomic.StoreUint32(&stop, 1)
		for i := 0; i < started; i++ {
			for atomic.LoadInt32(&slots[sWords*i+sDone]) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		runtime.KeepAlive(stacks)
		runtime.KeepAlive(slots)
	}
	defer stopAll()
	var trace []string // the clusters' loads after each clone, and the creator's core
	for i := 0; i < n; i++ {
		stacks[i] = make([]byte, 2048)
		if tid := spinClone(uintptr(unsafe.Pointer(&stacks[i][0]))+2048-64, &slots[sWords*i], &stop); tid <= 0 {
			t.Fatalf("clone: %v", syscall.Errno(-tid))
		}
		started++
		time.Sleep(10 * time.Millisecond) // the new thread's load reaches the tree
		if now, err := kapi.Clusters(); err == nil {
			loads := make([]uint32, len(now))
			for k, c := range now {
				loads[k] = c.Load / uint32(before.LoadScale)
			}
			trace = append(trace, fmt.Sprintf("%v@%d", loads, kapi.Where()))
		}
	}
	// Placement and the idle cores' pulls spread the threads; on a loaded
	// host a vCPU may stay descheduled for a while, so give them time.
	current := func() []int {
		cores := make([]int, n)
		for i := range cores {
			cores[i] = int(atomic.LoadInt32(&slots[sWords*i+sNow]))
			if cores[i] < 0 { // started, not yet round its loop
				cores[i] = int(atomic.LoadInt32(&slots[sWords*i+sStart]))
			}
		}
		return perCluster(cs, cores)
	}
	t0 := time.Now()
	spread := current()
	for slices.Min(spread) == 0 && time.Since(t0) < 5*time.Second {
		time.Sleep(20 * time.Millisecond)
		spread = current()
	}
	settle := time.Since(t0)
	kapi.ReadLocality(&after)
	stopAll()
	start := make([]int, n)
	for i := range start {
		start[i] = int(slots[sWords*i+sStart])
	}
	decided := make([]int, len(cs))
	for k := range decided {
		decided[k] = int(after.PlacedOn[k] - before.PlacedOn[k])
	}
	line := fmt.Sprintf("clusters: placement of %d spinning threads over %d clusters: %v (in the creator's cluster %d, elsewhere %d; first ran on %v, running on %v after %v)",
		n, len(cs), decided, after.PlacedLocal-before.PlacedLocal, after.PlacedRemote-before.PlacedRemote,
		perCluster(cs, start), spread, settle.Round(time.Millisecond))
	fmt.Println(line)
	t.Logf("%s", line)
	if placed := after.PlacedLocal + after.PlacedRemote - before.PlacedLocal - before.PlacedRemote; placed < uint64(n) {
		t.Errorf("%d of %d new threads went through the DQDT", placed, n)
	}
	if len(cs) > 1 {
		if after.PlacedRemote == before.PlacedRemote {
			t.Errorf("the DQDT placed no thread outside the creator's cluster")
		}
		if slices.Min(spread) == 0 {
			t.Errorf("a cluster has no thread after %v: %v", settle, spread)
		}
		if t.Failed() {
			t.Logf("cluster loads (threads) after each clone, @ the creator's core: %v", trace)
		}
	}
}

func testSpill(t *T) {
	cs, err := kapi.Clusters()
	if err != nil || len(cs) == 0 {
		t.Fatalf("clusters: %v", err)
	}
	home := cs[len(cs)-1]
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer unpin()
	pin(int(home.FirstCore))
	const chunk = 1 << 20
	var maps []uintptr
	defer func() {
		for _, a := range maps {
			syscall.Syscall(syscall.SYS_MUNMAP, a, chunk, 0)
		}
	}()
	var where []int
	firstRemote := -1
	limit := int(home.BankSize/chunk) + 16
	for i := 0; i < limit; i++ {
		a, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, chunk, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE, ^uintptr(0), 0)
		if e != 0 {
			break
		}
		maps = append(maps, a)
		// Frames are bound on first touch, from the toucher's cluster
		// first: touch every page, then ask where the first one is.
		mem := kmem.Bytes(a, chunk)
		for p := 0; p < chunk; p += 4096 {
			mem[p] = 1
		}
		c := kapi.AddrHome(a)
		where = append(where, c)
		if c != int(home.ID) && firstRemote < 0 {
			firstRemote = len(where) - 1
		}
		if firstRemote >= 0 && len(where)-firstRemote >= 4 {
			break
		}
	}
	local := 0
	for _, c := range where {
		if c == int(home.ID) {
			local++
		}
	}
	line := fmt.Sprintf("clusters: spill: a thread of cluster %d mapped %d MiB: %d MiB from its bank, then", home.ID, len(where), local)
	if firstRemote < 0 {
		line += " nothing from another bank"
	} else {
		line += fmt.Sprintf(" from cluster %d", where[firstRemote])
	}
	fmt.Println(line)
	t.Logf("%s", line)
	if len(where) == 0 || where[0] != int(home.ID) {
		t.Fatalf("the first mapping did not come from the thread's own bank: %v", where)
	}
	if len(cs) > 1 {
		if firstRemote < 0 {
			t.Fatalf("the bank never ran out (%d MiB mapped)", len(where))
		}
		// The spill goes to a nearest cluster with room: at mesh distance 1
		// from the home on any mesh with more than one cluster.
		spill := cs[where[firstRemote]]
		d := abs(int(spill.X-home.X)) + abs(int(spill.Y-home.Y))
		if d != 1 {
			t.Errorf("spilled to cluster %d at distance %d, want a neighbour", spill.ID, d)
		}
		for _, c := range where[:firstRemote] {
			if c != int(home.ID) {
				t.Errorf("a remote page before the bank ran out: %v", where)
				break
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func testBalance(t *T) {
	cs, err := kapi.Clusters()
	if err != nil || len(cs) == 0 {
		t.Fatalf("clusters: %v", err)
	}
	var before, after kapi.Locality
	kapi.ReadLocality(&before)
	n := 2 * online()
	old := runtime.GOMAXPROCS(n + 2)
	defer runtime.GOMAXPROCS(old)
	// Load cluster 0: every spinner's thread is bound to cluster 0's cores
	// until all run there, then set free to run anywhere; the other
	// clusters' idle cores must pull them.
	var mask0 uint32
	for c := cs[0].FirstCore; c < cs[0].FirstCore+cs[0].NCores; c++ {
		mask0 |= 1 << uint(c)
	}
	var started atomic.Int32
	release := make(chan struct{})
	start, end := make([]int, n), make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			setAffinity(mask0)
			start[i] = kapi.Where()
			started.Add(1)
			<-release
			unpin()
			t0 := time.Now()
			for time.Since(t0) < 600*time.Millisecond {
				chain(uint32(i), 500)
			}
			end[i] = kapi.Where()
		}(i)
	}
	for started.Load() < int32(n) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	kapi.ReadLocality(&after)
	s, e := perCluster(cs, start), perCluster(cs, end)
	line := fmt.Sprintf("clusters: balance: %d CPU-bound threads per cluster at start %v, at the end %v; pulls %d, answered %d, across clusters %d",
		n, s, e, after.Pulls-before.Pulls, after.PullsAnswered-before.PullsAnswered, after.PulledRemote-before.PulledRemote)
	fmt.Println(line)
	t.Logf("%s", line)
	if s[0] != n {
		t.Errorf("the threads did not all start in cluster 0: %v", s)
	}
	if len(cs) > 1 {
		if after.PulledRemote == before.PulledRemote {
			t.Errorf("no thread was pulled to another cluster")
		}
		if e[0] == n {
			t.Errorf("every thread still runs in cluster 0: %v", e)
		}
	}
}

// setAffinity binds the calling thread to the cores of mask.
func setAffinity(mask uint32) {
	syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, 4, uintptr(unsafe.Pointer(&mask)))
}
