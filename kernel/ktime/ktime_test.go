package ktime

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestScaleRoundTrip(t *testing.T) {
	for _, hz := range []uint64{100_000_000, 166_666_666, 1_193_182, 1} {
		s := Scale{Hz: hz}
		for _, ns := range []int64{1, 999, 1e6, 1e9 + 7, 86400e9, 30 * 86400e9} {
			ticks := s.Ticks(ns)
			if back := s.NS(ticks); back < ns {
				t.Fatalf("hz %d: %d ns -> %d ticks -> %d ns fires early", hz, ns, ticks, back)
			}
			if hz >= 1e6 {
				if back := s.NS(ticks); back-ns > int64(1e9/hz)+1 {
					t.Fatalf("hz %d: %d ns -> %d ns, too late", hz, ns, back)
				}
			}
		}
	}
	if got := (Scale{Hz: 100_000_000}).NS(1 << 40); got != int64(1<<40)*10 {
		t.Fatalf("NS(2^40) at 100 MHz = %d", got)
	}
}

func TestWide32Sequence(t *testing.T) {
	var w Wide32
	vals := []uint32{10, 0x7ffffff0, 0x80000001, 0xfffffff0, 5, 100, 0x80000000, 3}
	want := []uint64{10, 0x7ffffff0, 0x80000001, 0xfffffff0, 1<<32 + 5, 1<<32 + 100, 1<<32 + 0x80000000, 2<<32 + 3}
	for i, v := range vals {
		if got := w.Read(func() uint32 { return v }); got != want[i] {
			t.Fatalf("step %d: %#x, want %#x", i, got, want[i])
		}
	}
}

// A counter that already ran past half its period when first read.
func TestWide32StartsLate(t *testing.T) {
	var w Wide32
	if got := w.Read(func() uint32 { return 0xc0000000 }); got != 0xc0000000 {
		t.Fatalf("%#x", got)
	}
	if got := w.Read(func() uint32 { return 1 }); got != 1<<32+1 {
		t.Fatalf("after the wrap: %#x", got)
	}
}

// Several readers of one shared counter, their reads racing with each
// other's advances of the state. The counter moves in rounds, each less
// than half a period in all, as it does between two keepalive reads in the
// kernel; every reader sees the true 64-bit value, never going back.
func TestWide32Concurrent(t *testing.T) {
	var w Wide32
	var counter atomic.Uint64 // the "hardware": 64 bits, of which 32 are visible
	const readers = 4
	const rounds = 20000
	// Each call of read moves the counter by stride: a Read may call it
	// twice (a reading in the next half is confirmed by the next one),
	// and two readings agree when they are at most MaxLag apart.
	const stride = 1<<22 + 7
	var wg sync.WaitGroup
	start := make([]chan struct{}, readers)
	errs := make(chan string, readers*rounds)
	last := make([]uint64, readers)
	for r := range start {
		start[r] = make(chan struct{})
		go func(r int) {
			for range start[r] {
				var truth uint64
				got := w.Read(func() uint32 {
					truth = counter.Add(stride)
					return uint32(truth)
				})
				if got != truth || got < last[r] {
					errs <- fmt.Sprintf("reader %d: read %#x, counter %#x, previous %#x", r, got, truth, last[r])
				}
				last[r] = got
				wg.Done()
			}
		}(r)
	}
	for i := 0; i < rounds; i++ {
		wg.Add(readers)
		for r := range start {
			start[r] <- struct{}{}
		}
		wg.Wait()
	}
	for r := range start {
		close(start[r])
	}
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	if h := counter.Load() >> 32; h < 50 {
		t.Fatalf("only %d wraps exercised", h)
	}
}

func TestUnixFromCivil(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 11, 26, 6, 37, 42, 0, time.UTC),
		time.Date(2100, 3, 1, 12, 0, 0, 0, time.UTC),
		time.Date(1999, 12, 31, 1, 2, 3, 0, time.UTC),
	} {
		got := UnixFromCivil(tm.Year(), int(tm.Month()), tm.Day(), tm.Hour(), tm.Minute(), tm.Second())
		if got != tm.Unix() {
			t.Fatalf("%v: %d, want %d", tm, got, tm.Unix())
		}
	}
}

func TestClock(t *testing.T) {
	c := uint64(1000)
	Init(func() uint64 { return c }, 1000, 5e9)
	c += 1500
	if Now() != 1.5e9 {
		t.Fatalf("Now = %d", Now())
	}
	if Wall() != 6.5e9 {
		t.Fatalf("Wall = %d", Wall())
	}
}

// The boot's switch to the shared counter: early boot reads the counter
// once (now), back-dates the origin by the time since entry measured in
// CP0 Count ticks (since), and from then on the clock is the widened
// counter minus that origin. Started at every point around the counter's
// half and full wraps, and with the back-dating reaching across them, the
// clock must read exactly the time elapsed since entry, through several
// wraps, read by several "cores" at once.
func TestWide32BootSwitch(t *testing.T) {
	points := []uint32{0, 1, 1 << 20, 1<<31 - 1, 1 << 31, 1<<31 + 1, 0xffffffff, 0xfffffff0, 0x7ffffff0}
	for _, start := range points {
		for _, since := range []uint64{0, 1, 1 << 24, 1 << 31, uint64(start) + 5} {
			var w Wide32
			hw := uint64(start) // the hardware counter, its low 32 bits visible
			read := func() uint32 { return uint32(hw) }
			now := w.Read(read)
			base := now - since
			elapsed := func() uint64 { return hw - uint64(start) + since }
			for step := 0; step < 40; step++ {
				hw += 1<<28 + uint64(step)*4099 // under MaxStep, several per wrap
				for core := 0; core < 3; core++ {
					if got := w.Read(read) - base; got != elapsed() {
						t.Fatalf("start %#x since %#x step %d: clock %#x, want %#x", start, since, step, got, elapsed())
					}
				}
			}
		}
	}
}

// One wrong reading of the counter (all ones, zero, or anything in the
// wrong half) at any point of its period must not move the clock for good:
// the next true reading is exact. A wrong reading that crosses into the
// other half, or lies more than MaxStep ahead (MaxLag behind), is never
// returned. Before the
// check, a single all-ones reading in the first half put the clock 2^32
// ticks (43 s at 100 MHz) ahead for good.
func TestWide32WrongReading(t *testing.T) {
	for _, bad := range []uint32{0xffffffff, 0x80000000, 0x7fffffff, 0, 0x12345678} {
		for start := uint64(0); start < 1<<32-1<<20; start += 1<<24 + 12345 {
			var w Wide32
			hw := start
			w.Read(func() uint32 { return uint32(hw) })
			last := uint32(hw)
			hw += 1 << 20
			once := true
			got := w.Read(func() uint32 {
				if once {
					once = false
					return bad
				}
				return uint32(hw)
			})
			sameHalf := bad>>31 == uint32(hw)>>31
			if got != hw && !(sameHalf && plausible(bad, last) && got == hw&^0xffffffff|uint64(bad)) {
				t.Fatalf("bad reading %#x at counter %#x: clock %#x", bad, hw, got)
			}
			for i := 0; i < 3; i++ {
				hw += 1 << 27
				if got := w.Read(func() uint32 { return uint32(hw) }); got != hw {
					t.Fatalf("bad reading %#x at counter %#x: later %#x, want %#x", bad, hw, got, hw)
				}
			}
		}
	}
}

// A real leap (the machine stopped for longer than MaxStep) is believed
// once it reads the same way Confirm times.
func TestWide32RealLeap(t *testing.T) {
	var w Wide32
	hw := uint64(100)
	read := func() uint32 { return uint32(hw) }
	w.Read(read)
	hw += 1 << 30 // 10.7 s at 100 MHz, past MaxStep but under half a period
	if got := w.Read(read); got != hw {
		t.Fatalf("after a leap of 2^30: %#x, want %#x", got, hw)
	}
}
