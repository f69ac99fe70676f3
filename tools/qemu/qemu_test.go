package qemu

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeQEMU puts a script named like QEMU first in PATH.
func fakeQEMU(t *testing.T, script string) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, Binary), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestRunStatus(t *testing.T) {
	fakeQEMU(t, "echo booted; exit 3")
	r, err := Run(context.Background(), Config{Kernel: "k.elf", Timeout: time.Minute})
	if err != nil || r.Status != 3 || r.Crashed != "" || r.TimedOut || r.Output != "booted\n" {
		t.Fatalf("Run = %+v, %v; want status 3 and the output", r, err)
	}
}

func TestRunEmulatorCrash(t *testing.T) {
	fakeQEMU(t, "echo banner; kill -SEGV $$")
	r, err := Run(context.Background(), Config{Kernel: "k.elf", Timeout: time.Minute})
	if err != nil || r.Crashed != "segmentation fault" || r.TimedOut {
		t.Fatalf("Run = %+v, %v; want Crashed = segmentation fault", r, err)
	}
}

func TestRunHang(t *testing.T) {
	// The fake prints, in hex, the first byte the console receives: the
	// request for the kernel's dump at the timeout.
	fakeQEMU(t, "head -c1 | od -An -tx1; exec sleep 60")
	defer func(d time.Duration) { DumpGrace = d }(DumpGrace)
	DumpGrace = 500 * time.Millisecond
	r, err := Run(context.Background(), Config{Kernel: "k.elf", Timeout: 200 * time.Millisecond})
	if err != nil || !r.TimedOut || r.Crashed != "" || r.Status != -1 {
		t.Fatalf("Run = %+v, %v; want a timeout, not a crash", r, err)
	}
	if !strings.Contains(r.Output, "1c") {
		t.Errorf("the console did not get ^\\ at the timeout: %q", r.Output)
	}
}

func TestCheck(t *testing.T) {
	long := strings.Repeat("loglevel=info ", 20)
	for _, c := range []struct {
		cfg  Config
		want string // fragment of the error, "" for none
	}{
		{Config{}, ""},
		{Config{SMP: 16, MemMB: 2048, Append: long[:MaxAppend]}, ""},
		{Config{Append: long}, "the kernel command line is 280 bytes; QEMU's malta passes at most 254 whole"},
		{Config{Append: long, AllowLongAppend: true}, ""},
		{Config{SMP: 17}, "17 cores: malta takes 1 to 16"},
		{Config{SMP: -1}, "-1 cores"},
		{Config{MemMB: 4096}, "4096 MiB of RAM: malta takes 1 to 2048"},
	} {
		err := c.cfg.Check()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Check(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
	// Run refuses what Check refuses, before starting QEMU.
	fakeQEMU(t, "echo booted; exit 0")
	if _, err := Run(context.Background(), Config{Kernel: "k.elf", Append: long}); err == nil {
		t.Error("Run booted a command line QEMU would cut")
	}
}
