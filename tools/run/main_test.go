package main

import (
	"strings"
	"testing"
)

func TestCheckFlags(t *testing.T) {
	for _, c := range []struct {
		smp, mem int
		line     string
		want     string // fragment of the error, "" for none
	}{
		{1, 256, "", ""},
		{16, 2048, strings.Repeat("x", 254), ""},
		{0, 256, "", "-smp 0 (SMP= for make): malta takes 1 to 16 cores"},
		{17, 256, "", "-smp 17"},
		{-1, 256, "", "-smp -1"},
		{1, 0, "", "-m 0 (MEM= for make): malta takes 1 to 2048 MiB of RAM"},
		{1, 2049, "", "-m 2049"},
		{1, 31, "", "-m 31 (MEM= for make): ALMOS needs at least 32 MiB of RAM"},
		{1, 2, "", "ALMOS needs at least 32 MiB"},
		{1, 256, strings.Repeat("x", 255), "-append (APPEND= for make) is 255 bytes: QEMU's malta passes at most 254 whole"},
	} {
		err := checkFlags(c.smp, c.mem, c.line)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("checkFlags(%d, %d, %d bytes) = %v, want %q", c.smp, c.mem, len(c.line), err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error on more than one line: %q", err)
		}
	}
}

func TestStatusText(t *testing.T) {
	for st, want := range map[int]string{
		0: "QEMU exited with status 0: the kernel powered off normally",
		1: "status 1: an in-kernel test failed",
		3: "status 3: a kernel fault",
		4: "status 4: the command line has mistakes",
		7: "status 7: the status given to the shell's poweroff",
	} {
		if got := statusText(st, false); !strings.Contains(got, want) {
			t.Errorf("statusText(%d) = %q, want %q", st, got, want)
		}
	}
	if got := statusText(0, true); !strings.Contains(got, "without semihosting") {
		t.Errorf("statusText without semihosting = %q", got)
	}
}

func TestGDBCommand(t *testing.T) {
	got := gdbCommand("/x/kernel.elf")
	if got != "gdb-multiarch /x/kernel.elf -ex 'set architecture mips:isa32r2' -ex 'target remote localhost:1234'" {
		t.Errorf("gdbCommand = %q", got)
	}
}
