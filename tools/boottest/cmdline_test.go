package boottest

import (
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"almos/tools/qemu"
)

// TestLongCommandLine boots with a line longer than QEMU's malta passes
// whole (tools/run and qemu.Config refuse it; the test lets it through): the
// loader keeps 255 bytes, and the kernel must say the line reached the limit
// and stop with status 4 instead of running what is left of it or reporting
// half a word as an unknown key.
func TestLongCommandLine(t *testing.T) {
	t.Parallel()
	// The test= at the end is what the loader drops: without the check the
	// boot would wait at the prompt (and time out here).
	line := strings.Repeat("loglevel=info ", 21) + "test=panic"
	if len(line) <= 255 {
		t.Fatalf("the test line is only %d bytes", len(line))
	}
	r := boot(t, qemu.Config{Append: line, AllowLongAppend: true, Timeout: 3 * time.Minute})
	if r.Status != 4 {
		t.Errorf("status %d, want 4", r.Status)
	}
	expect(t, r.Output,
		"cmdline: the line reached QEMU malta's limit (255 bytes; its loader keeps 255 and drops the rest): its end is lost; use at most 254 bytes",
		`cmdline: the last word, "log", may be cut short: it is ignored`,
		"the mistakes above stop the boot")
	if strings.Contains(r.Output, "unknown key") {
		t.Errorf("half a word reported as an unknown key:\n%s", tail(r.Output, 40))
	}
	// The boot log's line keeps its closing quote and newline.
	if !regexp.MustCompile(`cmdline:  "(loglevel=info ){18}log"\r?\n`).MatchString(r.Output) {
		t.Errorf("the boot log's cmdline line is not whole:\n%s", tail(r.Output, 40))
	}
}

// pause is a reader that gives nothing for a while, then EOF: between two
// parts of the console input it lets the kernel finish what the first asked
// for.
type pause time.Duration

func (p pause) Read([]byte) (int, error) {
	time.Sleep(time.Duration(p))
	return 0, io.EOF
}

// TestConsoleInput types what a new user might: an up arrow (history is not
// kept: its escape sequence must not reach the line), poweroff with bad
// arguments (an error, and the machine keeps running), ^\ while another
// core prints (the dump comes out as one block), the cluster commands with a
// single cluster, then poweroff 3.
func TestConsoleInput(t *testing.T) {
	t.Parallel()
	input := io.MultiReader(
		strings.NewReader("\x1b[Aversion\r\x1bOA\x1b[1;5Cuptime\rpoweroff abc\rpoweroff 999\rpoweroff -1\rpoweroff 256\rpoweroff 1 2\r\x1cthreads\rhelp\rcpus\rclusters\rdqdt\r"),
		pause(5*time.Second),
		strings.NewReader("poweroff 3\r"))
	r := boot(t, qemu.Config{SMP: 2, MemMB: 128, Input: input, InputAfter: "almos> ", Timeout: 4 * time.Minute})
	if r.Status != 3 {
		t.Errorf("status %d, want 3 (from poweroff 3, the only valid one)", r.Status)
	}
	expect(t, r.Output,
		"board malta",        // version, after the up arrow
		"since kernel entry", // uptime, after SS3 and CSI sequences with parameters
		`poweroff: the status must be a number from 0 to 255, not "abc"`,
		`poweroff: the status must be a number from 0 to 255, not "999"`,
		`poweroff: the status must be a number from 0 to 255, not "-1"`,
		`poweroff: the status must be a number from 0 to 255, not "256"`,
		"poweroff: takes one argument at most (a status from 0 to 255), got 2",
		"powering off, status 3",
		// Counts of one are singular (2 cores make one cluster).
		"\n1 cluster\r\n", "1 cluster 2 cores: ")
	if strings.Contains(r.Output, "unknown command") {
		t.Errorf("an escape sequence reached the shell's line:\n%s", tail(r.Output, 60))
	}
	if n := strings.Count(r.Output, "powering off"); n != 1 {
		t.Errorf("%d power-offs started, want 1", n)
	}
	// The dump: its header, lines about cores and threads only, its end.
	out := strings.ReplaceAll(r.Output, "\r\n", "\n")
	start := strings.Index(out, "--- kernel threads (^\\ dump)")
	end := strings.Index(out, "--- end of dump")
	if start < 0 || end < start {
		t.Fatalf("no whole ^\\ dump in the console:\n%s", tail(r.Output, 80))
	}
	lines := strings.Split(out[start:end], "\n")
	dumpLine := regexp.MustCompile(`^(--- kernel threads|core \d+: current|  tid )`)
	for _, l := range lines[:len(lines)-1] {
		if !dumpLine.MatchString(l) {
			t.Errorf("the dump is interleaved with other output: %q", l)
		}
	}
	if !strings.HasSuffix(out[:end], "\n") {
		t.Errorf("the dump's end marker does not start a line")
	}
}
