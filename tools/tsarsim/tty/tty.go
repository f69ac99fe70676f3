// Package tty models TSAR's multi-channel TTY (SoCLib vci_multi_tty):
// four word registers per channel, channel n at byte offset 16*n.
//
//	+0  WRITE   write: the low byte is sent to the terminal
//	+4  STATUS  bit 0: a received byte is waiting; bit 1: transmitter busy (never)
//	+8  READ    read: the received byte (clears bit 0)
//	+12 CONFIG  reads 0, writes ignored
//
// Received bytes raise the channel's interrupt line (an XICU HWI input of
// the I/O cluster) while any is waiting.
package tty

import (
	"io"

	"almos/tools/tsarsim/cpu"
)

// TTY is the device.
type TTY struct {
	Out  []io.Writer           // one per channel
	rx   [][]byte              // pending input per channel
	IRQ  func(ch int, on bool) // interrupt line of a channel
	sent int
}

// New makes a TTY with n channels writing to out (channel 0) and
// discarding the others unless set.
func New(n int, out io.Writer) *TTY {
	t := &TTY{Out: make([]io.Writer, n), rx: make([][]byte, n)}
	for i := range t.Out {
		t.Out[i] = io.Discard
	}
	t.Out[0] = out
	return t
}

// Input queues received bytes on a channel.
func (t *TTY) Input(ch int, b []byte) {
	t.rx[ch] = append(t.rx[ch], b...)
	if t.IRQ != nil && len(t.rx[ch]) > 0 {
		t.IRQ(ch, true)
	}
}

// Sent counts the bytes written by the machine.
func (t *TTY) Sent() int { return t.sent }

func (t *TTY) Read(c *cpu.Core, off uint32, size int) uint32 {
	ch := int(off >> 4)
	if ch >= len(t.Out) {
		return 0
	}
	switch off & 15 {
	case 4:
		if len(t.rx[ch]) > 0 {
			return 1
		}
	case 8:
		if len(t.rx[ch]) > 0 {
			b := t.rx[ch][0]
			t.rx[ch] = t.rx[ch][1:]
			if len(t.rx[ch]) == 0 && t.IRQ != nil {
				t.IRQ(ch, false)
			}
			return uint32(b)
		}
	}
	return 0
}

func (t *TTY) Write(c *cpu.Core, off uint32, size int, v uint32) {
	ch := int(off >> 4)
	if ch < len(t.Out) && off&15 == 0 {
		t.Out[ch].Write([]byte{byte(v)})
		t.sent++
	}
}
