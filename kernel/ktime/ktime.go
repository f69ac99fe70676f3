// Package ktime is the kernel's clock: nanoseconds since boot from a hardware
// counter, and wall time from the real-time clock read at boot.
//
// Trap-safe. Now reads the counter the board chose at boot: the GIC's shared
// counter when the machine has a CPS (one clock for every core; QEMU's is 32
// bits wide and wraps every 43 s, so it is widened with Wide32), else the
// CP0 Count widened the same way (a machine without a CPS has one core).
package ktime

import "sync/atomic"

// Scale converts counter ticks at a fixed frequency to and from nanoseconds.
type Scale struct {
	Hz uint64
}

// NS converts ticks to nanoseconds without overflow for any 64-bit count
// below 2^64/1e9 seconds' worth.
func (s Scale) NS(ticks uint64) int64 {
	q := ticks / s.Hz
	r := ticks % s.Hz
	return int64(q*1e9 + r*1e9/s.Hz)
}

// Ticks converts a non-negative duration to ticks, rounding up so that a
// timer never fires early.
func (s Scale) Ticks(ns int64) uint64 {
	if ns <= 0 {
		return 0
	}
	n := uint64(ns)
	q := n / 1e9
	r := n % 1e9
	return q*s.Hz + (r*s.Hz+1e9-1)/1e9
}

var (
	read     func() uint64
	scale    Scale
	base     uint64
	wallBase int64
)

// Init makes counter (ticking at hz) the clock; time 0 is now. wallNow is the
// wall-clock time at this instant in nanoseconds since 1970.
func Init(counter func() uint64, hz uint64, wallNow int64) {
	read = counter
	scale = Scale{Hz: hz}
	base = counter()
	wallBase = wallNow
}

// Rebase moves the clock's origin to counter value b (for instance the
// instant the kernel was entered, known only as a past counter value).
func Rebase(b uint64) { base = b }

// Ready reports whether Init ran.
func Ready() bool { return read != nil }

// Now returns nanoseconds since Init.
func Now() int64 {
	if read == nil {
		return 0
	}
	return scale.NS(read() - base)
}

// Wall returns the wall-clock time in nanoseconds since 1970.
func Wall() int64 { return wallBase + Now() }

// SetWall sets the wall clock to ns since 1970 (settimeofday).
func SetWall(ns int64) { wallBase = ns - Now() }

// Hz is the frequency of the clock's counter.
func Hz() uint64 { return scale.Hz }

// Counter returns the raw counter value.
func Counter() uint64 {
	if read == nil {
		return 0
	}
	return read()
}

// Wide32 widens a free-running 32-bit counter to 64 bits for any number
// of cores reading it at once, with 32-bit atomics only (64-bit atomics
// take a lock on MIPS32, which trap context cannot). It counts half
// periods: halves is how many times the counter's top bit was seen to
// change. A reader whose value's top bit differs from the parity of halves
// knows the counter entered the next half and advances halves by one CAS;
// losing the CAS means another reader advanced it already.
//
// The counter must be read at least once per half period (2^31 ticks: 21 s
// at 100 MHz); the kernel's keepalive timer reads the clock every second on
// every core. For the result to be monotonic across cores, they must all
// read the same counter (the GIC's, not each core's own CP0 Count).
//
// One wrong reading would cost a whole period: a value with the top bit
// set read in the first half (an MMIO read that returned all ones, say)
// advances halves, and the next true reading advances it again, 2^32
// ticks ahead of the truth (43 s at 100 MHz). So a reading that would
// advance halves is believed only when the next reading agrees with it
// (at most MaxLag after it), and a reading more than MaxStep ahead of the
// last one accepted, or more than MaxLag behind it, is read again. After
// Confirm tries the reading is believed: the counter did leap (the host
// stopped the machine for that long). A wrong reading in the right half
// and less than MaxStep ahead can still be returned once; it moves the
// state nowhere, so the next reading is right.
type Wide32 struct {
	halves uint32
	last   uint32 // low 32 bits of a recent accepted reading (within 2^20 ticks)
	primed uint32 // last holds a reading
}

const (
	// MaxStep is the furthest ahead of the last accepted reading a new
	// one is taken at once: 2^28 ticks (2.7 s at 100 MHz), well above
	// the keepalive's period of 1 s.
	MaxStep = 1 << 28
	// MaxLag is how far behind the last accepted reading a new one may
	// be (another core read the counter after this one and stored its
	// reading first), and how far apart two readings may be to agree.
	MaxLag = 1 << 24
	// Confirm is how many tries a reading gets to look plausible.
	Confirm = 16
)

// Read returns the 64-bit value of the counter read reads. The state is
// loaded before the counter is read, so the counter is never behind it.
func (w *Wide32) Read(read func() uint32) uint64 {
	h := atomic.LoadUint32(&w.halves)
	lo := read()
	if atomic.LoadUint32(&w.primed) != 0 {
		for i := 0; i < Confirm; i++ {
			if !plausible(lo, atomic.LoadUint32(&w.last)) {
				h = atomic.LoadUint32(&w.halves)
				lo = read()
				continue
			}
			if lo>>31 == h&1 {
				break
			}
			// A reading in the next half moves the state: believe it
			// only if the next reading agrees.
			next := read()
			if next-lo <= MaxLag {
				lo = next
				break
			}
			h = atomic.LoadUint32(&w.halves)
			lo = read()
		}
	}
	if lo>>31 != h&1 {
		atomic.CompareAndSwapUint32(&w.halves, h, h+1)
		h++
	}
	// Record the reading only when it moved on by 2^20 ticks (10 ms at
	// 100 MHz): a shared word written on every read would cost every
	// core's clock reads (and system calls) a cache line.
	if atomic.LoadUint32(&w.primed) == 0 {
		atomic.StoreUint32(&w.last, lo)
		atomic.StoreUint32(&w.primed, 1)
	} else if d := lo - atomic.LoadUint32(&w.last); d > 1<<20 && d < uint32(1<<32-MaxLag) {
		atomic.StoreUint32(&w.last, lo)
	}
	return uint64(h>>1)<<32 | uint64(lo)
}

// plausible reports whether reading lo may follow the accepted reading
// last: at most MaxStep ahead of it or MaxLag behind it.
func plausible(lo, last uint32) bool {
	d := lo - last
	return d <= MaxStep || d >= uint32(1<<32-MaxLag)
}

// UnixFromCivil converts a UTC calendar date and time to seconds since
// 1970-01-01 (proleptic Gregorian calendar), as read from the RTC.
func UnixFromCivil(year, month, day, hour, min, sec int) int64 {
	// Days from civil, shifting the year to start in March so that the
	// leap day is the last day of the year.
	y := year
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	m := month
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	doy := (153*m+2)/5 + day - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := int64(era)*146097 + int64(doe) - 719468
	return days*86400 + int64(hour)*3600 + int64(min)*60 + int64(sec)
}
