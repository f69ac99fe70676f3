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
	name   string
	out    io.Writer
	mu     sync.Mutex
	failed bool
	logs   []string
	done   chan struct{}
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
// that hangs fails with every goroutine's stack, and the run stops there.
var Timeout = 120 * time.Second

// Run runs tests one after another, printing go test -v output to w, and
// reports whether all passed.
func Run(w io.Writer, tests []Test) bool {
	ok := true
	start := time.Now()
	for _, tc := range tests {
		fmt.Fprintf(w, "=== RUN   %s\n", tc.Name)
		t := &T{name: tc.Name, out: w, done: make(chan struct{})}
		t0 := time.Now()
		go func() {
			defer close(t.done)
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("panic: %v", r)
				}
			}()
			tc.Fn(t)
		}()
		select {
		case <-t.done:
		case <-time.After(Timeout):
			fmt.Fprintf(w, "--- FAIL: %s (%.2fs)\n    test timed out after %v; goroutines:\n", tc.Name, time.Since(t0).Seconds(), Timeout)
			buf := make([]byte, 1<<20)
			w.Write(buf[:runtime.Stack(buf, true)])
			fmt.Fprintln(w, "FAIL")
			return false
		}
		d := time.Since(t0)
		status := "PASS"
		if t.Failed() {
			status = "FAIL"
			ok = false
		}
		fmt.Fprintf(w, "--- %s: %s (%.2fs)\n", status, tc.Name, d.Seconds())
		for _, l := range t.logs {
			for _, line := range strings.Split(l, "\n") {
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	if ok {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
	fmt.Fprintf(w, "ok/fail summary: %d tests in %.2fs\n", len(tests), time.Since(start).Seconds())
	return ok
}
