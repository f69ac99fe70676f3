package kapi

import (
	"syscall"
	"time"
	"unsafe"
)

func call(n uintptr, a ...uintptr) (uintptr, syscall.Errno) {
	var args [3]uintptr
	copy(args[:], a)
	r, _, e := syscall.Syscall(n, args[0], args[1], args[2])
	return r, e
}

// callPtr is call for a request whose first argument is memory the kernel
// fills. The pointer stays a pointer up to the system call itself: made an
// integer earlier, the compiler would neither keep the memory where it is
// (a stack moves when it grows) nor assume the call writes it.
func callPtr(n uintptr, p unsafe.Pointer, a ...uintptr) (uintptr, syscall.Errno) {
	var args [2]uintptr
	copy(args[:], a)
	r, _, e := syscall.Syscall(n, uintptr(p), args[0], args[1])
	return r, e
}

// PowerOff ends the machine with status. It does not return.
func PowerOff(status int) {
	call(CallPowerOff, uintptr(status))
	select {}
}

// ReadMemStats fills m.
func ReadMemStats(m *MemStats) error {
	if _, e := callPtr(CallMemStats, unsafe.Pointer(m)); e != 0 {
		return e
	}
	return nil
}

// ReadSysStats fills s.
func ReadSysStats(s *SysStats) error {
	if _, e := callPtr(CallSysStats, unsafe.Pointer(s)); e != 0 {
		return e
	}
	return nil
}

// CPUs returns every core's record.
func CPUs() ([]CPUInfo, error) {
	buf := make([]CPUInfo, 16)
	n, e := callPtr(CallCPUs, unsafe.Pointer(&buf[0]), uintptr(len(buf)))
	if e != 0 {
		return nil, e
	}
	return buf[:n], nil
}

// Threads returns every live thread's record.
func Threads() ([]ThreadInfo, error) {
	buf := make([]ThreadInfo, 1024)
	n, e := callPtr(CallThreads, unsafe.Pointer(&buf[0]), uintptr(len(buf)))
	if e != 0 {
		return nil, e
	}
	return buf[:n], nil
}

// Log returns the most recent console output kept by the kernel.
func Log() []byte {
	buf := make([]byte, 16<<10)
	n, e := callPtr(CallLog, unsafe.Pointer(&buf[0]), uintptr(len(buf)))
	if e != 0 {
		return nil
	}
	return buf[:n]
}

// Fault makes the kernel fault on purpose (for tests of the fault report).
func Fault(kind int) error {
	_, e := call(CallFault, uintptr(kind))
	return e
}

// ReadClock reads the kernel's hardware clock.
func ReadClock() (Clock, error) {
	var c Clock
	if _, e := callPtr(CallClock, unsafe.Pointer(&c)); e != 0 {
		return c, e
	}
	return c, nil
}

// CheckVM asks the kernel to cross-check its mapping state against the page
// allocator and the thread descriptors; it returns the inconsistencies found
// (each is logged on the console).
func CheckVM() int {
	n, _ := call(CallCheckVM)
	return int(n)
}

// Where returns the core the calling thread runs on (it may move right after).
func Where() int {
	n, _, _ := syscall.RawSyscall(CallWhere, 0, 0, 0)
	return int(n)
}

// IPIPing sends rounds IPIs from the calling core to core and waits for each
// to be answered; it returns the total in ticks of the kernel's clock.
func IPIPing(core, rounds int) (uint64, error) {
	n, e := call(CallIPIPing, uintptr(core), uintptr(rounds))
	if e != 0 {
		return 0, e
	}
	return uint64(n), nil
}

// Clusters returns every cluster's record.
func Clusters() ([]ClusterInfo, error) {
	buf := make([]ClusterInfo, 16)
	n, e := callPtr(CallClusters, unsafe.Pointer(&buf[0]), uintptr(len(buf)))
	if e != 0 {
		return nil, e
	}
	return buf[:n], nil
}

// Tree returns the DQDT's nodes, leaves first.
func Tree() ([]TreeNode, error) {
	buf := make([]TreeNode, 64)
	n, e := callPtr(CallTree, unsafe.Pointer(&buf[0]), uintptr(len(buf)))
	if e != 0 {
		return nil, e
	}
	return buf[:n], nil
}

// AddrHome returns the cluster whose bank holds addr, or -1.
func AddrHome(addr uintptr) int {
	n, _ := call(CallAddrHome, addr)
	return int(int32(n))
}

// ReadLocality fills l.
func ReadLocality(l *Locality) error {
	if _, e := callPtr(CallLocality, unsafe.Pointer(l)); e != 0 {
		return e
	}
	return nil
}

// SetPlaceMode sets the placement of new threads and returns the previous mode.
func SetPlaceMode(mode int) int {
	n, _ := call(CallPlaceMode, uintptr(mode))
	return int(n)
}

// Watchdog arms the kernel's last-resort deadline for the named in-kernel
// test, d from now, or disarms it (d == 0). When it fires the kernel
// reports the test as failed, prints its threads, makes the Go runtime print
// every goroutine, and powers off with status 1: it is for a runtime that
// can no longer time the test out itself.
func Watchdog(d time.Duration, name string) error {
	b := []byte(name)
	if len(b) > 32 {
		b = b[:32]
	}
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if _, e := callPtr(CallWatchdog, p, uintptr(len(b)), uintptr(ms)); e != 0 {
		return e
	}
	return nil
}

// DumpThreads prints the kernel's threads on the console, each with what it
// waits for, and each core's queues (as the console's ^\ key does).
func DumpThreads() {
	call(CallDumpThreads)
}
