package tty

import (
	"bytes"
	"testing"
)

func TestTTY(t *testing.T) {
	var out bytes.Buffer
	tt := New(2, &out)
	var irq []bool
	tt.IRQ = func(ch int, on bool) { irq = append(irq, on) }
	for _, b := range []byte("hi") {
		tt.Write(nil, 0, 4, uint32(b))
	}
	tt.Write(nil, 16, 4, 'x') // channel 1 is discarded
	if out.String() != "hi" || tt.Sent() != 3 {
		t.Errorf("out %q sent %d", out.String(), tt.Sent())
	}
	if tt.Read(nil, 4, 4) != 0 {
		t.Errorf("status shows input before any")
	}
	tt.Input(0, []byte("ab"))
	if tt.Read(nil, 4, 4) != 1 || tt.Read(nil, 8, 4) != 'a' || tt.Read(nil, 8, 4) != 'b' || tt.Read(nil, 4, 4) != 0 {
		t.Errorf("input not read back in order")
	}
	if len(irq) != 2 || !irq[0] || irq[1] {
		t.Errorf("irq sequence %v", irq)
	}
}
