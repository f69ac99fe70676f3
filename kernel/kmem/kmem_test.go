package kmem

import "testing"

func TestValid(t *testing.T) {
	Image = Range{0x80100000, 0x80500000}
	Window = Range{0x40000000, 0x44000000}
	cases := []struct {
		p, n uintptr
		ok   bool
	}{
		{0x80100000, 4, true},
		{0x804ffffc, 4, true},
		{0x804ffffd, 4, false},
		{0x40000000, 0x4000000, true},
		{0x40000000, 0x4000001, false},
		{0, 4, false},
		{0x3ffffffc, 8, false},
		{0xfffffffc, 8, false},
		{0x40001000, 0, true},
		{0, 0, false},
	}
	for _, c := range cases {
		if got := Valid(c.p, c.n); got != c.ok {
			t.Errorf("Valid(%#x, %#x) = %v", c.p, c.n, got)
		}
	}
	if ValidAligned(0x40000002, 4, 4) {
		t.Error("misaligned accepted")
	}
}
