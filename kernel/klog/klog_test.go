package klog

import (
	"strings"
	"testing"
)

func TestFormatting(t *testing.T) {
	var out []byte
	Device = func(c byte) { out = append(out, c) }
	defer func() { Device = nil }()
	var l Line
	l.S("pc ").X(0x8010abcd).S(" n=").D(-42).S(" u=").U(0).S(" x=").Xs(0x1f).S(" t=").Ms(1234567).Pad(60).S("|").Print()
	want := "pc 0x8010abcd n=-42 u=0 x=0x1f t=1.234 ms"
	got := string(out)
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "|\r\n") || len(got) != 63 {
		t.Fatalf("got %q", got)
	}
	var h [100]byte
	n := History(h[:])
	if !strings.Contains(string(h[:n]), want) {
		t.Fatalf("history %q", h[:n])
	}
}

func TestLineNeverOverflows(t *testing.T) {
	var l Line
	for i := 0; i < 100; i++ {
		l.S("0123456789")
	}
	if len(l.Bytes()) != len(l.buf) {
		t.Fatalf("line length %d", len(l.Bytes()))
	}
}

func TestNoAllocation(t *testing.T) {
	Device = func(c byte) {}
	defer func() { Device = nil }()
	a := testing.AllocsPerRun(100, func() {
		var l Line
		l.S("x").X(1).D(2).U(3).Xs(4).Ms(5).Print()
	})
	if a != 0 {
		t.Fatalf("%v allocations", a)
	}
}

// A full line still ends with its newline.
func TestFullLineKeepsNewline(t *testing.T) {
	var out []byte
	Device = func(c byte) { out = append(out, c) }
	defer func() { Device = nil }()
	var l Line
	l.S(strings.Repeat("x", 500)).Print()
	if !strings.HasSuffix(string(out), "x\r\n") || len(out) != len(l.buf)+2 {
		t.Fatalf("full line printed as %d bytes ending %q", len(out), out[len(out)-4:])
	}
}

// Between Begin and End the console lock stays held, so no other core's
// output can come between the block's lines, and the block's own lines do
// not wait for it.
func TestBlock(t *testing.T) {
	var out []byte
	Device = func(c byte) { out = append(out, c) }
	defer func() { Device = nil }()
	Begin()
	var l Line
	l.S("one").Print()
	if !lock.Held() {
		t.Fatal("the lock was released inside a block")
	}
	Puts("two\n")
	Write([]byte("three\n"))
	if !lock.Held() {
		t.Fatal("the lock was released inside a block")
	}
	End()
	if lock.Held() {
		t.Fatal("the lock is held after End")
	}
	l.S("four").Print()
	if string(out) != "one\r\ntwo\r\nthree\r\nfour\r\n" {
		t.Fatalf("output %q", out)
	}
}
