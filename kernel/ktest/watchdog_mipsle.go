package ktest

import (
	"io"
	"time"

	"almos/kernel/kapi"
)

func init() {
	armWatchdog = func(d time.Duration, name string) { kapi.Watchdog(d, name) }
	// The kernel prints on the console itself: w is the console here.
	dumpKernel = func(io.Writer) { kapi.DumpThreads() }
}
