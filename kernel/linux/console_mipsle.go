package linux

import (
	"almos/kernel/cpu"
)

// The console's input: bytes polled from the UART into a ring that read(0)
// drains. Polling happens at timer ticks while a reader waits (the tick
// interval then drops to ConsolePollNS).

// ConsoleGetc reads a received byte from the console device, if any. Set at
// boot.
var ConsoleGetc func() (byte, bool)

// ConsolePollNS is the polling interval while someone waits for input.
var ConsolePollNS int64 = 10e6

var (
	inRing         [1024]byte
	inHead, inTail uint32 // read at head, write at tail
	consoleWaiters int
)

func consoleAvailable() bool { return inHead != inTail }

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
	fdLock.Acquire(c.ID)
	got := false
	for inTail-inHead < uint32(len(inRing)) {
		b, ok := ConsoleGetc()
		if !ok {
			break
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
	if waiting {
		return ConsolePollNS
	}
	return 0
}
