// Package qemu builds the kernel image and boots it under QEMU's malta with
// the P5600 CPU: the one place that knows the toolchain settings, the link
// address and entry symbol, and the QEMU command line. The Makefile's
// targets and the boot tests both go through it.
package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"almos/boot/cmdline"
)

// Toolchain settings of the image: the stock Go toolchain, 32-bit MIPS
// little-endian without FPU, no cgo.
var Env = []string{"GOOS=linux", "GOARCH=mipsle", "GOMIPS=softfloat", "CGO_ENABLED=0"}

// Link address and entry: QEMU loads a KSEG0 ELF at vaddr & 0x1fffffff;
// the linker reserves 0x1000 for headers, so -T minus 0x1000 must be 64 KiB
// aligned.
const (
	TextAddr = "0x80101000"
	Entry    = "_kentry"
	Package  = "./kernel/almos"
)

// Root finds the repository root (the directory holding go.mod) from the
// working directory.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Version describes the source tree for the banner.
func Version(root string) string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output()
	if err != nil {
		return "dev"
	}
	return strings.TrimSpace(string(out))
}

// Build compiles the kernel image into out.
func Build(root, out string) error {
	ldflags := fmt.Sprintf("-T %s -E %s -X almos/boot.Version=%s", TextAddr, Entry, Version(root))
	cmd := exec.Command("go", "build", "-o", out, "-ldflags", ldflags, Package)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), Env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building the kernel: %v\n%s", err, b)
	}
	return nil
}

// Binary is the QEMU system emulator for little-endian 32-bit MIPS.
const Binary = "qemu-system-mipsel"

// Available reports whether QEMU can be run, with a hint if not.
func Available() error {
	if _, err := exec.LookPath(Binary); err != nil {
		return fmt.Errorf("%s not found: install Debian's qemu-system-mips (make deps)", Binary)
	}
	return nil
}

// Config describes one boot.
type Config struct {
	Kernel string
	SMP    int    // cores (default 1)
	MemMB  int    // RAM in MiB (default 256)
	Append string // kernel command line
	// NoSemihosting boots without -semihosting: power-off goes through
	// ACPI and QEMU exits with 0 whatever the kernel's status.
	NoSemihosting bool
	// Interactive connects the terminal (-nographic: ^A x quits).
	Interactive bool
	// Debug waits for gdb on :1234 before the first instruction.
	Debug   bool
	Timeout time.Duration
	Input   io.Reader // bytes for the serial console
	// InputAfter delays Input until the console has printed this text
	// (a prompt), as a person would type.
	InputAfter string
	// Lines are typed one at a time, each once the console has printed
	// InputAfter once more than before the previous one: a person waiting
	// for the prompt between commands (and no line typed ahead into a
	// command that is still running).
	Lines []string
	Extra []string
	// AllowLongAppend lets Check pass an Append longer than MaxAppend,
	// for tests of what the kernel does with a line QEMU cuts short.
	AllowLongAppend bool
}

// MaxAppend is the longest -append QEMU's malta hands the kernel whole (its
// boot loader keeps 255 bytes; the kernel cannot tell a line of 255 from a
// cut one, so it refuses both).
const MaxAppend = cmdline.MaxLen

// MaxSMP and MaxMemMB bound what malta takes: 16 cores (the kernel's limit
// as well) and 2 GiB of RAM.
const (
	MaxSMP   = 16
	MaxMemMB = 2048
)

// Check reports, in one line, what in c QEMU's malta would not take or
// would silently change: an Append longer than MaxAppend (unless
// AllowLongAppend), a core count or RAM size out of range. Zero SMP and
// MemMB mean the defaults.
func (c Config) Check() error {
	if len(c.Append) > MaxAppend && !c.AllowLongAppend {
		return fmt.Errorf("the kernel command line is %d bytes; QEMU's malta passes at most %d whole (it cuts the rest silently)", len(c.Append), MaxAppend)
	}
	if c.SMP < 0 || c.SMP > MaxSMP {
		return fmt.Errorf("%d cores: malta takes 1 to %d", c.SMP, MaxSMP)
	}
	if c.MemMB < 0 || c.MemMB > MaxMemMB {
		return fmt.Errorf("%d MiB of RAM: malta takes 1 to %d", c.MemMB, MaxMemMB)
	}
	return nil
}

// Args returns QEMU's command line for c.
func (c Config) Args() []string {
	smp, mem := c.SMP, c.MemMB
	if smp == 0 {
		smp = 1
	}
	if mem == 0 {
		mem = 256
	}
	a := []string{"-M", "malta", "-cpu", "P5600", "-smp", fmt.Sprint(smp), "-m", fmt.Sprint(mem), "-no-reboot"}
	if c.Interactive {
		a = append(a, "-nographic")
	} else {
		a = append(a, "-display", "none", "-monitor", "none", "-serial", "stdio")
	}
	if !c.NoSemihosting {
		a = append(a, "-semihosting")
	}
	if c.Debug {
		a = append(a, "-s", "-S")
	}
	a = append(a, "-kernel", c.Kernel, "-append", c.Append)
	return append(a, c.Extra...)
}

// Result is what a boot produced.
type Result struct {
	Output   string
	Status   int  // QEMU's exit status: the kernel's, with semihosting
	TimedOut bool // killed at the timeout: a hang
	Wall     time.Duration
	// Crashed names the signal QEMU itself died of (say "segmentation
	// fault"), empty when it exited: a fault of the emulator, not a status
	// of the kernel.
	Crashed string
}

// lockedBuffer lets the test read output while QEMU writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// DumpGrace is how long a boot past its timeout may print the kernel's
// thread dump before QEMU is killed.
var DumpGrace = 3 * time.Second

// Run boots c non-interactively and collects the console. A c that Check
// refuses is not booted.
func Run(ctx context.Context, c Config) (Result, error) {
	if err := c.Check(); err != nil {
		return Result{}, err
	}
	if err := Available(); err != nil {
		return Result{}, err
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, Binary, c.Args()...)
	var out lockedBuffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// QEMU reads the serial console from an OS pipe held open until it
	// exits: stdio at EOF would look like a closed line.
	pr, pw, err := os.Pipe()
	if err != nil {
		return Result{}, err
	}
	defer pw.Close()
	cmd.Stdin = pr
	if c.Input != nil {
		go func() {
			for c.InputAfter != "" && !strings.Contains(out.String(), c.InputAfter) {
				if ctx.Err() != nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			io.Copy(pw, c.Input)
		}()
	}
	if len(c.Lines) > 0 && c.InputAfter != "" {
		go func() {
			for k, line := range c.Lines {
				for strings.Count(out.String(), c.InputAfter) <= k {
					if ctx.Err() != nil {
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				io.WriteString(pw, line)
			}
		}()
	}
	cmd.WaitDelay = 5 * time.Second
	// At the timeout the kernel is asked for its dump of threads and
	// queues (^\ on the console, served even when every thread is
	// blocked), so that a hang's report says what waited on what; QEMU is
	// killed a moment later.
	var timedOut atomic.Bool
	timer := time.AfterFunc(c.Timeout, func() {
		timedOut.Store(true)
		pw.Write([]byte{0x1c})
		time.AfterFunc(DumpGrace, cancel)
	})
	defer timer.Stop()
	start := time.Now()
	err = cmd.Run()
	pr.Close()
	r := Result{Output: out.String(), Wall: time.Since(start)}
	if timedOut.Load() {
		r.TimedOut = true
		r.Status = -1
		return r, nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Status = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Crashed = ws.Signal().String()
		}
		return r, nil
	}
	if err != nil {
		return r, err
	}
	return r, nil
}

// HostCores is how many host cores QEMU can use.
func HostCores() int { return runtime.NumCPU() }
