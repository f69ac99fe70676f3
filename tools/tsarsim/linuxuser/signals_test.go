package linuxuser

import (
	"testing"

	"almos/tools/tsarsim/machine"
)

// TestSignals: faults become Go panics through the signal frame and
// rt_sigreturn, and SIGURG from tgkill preempts a goroutine that spins
// without calls (runtime.GC on one P could not finish otherwise).
func TestSignals(t *testing.T) {
	bin := buildProg(t, "signals")
	cfg := machine.DefaultConfig()
	cfg.Cores = 2
	r := runProg(t, cfg, PlaceSpread, MemFirstTouch, bin)
	want := "nil: recovered: runtime error: invalid memory address or nil pointer dereference\n" +
		"div: recovered: runtime error: integer divide by zero\n" +
		"preempted: true\n"
	if r.stdout != want {
		t.Errorf("got:\n%s\nwant:\n%s", r.stdout, want)
	}
}
