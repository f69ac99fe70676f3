package ktime

import (
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

func TestExtender(t *testing.T) {
	var e Extender
	vals := []uint32{10, 0xfffffff0, 5, 100, 0x80000000, 3}
	want := []uint64{10, 0xfffffff0, 1<<32 + 5, 1<<32 + 100, 1<<32 + 0x80000000, 2<<32 + 3}
	for i, v := range vals {
		if got := e.Extend(v); got != want[i] {
			t.Fatalf("step %d: %#x, want %#x", i, got, want[i])
		}
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
