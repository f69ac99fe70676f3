// Command run builds the kernel image and boots it under QEMU (malta, P5600)
// with the terminal as its serial console. It is what make run, make kernel
// and make debug call.
//
//	go run ./tools/run [-smp N] [-m MiB] [-append "key=value ..."] [-debug]
//	go run ./tools/run -build-only -o build/kernel.elf
//
// When QEMU ends, run prints the kernel's power-off status and what it means,
// and exits with that status (go run itself exits with 1 for any failure;
// build the command, as make run does, to get the status as the exit code).
// A flag QEMU's malta cannot take is refused before anything is built, with
// status 4, the kernel's own status for a command-line mistake; run's other
// failures (a build error, QEMU missing) exit with 125.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"almos/boot/cmdline"
	"almos/tools/qemu"
)

func main() {
	smp := flag.Int("smp", 1, "cores, 1 to 16")
	mem := flag.Int("m", 256, "RAM in MiB, 1 to 2048")
	appendLine := flag.String("append", "", "kernel command line, at most 254 bytes")
	out := flag.String("o", "build/kernel.elf", "image path")
	buildOnly := flag.Bool("build-only", false, "build the image and stop")
	noBuild := flag.Bool("no-build", false, "boot the existing image")
	debug := flag.Bool("debug", false, "wait for gdb-multiarch on localhost:1234")
	noSemi := flag.Bool("no-semihosting", false, "power off through ACPI (QEMU's exit status is then always 0)")
	flag.Parse()
	if flag.NArg() > 0 {
		usage(fmt.Errorf("unexpected argument %q (the kernel command line goes in -append)", flag.Arg(0)))
	}
	if !*buildOnly {
		// Refused before building, so a mistake costs nothing.
		if err := checkFlags(*smp, *mem, *appendLine); err != nil {
			usage(err)
		}
	}

	root, err := qemu.Root()
	if err != nil {
		fail(err)
	}
	image := *out
	if !filepath.IsAbs(image) {
		image = filepath.Join(root, image)
	}
	if !*noBuild {
		if err := os.MkdirAll(filepath.Dir(image), 0o755); err != nil {
			fail(err)
		}
		if err := qemu.Build(root, image); err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stderr, "built %s\n", image)
	}
	if *buildOnly {
		return
	}
	if err := qemu.Available(); err != nil {
		fail(err)
	}
	cfg := qemu.Config{Kernel: image, SMP: *smp, MemMB: *mem, Append: *appendLine, Interactive: true, Debug: *debug, NoSemihosting: *noSemi}
	if *debug {
		fmt.Fprintf(os.Stderr, "QEMU waits for a debugger. In another terminal:\n  %s\n", gdbCommand(image))
	}
	fmt.Fprintf(os.Stderr, "%s %q\n(^A x quits QEMU)\n", qemu.Binary, cfg.Args())
	os.Exit(boot(cfg))
}

// checkFlags refuses, in one line, what QEMU's malta would not take or
// would change silently.
func checkFlags(smp, mem int, line string) error {
	if smp < 1 || smp > qemu.MaxSMP {
		return fmt.Errorf("-smp %d (SMP= for make): malta takes 1 to %d cores", smp, qemu.MaxSMP)
	}
	if mem < 1 || mem > qemu.MaxMemMB {
		return fmt.Errorf("-m %d (MEM= for make): malta takes 1 to %d MiB of RAM", mem, qemu.MaxMemMB)
	}
	if min := cmdline.MinRAM >> 20; mem < min {
		return fmt.Errorf("-m %d (MEM= for make): ALMOS needs at least %d MiB of RAM", mem, min)
	}
	if len(line) > qemu.MaxAppend {
		return fmt.Errorf("-append (APPEND= for make) is %d bytes: QEMU's malta passes at most %d whole and would cut the rest silently", len(line), qemu.MaxAppend)
	}
	return nil
}

// gdbCommand is the command that attaches gdb-multiarch, with the image's
// symbols, to QEMU waiting under -s -S.
func gdbCommand(image string) string {
	return fmt.Sprintf("gdb-multiarch %s -ex 'set architecture mips:isa32r2' -ex 'target remote localhost:1234'", image)
}

// boot runs QEMU on the terminal and returns its exit status, the kernel's
// power-off status with semihosting, after printing what it means.
func boot(cfg qemu.Config) int {
	cmd := exec.Command(qemu.Binary, cfg.Args()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// A signal to run (a closed terminal, a kill) goes on to QEMU, which
	// restores the terminal as it exits; run waits for it.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		fmt.Fprintf(os.Stderr, "run: %s\n", statusText(0, cfg.NoSemihosting))
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			fmt.Fprintf(os.Stderr, "run: QEMU was killed by a signal (%v)\n", ws.Signal())
			return 128 + int(ws.Signal())
		}
		st := ee.ExitCode()
		fmt.Fprintf(os.Stderr, "run: %s\n", statusText(st, cfg.NoSemihosting))
		return st
	}
	fail(err)
	return statusFailed
}

// statusText says what QEMU's exit status means (README, "Power-off and exit
// statuses").
func statusText(st int, noSemihosting bool) string {
	if noSemihosting {
		return fmt.Sprintf("QEMU exited with status %d (without semihosting the kernel's status is only printed on the console)", st)
	}
	what := ""
	switch st {
	case 0:
		what = "the kernel powered off normally; all requested tests passed"
	case 1:
		what = "an in-kernel test failed or does not exist"
	case 2:
		what = "the Go runtime died (fatal error or unrecovered panic)"
	case 3:
		what = "a kernel fault"
	case 4:
		what = "the command line has mistakes that stop the boot"
	default:
		what = "the status given to the shell's poweroff, or QEMU's own failure"
	}
	return fmt.Sprintf("QEMU exited with status %d: %s", st, what)
}

// Exit statuses of run's own, apart from the kernel's.
const (
	statusBadFlags = 4   // as the kernel's for a bad command line
	statusFailed   = 125 // not booted: build error, QEMU missing
)

func usage(err error) {
	fmt.Fprintln(os.Stderr, "run:", err)
	os.Exit(statusBadFlags)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "run:", err)
	os.Exit(statusFailed)
}
