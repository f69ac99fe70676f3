package ktest

import (
	"bytes"
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
	Register("hangs", "", func(t *T) { select {} })
	old := Timeout
	Timeout = 50 * time.Millisecond
	hang, _ := Select([]string{"hangs", "good"})
	out.Reset()
	if Run(&out, hang) || !strings.Contains(out.String(), "--- FAIL: hangs") || !strings.Contains(out.String(), "test timed out") || strings.Contains(out.String(), "RUN   good") {
		t.Fatalf("hanging test: %s", out.String())
	}
	Timeout = old
	out.Reset()
	good, _ := Select([]string{"good"})
	if !Run(&out, good) || !strings.Contains(out.String(), "\nPASS\n") {
		t.Fatalf("single passing test: %s", out.String())
	}
}
