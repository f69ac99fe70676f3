package ktest

import (
	"fmt"
	"runtime"
	"time"

	"almos/kernel/kapi"
)

func init() {
	RegisterManual("longrun", "the clock, timers and interrupts stay right past the 32-bit wrap of the hardware counter (43 s at 100 MHz)", testLongRun)
}

// testLongRun waits, a second at a time, until the clock's hardware counter
// is past 2^32 ticks: QEMU's GIC counter is 32 bits wide and the kernel
// widens it, and the GIC's own compare interrupt (reset to 0xFFFFFFFF) fires
// there unless the kernel masked it. On every step the counter and Go's
// monotonic clock must go forward together and a sleep must last its
// length; at the end every core must still answer an IPI, with no
// interrupt left unexplained.
func testLongRun(t *T) {
	// Each reading of the counter is bracketed by two of Go's monotonic
	// clock, so that a vCPU descheduled by a loaded host between the two
	// clocks' readings widens the bracket instead of failing the check.
	read := func() (kapi.Clock, time.Time, time.Time) {
		before := time.Now()
		c, err := kapi.ReadClock()
		if err != nil {
			t.Fatalf("clock: %v", err)
		}
		return c, before, time.Now()
	}
	c0, a0, b0 := read()
	target := uint64(1)<<32 + c0.Hz // a second past the wrap
	if c0.Counter >= target {
		t.Fatalf("counter %#x already past the wrap at start", c0.Counter)
	}
	t.Logf("counter %#x at %d Hz: %.1f s to the 32-bit wrap", c0.Counter, c0.Hz, float64(target-c0.Counter)/float64(c0.Hz))
	start := a0
	prev := c0
	steps := 0
	for prev.Counter < target {
		time.Sleep(time.Second)
		c, a1, b1 := read()
		hw := time.Duration(float64(c.Counter-prev.Counter) * 1e9 / float64(c.Hz))
		steps++
		switch {
		case c.Counter <= prev.Counter:
			t.Fatalf("step %d: counter went from %#x to %#x", steps, prev.Counter, c.Counter)
		case hw < time.Second-time.Millisecond:
			t.Fatalf("step %d: Sleep(1s) lasted %v by the counter", steps, hw)
		case a1.Sub(b0) < time.Second-time.Millisecond:
			t.Fatalf("step %d: Sleep(1s) lasted %v by time.Now", steps, a1.Sub(b0))
		case hw > 30*time.Second:
			t.Fatalf("step %d: Sleep(1s) lasted %v by the counter", steps, hw)
		}
		// Both clocks come from the same counter: between the brackets'
		// bounds, give or take the rounding.
		if lo, hi := a1.Sub(b0)-time.Millisecond, b1.Sub(a0)+time.Millisecond; hw < lo || hw > hi {
			t.Errorf("step %d: the counter saw %v, time.Now between %v and %v", steps, hw, lo, hi)
		}
		prev, a0, b0 = c, a1, b1
	}
	// Goroutines on every core still run and finish.
	n := online()
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			s := 0
			for j := 0; j < 100000; j++ {
				s += j & i
			}
			done <- s
		}(i)
	}
	for i := 0; i < n; i++ {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("goroutines past the wrap did not finish")
		}
	}
	// IPIs from core 0 to every other core.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer unpin()
	if err := pin(0); err != nil {
		t.Fatalf("pin to core 0: %v", err)
	}
	cpus, err := kapi.CPUs()
	if err != nil {
		t.Fatalf("cpus: %v", err)
	}
	var spurious []string
	for _, c := range cpus {
		if c.Online == 0 {
			continue
		}
		if c.ID != 0 {
			if _, err := kapi.IPIPing(int(c.ID), 10); err != nil {
				t.Errorf("core %d did not answer IPIs past the wrap: %v", c.ID, err)
			}
		}
		if c.Spurious != 0 {
			spurious = append(spurious, fmt.Sprintf("core %d: %d", c.ID, c.Spurious))
		}
	}
	if len(spurious) != 0 {
		t.Errorf("interrupts with no known cause: %v", spurious)
	}
	t.Logf("counter %#x after %d steps of 1s (%v by time.Now): widened past 2^32, no spurious interrupts", prev.Counter, steps, time.Since(start).Round(time.Millisecond))
}
