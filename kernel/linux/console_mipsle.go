package linux

import (
	"almos/kernel/cpu"
	"almos/kernel/klog"
	"almos/kernel/ktime"
	"almos/kernel/thread"
	"almos/sched"
)

// The console's input: bytes polled from the UART into a ring that read(0)
// drains. Polling happens at timer ticks while a reader waits (the tick
// interval then drops to ConsolePollNS).

// ConsoleGetc reads a received byte from the console device, if any. Set at
// boot.
var ConsoleGetc func() (byte, bool)

// dumpKey (^\, FS) on the console dumps the kernel's threads.
const dumpKey = 0x1c

// ConsolePollNS is the polling interval while someone waits for input.
var ConsolePollNS int64 = 10e6

var (
	inRing         [1024]byte
	inHead, inTail uint32 // read at head, write at tail
	consoleWaiters int
)

func consoleAvailable() bool { return inHead != inTail }

// ConsoleTypeAhead queues bytes received before the console existed.
func ConsoleTypeAhead(b []byte) {
	for _, c := range b {
		if c != dumpKey && inTail-inHead < uint32(len(inRing)) {
			inRing[inTail%uint32(len(inRing))] = c
			inTail++
		}
	}
}

// consoleRead copies buffered input to p. fdLock is held.
func consoleRead(p []byte) int {
	n := 0
	for n < len(p) && inHead != inTail {
		p[n] = inRing[inHead%uint32(len(inRing))]
		inHead++
		n++
	}
	return n
}

// ConsoleTick polls the console device (the cpu.OnTick hook on core 0) and
// returns the polling interval it wants.
func ConsoleTick(c *cpu.CPU, now int64) int64 {
	if c.ID != 0 || ConsoleGetc == nil {
		return 0
	}
	// Poll at every tick (at least once a second): the dump key must work
	// even when nobody reads.
	fdLock.Acquire(c.ID)
	got := false
	dump := false
	for inTail-inHead < uint32(len(inRing)) {
		b, ok := ConsoleGetc()
		if !ok {
			break
		}
		if b == dumpKey {
			// ^\ never reaches readers: it asks for a dump of the
			// kernel's threads, even when every thread is blocked.
			dump = true
			continue
		}
		inRing[inTail%uint32(len(inRing))] = b
		inTail++
		got = true
	}
	if got {
		wakeFile(c, 0, &files[0])
		consoleWaiters = 0
	}
	waiting := files[0].q.Len() > 0
	fdLock.Release()
	if dump {
		DumpThreads(c)
	}
	if waiting {
		return ConsolePollNS
	}
	return 0
}

// DumpThreads prints every thread with its state and what it waits for, and
// each core's queues: the view needed when the machine seems stuck. The dump
// is one block on the console: no other core's output comes between its
// lines.
func DumpThreads(c *cpu.CPU) {
	var l klog.Line
	// The console is held from inside the thread table's lock, the order
	// in which code that prints while walking the table takes the two.
	held := false
	begin := func() {
		klog.Begin()
		held = true
		l.S("--- kernel threads (^\\ dump) at ").Ms(ktime.Now()).Print()
		for i := 0; i < cpu.Possible; i++ {
			cc := &cpu.CPUs[i]
			if !cc.Online.Load() {
				continue
			}
			l.S("core ").U(uint64(i)).S(": current ").D(int64(cc.Current().TID)).S(", ready ").U(uint64(cc.Sched.Ready())).
				S(", timers ").U(uint64(cc.Sched.Timers())).S(", next event ").Ms(cc.Sched.NextEvent()).Print()
		}
	}
	thread.Each(c.ID, func(t *thread.Thread) {
		if !held {
			begin()
		}
		e := &t.Sched
		l.S("  tid ").D(int64(t.TID)).Pad(12).S(t.NameString()).Pad(22).S(e.State.String()).Pad(31).S("core ").U(uint64(e.Core)).
			S(" ").S(e.Policy.String()).S(" last ").S(SysName(t.LastSyscall)).S(" epc ").X(t.Frame.EPC)
		if e.State == sched.Blocked {
			l.S(" on ").S(waitName(e.WaitQ)).S(" key ").X(uint32(e.WaitKey))
			if d := cpu.CPUs[e.Core%uint32(len(cpu.CPUs))].Sched.Deadline(t.Entity()); d != 0 {
				l.S(" until ").Ms(d)
			}
			if e.Waiting() {
				l.S(" (waiting)")
			}
		}
		l.Print()
	})
	if !held {
		begin()
	}
	l.S("--- end of dump").Print()
	klog.End()
}

// waitName names the wait queue at address q.
func waitName(q uintptr) string {
	if q == 0 {
		return "nothing (sleep)"
	}
	for i := range futexBuckets {
		if uintptrOfQueue(&futexBuckets[i]) == q {
			return "futex"
		}
	}
	for i := range files {
		if uintptrOfQueue(&files[i].q) == q {
			switch files[i].kind {
			case kindEpoll:
				return "epoll"
			case kindEventfd:
				return "eventfd"
			case kindConsole:
				return "console input"
			}
			return "file"
		}
	}
	return "?"
}
