package linux

import (
	"almos/kernel/cpu"
	"almos/kernel/klog"
	"almos/kernel/ktime"
	"almos/kernel/spin"
)

// Standard error reaches the console in bounded bursts.
//
// The Go runtime prints its fatal reports on standard error, and with
// GOTRACEBACK=crash (the kernel's default) and thousands of goroutines the
// report is megabytes: the console takes minutes over it, and a boot log
// that long is of no use. So standard error passes through a budget: bursts
// of errBurst bytes, refilled at errRefill a second (the runtime's steady
// output, gctrace for one, never runs out of it). Past the budget the
// console keeps only the last errTail bytes, and once standard error is
// quiet for errQuiet, or when the kernel reports a fatal error (the
// runtime's report ends with one), it says how much it dropped and prints
// what it kept: the report's head (the error and the goroutine that failed
// come first) and its tail.
const (
	errBurst  = 64 << 10
	errRefill = 8 << 10 // bytes a second
	errTail   = 16 << 10
	errQuiet  = 1e9 // ns
)

// errLimiter is standard error's budget and what it dropped.
type errLimiter struct {
	lock    spin.Lock
	budget  int64 // bytes that may pass
	last    int64 // ktime of the last write (and refill)
	started bool
	midLine bool // the last byte printed was not a newline
	// While dropping, everything goes to tail (a ring) until standard
	// error is quiet for errQuiet or the kernel dies.
	dropping bool
	dropped  uint64 // bytes not printed as they came
	lines    uint64 // newlines among them
	tail     [errTail]byte
	tailN    uint64 // bytes put in tail since dropping began
}

var stderr errLimiter

// writeStderr prints p, written to standard error, within the budget.
func writeStderr(c *cpu.CPU, p []byte) {
	s := &stderr
	s.lock.Acquire(c.ID)
	now := ktime.Now()
	if !s.started {
		s.started, s.budget = true, errBurst
	} else if now > s.last {
		s.budget += (now - s.last) * errRefill / 1e9
		if s.budget > errBurst {
			s.budget = errBurst
		}
	}
	s.last = now
	if !s.dropping {
		if int64(len(p)) <= s.budget {
			s.budget -= int64(len(p))
			s.print(p)
			s.lock.Release()
			return
		}
		// Print what the budget allows, up to a line's end when there is
		// one, and drop the rest.
		n := int(s.budget)
		for i := n - 1; i >= 0; i-- {
			if p[i] == '\n' {
				n = i + 1
				break
			}
		}
		s.print(p[:n])
		if s.midLine {
			// The runtime prints a line in pieces: end the one cut.
			klog.Puts("\n")
		}
		p = p[n:]
		s.budget = 0
		s.dropping = true
	}
	s.keep(p)
	s.lock.Release()
}

// print writes p to the console.
func (s *errLimiter) print(p []byte) {
	if len(p) > 0 {
		klog.Write(p)
		s.midLine = p[len(p)-1] != '\n'
	}
}

// keep puts p in the tail ring and counts it as dropped.
func (s *errLimiter) keep(p []byte) {
	for _, b := range p {
		s.tail[s.tailN%errTail] = b
		s.tailN++
		if b == '\n' {
			s.lines++
		}
	}
	s.dropped += uint64(len(p))
}

// flush says what was dropped and prints the tail kept. The lock is held.
func (s *errLimiter) flush() {
	if !s.dropping {
		return
	}
	// The ring's oldest bytes start mid-line once it wrapped: from the
	// first line end on.
	start, kept := uint64(0), s.tailN
	if s.tailN > errTail {
		start, kept = s.tailN-errTail, errTail
		for i := uint64(0); i < errTail; i++ {
			if s.tail[(start+i)%errTail] == '\n' {
				start += i + 1
				kept -= i + 1
				break
			}
		}
	}
	var l klog.Line
	l.S("\n[kernel: standard error went over its console budget (").U(errBurst >> 10).S(" KiB a burst): ").
		U(s.dropped).S(" bytes (").U(s.lines).S(" lines) held back; the last ").U(kept).S(" of them follow]").Print()
	for i := start; i < s.tailN; {
		// Write the ring in at most two runs.
		from := i % errTail
		to := uint64(errTail)
		if n := s.tailN - i; n < to-from {
			to = from + n
		}
		klog.Write(s.tail[from:to])
		i += to - from
	}
	l.S("[kernel: end of the dropped output]").Print()
	s.dropping, s.dropped, s.lines, s.tailN = false, 0, 0, 0
}

// stderrTick is part of the cores' periodic work: a burst over the budget
// is over once standard error has been quiet for errQuiet.
func stderrTick(c *cpu.CPU, now int64) {
	s := &stderr
	if !s.lock.TryAcquire(c.ID) {
		return
	}
	if s.dropping && now-s.last >= errQuiet {
		s.flush()
	}
	s.lock.Release()
}

// FlushStderr prints what standard error's budget held back: the kernel is
// about to report a fatal error, which the runtime's report, if any, came
// before. Other cores are stopped; one of them may hold the lock.
func FlushStderr() {
	s := &stderr
	got := s.lock.TryAcquire(0)
	s.flush()
	if got {
		s.lock.Release()
	}
}
