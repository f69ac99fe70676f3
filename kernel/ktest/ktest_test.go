package ktest

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestRunFormat(t *testing.T) {
	registry = nil
	Register("good", "", func(t *T) { t.Logf("note %d", 1) })
	Register("bad", "", func(t *T) { t.Fatalf("broke") })
	Register("panics", "", func(t *T) { panic("boom") })
	RegisterManual("manual", "", func(t *T) {})
	tests, unknown := Select([]string{"all", "nosuch"})
	if len(unknown) != 1 || unknown[0] != "nosuch" {
		t.Fatalf("unknown %v", unknown)
	}
	if len(tests) != 3 {
		t.Fatalf("all selected %d tests, want 3 (manual excluded)", len(tests))
	}
	var out bytes.Buffer
	if Run(&out, tests) {
		t.Fatal("Run reported success with failing tests")
	}
	s := out.String()
	for _, want := range []string{"=== RUN   good\n", "--- PASS: good (", "    note 1\n", "--- FAIL: bad (", "    broke\n", "--- FAIL: panics (", "panic: boom", "\nFAIL\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	out.Reset()
	Register("hangs", "", func(t *T) { t.Logf("before the hang"); select {} })
	Register("skips", "", func(t *T) { t.Skipf("not on this machine") })
	old := Timeout
	defer func() { Timeout = old }()
	Timeout = 50 * time.Millisecond
	var armed []string
	armWatchdog = func(d time.Duration, name string) { armed = append(armed, fmt.Sprintf("%s:%v", name, d)) }
	dumped := 0
	dumpKernel = func(io.Writer) { dumped++ }
	defer func() { armWatchdog, dumpKernel = nil, nil }()
	hang, _ := Select([]string{"hangs", "good", "skips"})
	out.Reset()
	if Run(&out, hang) {
		t.Fatalf("Run reported success with a test that hangs")
	}
	s = out.String()
	for _, want := range []string{"--- FAIL: hangs (", "    before the hang\n", "test timed out after 50ms", "goroutine ", "=== RUN   good\n", "--- PASS: good (", "--- SKIP: skips (", "    not on this machine\n", "\nFAIL\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if dumped != 1 {
		t.Errorf("the kernel's threads were dumped %d times, want once", dumped)
	}
	// The kernel's deadline covers each test and, after a timeout, the
	// report; it is disarmed between tests.
	g := KernelGrace
	want := []string{
		fmt.Sprintf("hangs:%v", Timeout+g), fmt.Sprintf("hangs:%v", g), ":0s",
		fmt.Sprintf("good:%v", Timeout+g), ":0s",
		fmt.Sprintf("skips:%v", Timeout+g), ":0s",
	}
	if fmt.Sprint(armed) != fmt.Sprint(want) {
		t.Errorf("watchdog armed %v, want %v", armed, want)
	}
	out.Reset()
	good, _ := Select([]string{"good", "skips"})
	if !Run(&out, good) || !strings.Contains(out.String(), "\nPASS\n") {
		t.Fatalf("a passing and a skipped test: %s", out.String())
	}
}
