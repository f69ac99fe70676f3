// Command run builds the kernel image and boots it under QEMU (malta, P5600)
// with the terminal as its serial console. It is what make run, make kernel
// and make debug call.
//
//	go run ./tools/run [-smp N] [-m MiB] [-append "key=value ..."] [-debug]
//	go run ./tools/run -build-only -o build/kernel.elf
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"almos/tools/qemu"
)

func main() {
	smp := flag.Int("smp", 1, "cores")
	mem := flag.Int("m", 256, "RAM in MiB")
	appendLine := flag.String("append", "", "kernel command line")
	out := flag.String("o", "build/kernel.elf", "image path")
	buildOnly := flag.Bool("build-only", false, "build the image and stop")
	noBuild := flag.Bool("no-build", false, "boot the existing image")
	debug := flag.Bool("debug", false, "wait for gdb-multiarch on localhost:1234")
	noSemi := flag.Bool("no-semihosting", false, "power off through ACPI (QEMU's exit status is then always 0)")
	flag.Parse()

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
		fmt.Fprintf(os.Stderr, "QEMU waits for a debugger. In another terminal:\n  gdb-multiarch %s -ex 'set architecture mips:isa32r2' -ex 'target remote localhost:1234'\n", image)
	}
	fmt.Fprintf(os.Stderr, "%s %v\n(^A x quits QEMU)\n", qemu.Binary, cfg.Args())
	path, err := exec.LookPath(qemu.Binary)
	if err != nil {
		fail(err)
	}
	// Hand the terminal over to QEMU; its exit status is the kernel's.
	fail(syscall.Exec(path, append([]string{qemu.Binary}, cfg.Args()...), os.Environ()))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "run:", err)
	os.Exit(1)
}
