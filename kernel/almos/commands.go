//go:build mipsle

package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"almos/boot"
	"almos/kernel/kapi"
	"almos/kernel/ktest"
	"almos/kernel/shell"
)

func commands() []*shell.Command {
	return []*shell.Command{
		{Name: "mem", Help: "physical pages free and used, and the Go heap", Run: cmdMem},
		{Name: "cpus", Help: "the cores: state, current thread, traps, switches, idle time", Run: cmdCPUs},
		{Name: "threads", Help: "the kernel threads", Run: cmdThreads},
		{Name: "uptime", Help: "time since the kernel was entered, and the wall clock", Run: cmdUptime},
		{Name: "test", Args: "[NAME...]", Help: "run in-kernel tests (all but the manual ones by default; list: test -l)", Run: cmdTest},
		{Name: "log", Help: "the console output the kernel kept (boot log)", Run: cmdLog},
		{Name: "version", Help: "kernel version, board, command line", Run: cmdVersion},
		{Name: "stats", Help: "system call, futex, signal and thread counters", Run: cmdStats},
		{Name: "gc", Help: "run the Go collector now and show the heap", Run: cmdGC},
		{Name: "clusters", Help: "the mesh: each cluster's cores, their load, its bank and free memory", Run: cmdClusters},
		{Name: "dqdt", Help: "the DQDT: every node's indicators, root first", Run: cmdDQDT},
		{Name: "poweroff", Args: "[STATUS]", Help: "power the machine off (exit status for QEMU with -semihosting)", Quits: true, Run: cmdPoweroff},
	}
}

func cmdMem(s *shell.Shell, _ []string) error {
	var m kapi.MemStats
	if err := kapi.ReadMemStats(&m); err != nil {
		return err
	}
	kib := func(pages uint64) uint64 { return pages * m.PageSize >> 10 }
	fmt.Fprintf(s.Out, "physical memory: %d MiB RAM, %d pages of %d KiB managed\n", m.RAMBytes>>20, m.TotalPages, m.PageSize>>10)
	fmt.Fprintf(s.Out, "  free          %8d pages %9d KiB\n", m.FreePages, kib(m.FreePages))
	used := m.TotalPages - m.FreePages - m.Limbo
	fmt.Fprintf(s.Out, "  used          %8d pages %9d KiB\n", used, kib(used))
	fmt.Fprintf(s.Out, "  given back   %8d pages %9d KiB (waiting for every core's TLB flush)\n", m.Limbo, kib(m.Limbo))
	fmt.Fprintf(s.Out, "    resident    %8d pages %9d KiB (frames of the Go runtime's mappings)\n", m.Resident, kib(m.Resident))
	fmt.Fprintf(s.Out, "    kernel      %8d pages %9d KiB (image, allocator, page table, descriptors)\n", m.KernelPages, kib(m.KernelPages))
	fmt.Fprintf(s.Out, "  paged space: %d MiB, %d MiB mapped, %d MiB reserved (PROT_NONE), %d page faults, %d frames given back, %d TLB flushes\n",
		m.SpacePages*m.PageSize>>20, m.MappedRW*m.PageSize>>20, m.Reserved*m.PageSize>>20, m.PageFaults, m.Released, m.TLBFlushes)
	fmt.Fprintf(s.Out, "  free blocks by order:")
	for k, n := range m.FreeBlocks {
		fmt.Fprintf(s.Out, " %d:%d", k, n)
	}
	fmt.Fprintf(s.Out, "\n  mmap %d, munmap %d, failed %d, zeroed %d MiB\n", m.Maps, m.Unmaps, m.MapFailures, m.ZeroedBytes>>20)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(s.Out, "Go heap: in use %d KiB, from system %d KiB, idle %d KiB, released %d KiB\n",
		ms.HeapAlloc>>10, ms.HeapSys>>10, ms.HeapIdle>>10, ms.HeapReleased>>10)
	fmt.Fprintf(s.Out, "  objects %d, total allocated %d MiB, collections %d, stacks %d KiB, runtime total %d KiB\n",
		ms.HeapObjects, ms.TotalAlloc>>20, ms.NumGC, ms.StackSys>>10, ms.Sys>>10)
	return nil
}

func cmdCPUs(s *shell.Shell, _ []string) error {
	cpus, err := kapi.CPUs()
	if err != nil {
		return err
	}
	clk, _ := kapi.ReadClock()
	fmt.Fprintf(s.Out, "%s (%s, CP0 Count %d kHz)\n", count(len(cpus), "core"), boot.Boot.CPUModel, clk.CountHz/1000)
	fmt.Fprintf(s.Out, "%4s %-7s %6s %5s %10s %10s %9s %10s %8s %6s %10s\n", "core", "state", "thread", "ready", "traps", "syscalls", "irqs", "switches", "preempt", "idle", "bring-up")
	for _, c := range cpus {
		state := "offline"
		if c.Online == 1 {
			state = "online"
		}
		up := clk.NS - c.UpNS
		idle := 0.0
		if up > 0 {
			idle = 100 * float64(c.IdleNS) / float64(up)
		}
		fmt.Fprintf(s.Out, "%4d %-7s %6d %5d %10d %10d %9d %10d %8d %5.1f%% %8.3fms\n",
			c.ID, state, c.Current, c.Ready, c.Traps, c.Syscalls, c.Interrupts, c.Switches, c.Preemptions, idle, float64(c.BringUpNS)/1e6)
	}
	return nil
}

var stateNames = []string{"ready", "running", "blocked", "dead"}
var policyNames = []string{"rr", "fifo"}

func cmdThreads(s *shell.Shell, _ []string) error {
	ts, err := kapi.Threads()
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "%6s %4s %-8s %-5s %12s %9s %9s %10s  %s\n", "tid", "core", "state", "pol", "cpu time", "switches", "preempt", "syscalls", "name")
	for _, t := range ts {
		st, pol := "?", "?"
		if int(t.State) < len(stateNames) {
			st = stateNames[t.State]
		}
		if int(t.Policy) < len(policyNames) {
			pol = policyNames[t.Policy]
		}
		name := string(t.Name[:])
		for i, c := range t.Name {
			if c == 0 {
				name = string(t.Name[:i])
				break
			}
		}
		fmt.Fprintf(s.Out, "%6d %4d %-8s %-5s %12v %9d %9d %10d  %s\n", t.TID, t.Core, st, pol,
			time.Duration(t.RunNS).Round(time.Microsecond), t.Switches, t.Preempted, t.Syscalls, name)
	}
	return nil
}

func cmdUptime(s *shell.Shell, _ []string) error {
	clk, err := kapi.ReadClock()
	if err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "up %v since kernel entry (runtime main at %.3f ms); wall clock %s\n",
		time.Duration(clk.NS).Round(time.Millisecond), float64(boot.Boot.EntryToMain)/1e6, time.Now().UTC().Format(time.RFC3339))
	return nil
}

func cmdTest(s *shell.Shell, args []string) error {
	if len(args) == 1 && args[0] == "-l" {
		listTests()
		return nil
	}
	if len(args) == 0 {
		args = []string{"all"}
	}
	tests, unknown := ktest.Select(args)
	if len(unknown) > 0 {
		return fmt.Errorf("no such test: %v (test -l lists them)", unknown)
	}
	ktest.Run(s.Out, tests)
	return nil
}

func cmdLog(s *shell.Shell, _ []string) error {
	s.Out.Write(kapi.Log())
	return nil
}

func cmdVersion(s *shell.Shell, _ []string) error {
	b := &boot.Boot
	fmt.Fprintf(s.Out, "ALMOS %s, %s, board %s (%s), %s, %d MiB RAM\ncommand line: %q\n",
		boot.Version, runtime.Version(), b.Board, b.CPUModel, count(b.Cores, "core"), b.RAMBytes>>20, b.Cmdline)
	return nil
}

func cmdStats(s *shell.Shell, _ []string) error {
	var st kapi.SysStats
	if err := kapi.ReadSysStats(&st); err != nil {
		return err
	}
	fmt.Fprintf(s.Out, "system calls %d (errors %d, unserved %d)\n", st.Calls, st.Errors, st.NoSys)
	fmt.Fprintf(s.Out, "futex: waits %d, wakes %d, woken %d, timeouts %d\n", st.FutexWaits, st.FutexWakes, st.FutexWoken, st.FutexTimeouts)
	fmt.Fprintf(s.Out, "signals: sent %d, delivered %d; faults turned into signals %d\n", st.SignalsSent, st.SignalsDelivered, st.Faults)
	fmt.Fprintf(s.Out, "threads: created %d, exited %d\n", st.ThreadsCreated, st.ThreadsExited)
	return nil
}

// cmdGC collects and returns what the heap does not use to the page
// allocators (debug.FreeOSMemory: MADV_DONTNEED on every free span), then
// shows memory.
func cmdGC(s *shell.Shell, _ []string) error {
	t0 := time.Now()
	debug.FreeOSMemory()
	fmt.Fprintf(s.Out, "collection and release took %v\n", time.Since(t0))
	return cmdMem(s, nil)
}

// cmdPoweroff powers off with the status given (0 by default). A bad
// argument powers nothing off: the machine keeps running, so that a typo does
// not end the session with a status nobody asked for.
func cmdPoweroff(s *shell.Shell, args []string) error {
	status := 0
	if len(args) > 1 {
		return fmt.Errorf("poweroff: takes one argument at most (a status from 0 to 255), got %d", len(args))
	}
	if len(args) == 1 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > 255 || strings.Trim(args[0], "0123456789") != "" {
			return fmt.Errorf("poweroff: the status must be a number from 0 to 255, not %q", args[0])
		}
		status = n
	}
	fmt.Fprintf(s.Out, "powering off, status %d\n", status)
	powerOff(status)
	return nil
}

func cmdClusters(s *shell.Shell, _ []string) error {
	cs, err := kapi.Clusters()
	if err != nil {
		return err
	}
	var loc kapi.Locality
	kapi.ReadLocality(&loc)
	scale := float64(loc.LoadScale)
	fmt.Fprintf(s.Out, "%s\n", count(len(cs), "cluster"))
	fmt.Fprintf(s.Out, "%7s %6s %-8s %-22s %9s %9s %7s %-18s %7s %5s\n", "cluster", "(x,y)", "cores", "bank", "free MiB", "of MiB", "threads", "core loads", "spilled", "lent")
	for _, c := range cs {
		cores := fmt.Sprintf("%d-%d", c.FirstCore, c.FirstCore+c.NCores-1)
		if c.NCores == 1 {
			cores = fmt.Sprint(c.FirstCore)
		}
		loads := ""
		for k := 0; k < int(c.NCores) && k < len(c.CoreLoad); k++ {
			loads += fmt.Sprintf("%.1f ", float64(c.CoreLoad[k])/scale)
		}
		fmt.Fprintf(s.Out, "%7d %6s %-8s %#010x-%#010x %9d %9d %7d %-18s %7d %5d\n", c.ID, fmt.Sprintf("(%d,%d)", c.X, c.Y), cores,
			c.BankBase, c.BankBase+c.BankSize-1, c.FreePages*4>>10, c.TotalPages*4>>10, c.Threads, loads, c.Spilled, c.Lent)
	}
	fmt.Fprintf(s.Out, "placement: %s in the creator's cluster, %d elsewhere; %s spilled to another bank; %s by idle cores, %d answered, %d across clusters\n",
		count(int(loc.PlacedLocal), "thread"), loc.PlacedRemote, count(int(loc.Spills), "page run"), count(int(loc.Pulls), "pull"), loc.PullsAnswered, loc.PulledRemote)
	return nil
}

func cmdDQDT(s *shell.Shell, _ []string) error {
	nodes, err := kapi.Tree()
	if err != nil {
		return err
	}
	var loc kapi.Locality
	kapi.ReadLocality(&loc)
	scale := float64(loc.LoadScale)
	top := int32(0)
	for _, n := range nodes {
		if n.Level > top {
			top = n.Level
		}
	}
	for l := top; l >= 0; l-- {
		name := "level"
		if l == 0 {
			name = "clusters"
		} else if l == top {
			name = "root"
		}
		fmt.Fprintf(s.Out, "%s (%d):\n", name, l)
		for _, n := range nodes {
			if n.Level != l {
				continue
			}
			var free uint64
			for k, b := range n.Free {
				free += uint64(b) << uint(k)
			}
			fmt.Fprintf(s.Out, "%*s[%d,%d] %s %s: %s, load %.1f (cluster min %.1f max %.1f), free %d MiB, free blocks",
				2*int(top-l+1), "", n.I, n.J, count(int(n.Clusters), "cluster"), count(int(n.Cores), "core"), count(int(n.Threads), "thread"), float64(n.Load)/scale, float64(n.MinLoad)/scale, float64(n.MaxLoad)/scale, free*4>>10)
			for k, b := range n.Free {
				if b != 0 {
					fmt.Fprintf(s.Out, " %d:%d", k, b)
				}
			}
			fmt.Fprintln(s.Out)
		}
	}
	return nil
}

// count returns "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
