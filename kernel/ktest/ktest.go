// Package ktest is the kernel's own test suite, run inside the booted kernel
// (command line test=all or test=NAME,NAME, or the shell's test command).
// It prints in go test -v form (=== RUN, --- PASS/--- FAIL with durations,
// then PASS or FAIL) so that the same tools read host and kernel results.
//
// Tests run in thread context on the kernel's Go runtime: they may allocate,
// block and spawn goroutines like any Go code.
package ktest

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// T is a test's handle, in the manner of testing.T.
type T struct {
	name    string
	out     io.Writer
	mu      sync.Mutex
	failed  bool
	skipped bool
	logs    []string
	done    chan struct{}
}

// Name is the test's name.
func (t *T) Name() string { return t.name }

// Logf records a line shown under the test's result.
func (t *T) Logf(format string, args ...any) {
	t.mu.Lock()
	t.logs = append(t.logs, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

// Errorf records a failure and goes on.
func (t *T) Errorf(format string, args ...any) {
	t.Logf(format, args...)
	t.mu.Lock()
	t.failed = true
	t.mu.Unlock()
}

// Fatalf records a failure and ends the test (call it from the test's own
// goroutine).
func (t *T) Fatalf(format string, args ...any) {
	t.Errorf(format, args...)
	runtime.Goexit()
}

// Skipf records why the test cannot run under this machine's settings and
// ends it (call it from the test's own goroutine). A skipped test counts as
// passed, as with go test.
func (t *T) Skipf(format string, args ...any) {
	t.Logf(format, args...)
	t.mu.Lock()
	t.skipped = true
	t.mu.Unlock()
	runtime.Goexit()
}

// Skipped reports whether the test was skipped.
func (t *T) Skipped() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.skipped
}

// Failed reports whether the test failed.
func (t *T) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}

// Test is a registered test.
type Test struct {
	Name string
	Doc  string
	Fn   func(t *T)
	// Manual tests run only when named: they end the kernel on purpose, or
	// take long.
	Manual bool
	// Timeout replaces the suite's Timeout when set.
	Timeout time.Duration
}

var registry []Test

// Register adds a test to the suite.
func Register(name, doc string, fn func(t *T)) {
	registry = append(registry, Test{Name: name, Doc: doc, Fn: fn})
}

// RegisterManual adds a test run only when named explicitly.
func RegisterManual(name, doc string, fn func(t *T)) {
	registry = append(registry, Test{Name: name, Doc: doc, Fn: fn, Manual: true})
}

// All returns the registered tests, sorted by name.
func All() []Test {
	out := append([]Test(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Select resolves a list of names ("all" means every test that is not
// manual). Unknown names are returned separately.
func Select(names []string) (tests []Test, unknown []string) {
	seen := map[string]bool{}
	for _, n := range names {
		if n == "all" {
			for _, t := range All() {
				if !t.Manual && !seen[t.Name] {
					tests = append(tests, t)
					seen[t.Name] = true
				}
			}
			continue
		}
		found := false
		for _, t := range registry {
			if t.Name == n {
				found = true
				if !seen[n] {
					tests = append(tests, t)
					seen[n] = true
				}
			}
		}
		if !found {
			unknown = append(unknown, n)
		}
	}
	return tests, unknown
}

// Timeout bounds each test, as go test -timeout bounds a test binary: a test
// still running after it fails with every goroutine's stack and the kernel's
// threads, and the run goes on with the next test. Its goroutines are
// abandoned, not stopped (Go cannot stop them): blocked ones cost memory
// only, spinning ones slow the tests after it, which then still run under
// their own deadlines.
var Timeout = 120 * time.Second

// KernelGrace is how long after a test's Timeout the kernel's watchdog
// fires when the suite has not reported the test by then. The suite's own
// deadline is a Go timer, which needs a P: goroutines holding every P that
// the runtime cannot preempt (godebug=asyncpreemptoff=1 and a loop without a
// preemption point) starve it, and the goroutine dump's stop-the-world
// would wait on them for ever too. The kernel's periodic tick does not
// depend on the runtime: it reports the test as failed, prints its threads
// and makes the runtime print every goroutine (SIGQUIT), which ends the
// runtime; the machine powers off with status 1. That run cannot go on: the
// stuck goroutines keep the Ps that the next tests need.
var KernelGrace = 20 * time.Second

// dumpLimit bounds the goroutine dump of a timed-out test: with thousands
// of goroutines the whole dump would take the console minutes to print.
const dumpLimit = 128 << 10

// Hooks into the kernel, set on the target (nil on the host).
var (
	// armWatchdog arms the kernel's watchdog to fire d from now for the
	// named test, or disarms it (d == 0).
	armWatchdog func(d time.Duration, name string)
	// dumpKernel prints the kernel's threads, with what each waits for.
	dumpKernel func(w io.Writer)
	// prepare adjusts the runtime to the machine for a run and returns
	// what undoes it.
	prepare func() (undo func())
)

func arm(d time.Duration, name string) {
	if armWatchdog != nil {
		armWatchdog(d, name)
	}
}

// Run runs tests one after another, printing go test -v output to w, and
// reports whether all passed (skipped tests count as passed).
func Run(w io.Writer, tests []Test) bool {
	ok := true
	start := time.Now()
	if prepare != nil {
		defer prepare()()
	}
	for _, tc := range tests {
		fmt.Fprintf(w, "=== RUN   %s\n", tc.Name)
		t := &T{name: tc.Name, out: w, done: make(chan struct{})}
		limit := Timeout
		if tc.Timeout != 0 {
			limit = tc.Timeout
		}
		t0 := time.Now()
		arm(limit+KernelGrace, tc.Name)
		go func() {
			defer close(t.done)
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("panic: %v", r)
				}
			}()
			tc.Fn(t)
		}()
		deadline := time.NewTimer(limit)
		select {
		case <-t.done:
			deadline.Stop()
		case <-deadline.C:
			// The report may itself hang (the dump stops the world):
			// the kernel's watchdog stays armed over it.
			arm(KernelGrace, tc.Name)
			timedOut(w, t, limit, time.Since(t0))
			arm(0, "")
			ok = false
			continue
		}
		arm(0, "")
		d := time.Since(t0)
		status := "PASS"
		switch {
		case t.Failed():
			status = "FAIL"
			ok = false
		case t.Skipped():
			status = "SKIP"
		}
		fmt.Fprintf(w, "--- %s: %s (%.2fs)\n", status, tc.Name, d.Seconds())
		printLogs(w, t)
	}
	if ok {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
	fmt.Fprintf(w, "ok/fail summary: %d tests in %.2fs\n", len(tests), time.Since(start).Seconds())
	return ok
}

// timedOut reports a test still running at its deadline: what it logged,
// every goroutine's stack (bounded) and the kernel's threads.
func timedOut(w io.Writer, t *T, limit, d time.Duration) {
	fmt.Fprintf(w, "--- FAIL: %s (%.2fs)\n", t.name, d.Seconds())
	printLogs(w, t)
	fmt.Fprintf(w, "    test timed out after %v; its goroutines are abandoned and the run goes on\n", limit)
	buf := make([]byte, dumpLimit)
	n := runtime.Stack(buf, true)
	fmt.Fprintf(w, "goroutines:\n")
	w.Write(buf[:n])
	if n == len(buf) {
		fmt.Fprintf(w, "\n... goroutine dump cut at %d KiB\n", dumpLimit>>10)
	}
	if dumpKernel != nil {
		dumpKernel(w)
	}
}

func printLogs(w io.Writer, t *T) {
	t.mu.Lock()
	logs := append([]string(nil), t.logs...)
	t.mu.Unlock()
	for _, l := range logs {
		for _, line := range strings.Split(l, "\n") {
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}
