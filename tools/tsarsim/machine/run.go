package machine

import (
	"fmt"
	"time"

	"almos/tools/tsarsim/xicu"
)

// RunResult says how a run ended.
type RunResult struct {
	Status  int
	Reason  string
	Cycles  uint64 // global time at the end
	Elapsed time.Duration
}

// Run runs the machine until it halts, or maxCycles of global time pass
// (0: no limit). Progress, when set, is called about every progressEvery
// of host time.
func (m *Machine) Run(maxCycles uint64, progressEvery time.Duration, progress func(*Machine, time.Duration)) RunResult {
	start := time.Now()
	lastProgress := start
	q := m.Cfg.Quantum
	sys := m.Sys
	for !sys.Halted {
		if maxCycles != 0 && m.Now >= maxCycles {
			sys.Halt(124, fmt.Sprintf("cycle limit %d reached", maxCycles))
			break
		}
		t := m.Now + q
		for _, c := range m.Cores {
			c.Run(t)
			if sys.Halted {
				break
			}
		}
		m.Now = t
		if m.Input != nil {
			select {
			case b, ok := <-m.Input:
				if ok {
					m.TTY.Input(0, b)
				} else {
					m.Input = nil
				}
			default:
			}
		}
		if progress != nil && m.Now&0xffff < q {
			if now := time.Now(); now.Sub(lastProgress) >= progressEvery {
				lastProgress = now
				progress(m, now.Sub(start))
			}
		}
		if m.allWaiting() {
			next := m.nextEvent()
			if next == xicu.Never {
				if m.Input != nil {
					// Only the terminal can wake the machine.
					if b, ok := <-m.Input; ok {
						m.TTY.Input(0, b)
					} else {
						m.Input = nil
					}
					continue
				}
				sys.Halt(125, "every core is waiting and no interrupt can come")
				break
			}
			if next > m.Now+q {
				m.Now = next - next%q
			}
		}
	}
	return RunResult{Status: sys.ExitStatus, Reason: sys.HaltReason, Cycles: m.Now, Elapsed: time.Since(start)}
}

func (m *Machine) allWaiting() bool {
	for _, c := range m.Cores {
		if !c.Idle() {
			return false
		}
	}
	return true
}

func (m *Machine) nextEvent() uint64 {
	n := uint64(xicu.Never)
	for _, c := range m.Cores {
		n = min(n, c.NextEvent())
	}
	return n
}

// Instructions returns the total instruction count.
func (m *Machine) Instructions() uint64 {
	var n uint64
	for _, c := range m.Cores {
		n += c.Cnt.Instr
	}
	return n
}
