// Package klog is the kernel's console output for trap context and early
// boot: lines are formatted into a buffer on the caller's stack (no heap, no
// fmt) and written to the console device under a spinlock, so lines from
// different cores never interleave. Newlines become CR LF for serial
// terminals.
//
// Trap-safe. Thread-context kernel code prints through the write system call
// (os.Stdout) instead, which ends up here.
package klog

import (
	"sync/atomic"

	"almos/kernel/spin"
)

// Device is where bytes go: the console UART in the kernel, anything in tests.
var Device func(c byte)

// CPU returns the current core number, for lock diagnostics.
var CPU func() uint32

var (
	lock spin.Lock
	// emergency bypasses the lock: set when the kernel is dying and the
	// lock may be held by the code that failed.
	emergency bool
)

// Emergency makes all further output bypass the lock. The fatal-fault path
// calls it once it is the only code still printing.
func Emergency() { emergency = true }

// blockCore is 1 + the core that holds the lock for a block of lines
// (Begin), 0 when none does. Only that core skips the lock while it is set;
// every other core waits for End, so a block's lines come out together.
var blockCore atomic.Uint32

func acquire() {
	if emergency {
		return
	}
	c := cpu()
	if blockCore.Load() == c+1 {
		return
	}
	lock.Acquire(c)
}

func release() {
	if emergency {
		return
	}
	if blockCore.Load() == cpu()+1 {
		return
	}
	lock.Release()
}

// Begin makes the lines this core prints until End one block: the console
// lock is held throughout, so no other core's output (a thread's write
// included) lands between them. Only where the caller cannot be switched
// out (trap context or early boot), and without nesting.
func Begin() {
	if emergency {
		return
	}
	c := cpu()
	lock.Acquire(c)
	blockCore.Store(c + 1)
}

// End ends the block Begin started.
func End() {
	if emergency {
		return
	}
	blockCore.Store(0)
	lock.Release()
}

// history keeps the last bytes written, so the shell's log command can show
// the boot log again.
var (
	history    [16 << 10]byte
	historyPos uint32 // total bytes ever written
)

func cpu() uint32 {
	if CPU == nil {
		return 0
	}
	return CPU()
}

func put(c byte) {
	history[historyPos%uint32(len(history))] = c
	historyPos++
	if Device == nil {
		return
	}
	if c == '\n' {
		Device('\r')
	}
	Device(c)
}

// Write sends p to the console as one unit.
func Write(p []byte) {
	acquire()
	for _, c := range p {
		put(c)
	}
	release()
}

// Puts sends s to the console as one unit.
func Puts(s string) {
	acquire()
	for i := 0; i < len(s); i++ {
		put(s[i])
	}
	release()
}

// History copies the most recent console output into p and returns how many
// bytes it copied.
func History(p []byte) int {
	acquire()
	defer release()
	n := historyPos
	if n > uint32(len(history)) {
		n = uint32(len(history))
	}
	if int(n) > len(p) {
		n = uint32(len(p))
	}
	start := historyPos - n
	for i := uint32(0); i < n; i++ {
		p[i] = history[(start+i)%uint32(len(history))]
	}
	return int(n)
}

// Line accumulates one line of output.
type Line struct {
	n   int
	buf [240]byte
}

// S appends a string.
func (l *Line) S(s string) *Line {
	for i := 0; i < len(s) && l.n < len(l.buf); i++ {
		l.buf[l.n] = s[i]
		l.n++
	}
	return l
}

// B appends a byte slice.
func (l *Line) B(p []byte) *Line {
	for i := 0; i < len(p) && l.n < len(l.buf); i++ {
		l.buf[l.n] = p[i]
		l.n++
	}
	return l
}

// C appends one byte.
func (l *Line) C(c byte) *Line {
	if l.n < len(l.buf) {
		l.buf[l.n] = c
		l.n++
	}
	return l
}

const hexDigits = "0123456789abcdef"

// X appends v as 0x and eight hex digits.
func (l *Line) X(v uint32) *Line {
	l.S("0x")
	for s := 28; s >= 0; s -= 4 {
		l.C(hexDigits[(v>>uint(s))&0xf])
	}
	return l
}

// Xs appends v in hex without leading zeros, after 0x.
func (l *Line) Xs(v uint64) *Line {
	l.S("0x")
	started := false
	for s := 60; s >= 0; s -= 4 {
		d := (v >> uint(s)) & 0xf
		if d != 0 || started || s == 0 {
			started = true
			l.C(hexDigits[d])
		}
	}
	return l
}

// U appends v in decimal.
func (l *Line) U(v uint64) *Line {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return l.B(tmp[i:])
}

// D appends v in decimal.
func (l *Line) D(v int64) *Line {
	if v < 0 {
		l.C('-')
		return l.U(uint64(-v))
	}
	return l.U(uint64(v))
}

// Pad appends spaces until the line is at least col bytes long.
func (l *Line) Pad(col int) *Line {
	for l.n < col && l.n < len(l.buf) {
		l.buf[l.n] = ' '
		l.n++
	}
	return l
}

// Ms appends a duration in nanoseconds as milliseconds with three decimals.
func (l *Line) Ms(ns int64) *Line {
	if ns < 0 {
		l.C('-')
		ns = -ns
	}
	l.U(uint64(ns / 1e6))
	l.C('.')
	f := (ns / 1e3) % 1000
	l.C(byte('0' + f/100)).C(byte('0' + f/10%10)).C(byte('0' + f%10))
	return l.S(" ms")
}

// Bytes returns what was appended so far.
func (l *Line) Bytes() []byte { return l.buf[:l.n] }

// Print writes the line followed by a newline, which a full line keeps too.
func (l *Line) Print() {
	acquire()
	for _, c := range l.buf[:l.n] {
		put(c)
	}
	put('\n')
	release()
	l.n = 0
}

// Flush writes the line as it is (no newline added).
func (l *Line) Flush() {
	Write(l.buf[:l.n])
	l.n = 0
}
