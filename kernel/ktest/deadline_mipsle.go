package ktest

import (
	"fmt"
	"runtime"
	"time"

	"almos/kernel/kapi"
)

// Manual tests of the suite's deadlines: each never ends by itself.

func init() {
	registry = append(registry,
		Test{Name: "hang", Doc: "blocks for ever: its deadline (3 s) fails it with every goroutine's stack and the kernel's threads, and the run goes on",
			Fn: testHang, Manual: true, Timeout: 3 * time.Second},
		Test{Name: "wedge", Doc: "spins on every P without a preemption point: with godebug=asyncpreemptoff=1 only the kernel's watchdog ends it, with the runtime's goroutines and status 1",
			Fn: testWedge, Manual: true, Timeout: 3 * time.Second})
}

func testHang(t *T) {
	t.Logf("blocking for ever")
	select {}
}

// wedgeSpin spins for about 60 s, well past the test's deadline and the
// kernel's, without a preemption point: the loop makes no call with a stack
// check, and spinCounts is assembly, where the runtime cannot stop a
// goroutine asynchronously either.
func wedgeSpin(countHz uint64) {
	for i := 0; i < 6000; i++ {
		spinCounts(uint32(countHz / 100)) // 10 ms
	}
}

func testWedge(t *T) {
	clk, err := kapi.ReadClock()
	if err != nil {
		t.Fatalf("clock: %v", err)
	}
	n := runtime.GOMAXPROCS(0)
	t.Logf("spinning on %d Ps", n)
	// The spinners end on their own after a while: with asynchronous
	// preemption on, the suite's deadline fails the test and the run goes
	// on, without them before long.
	for i := 0; i < n-1; i++ {
		go wedgeSpin(clk.CountHz)
	}
	wedgeSpin(clk.CountHz)
}

func init() {
	RegisterManual("fatalcrowd", "an unrecovered panic with 5,000 goroutines alive: the runtime's report of them all reaches the console cut to its head and tail, status 2", testFatalCrowd)
}

func testFatalCrowd(t *T) {
	const n = 5000
	block := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() { <-block }()
	}
	fmt.Printf("ktest: %d goroutines blocked; panicking without recover: expect the runtime's report cut short by the console, the kernel's, and status 2\n", n)
	done := make(chan bool)
	go func() {
		var m map[string]int
		m["crowd"] = 1 // assignment to a nil map: an unrecovered panic
		done <- true
	}()
	<-done
	close(block)
	t.Errorf("the kernel survived an unrecovered panic")
}
