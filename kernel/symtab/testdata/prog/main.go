// Command prog is built for GOARCH=mipsle by the symtab tests and run under
// qemu-mipsel. Without arguments it runs a known call chain, captures the
// registers and the stack at its innermost point (capture_mipsle.s), and
// prints them with what the runtime itself reports for that stack
// (runtime.Callers, runtime.CallersFrames) and what package symtab, running
// in this same mipsle process on its own pclntab, makes of the dump. With
// the argument "pcs" it reads hex pcs from stdin and prints the runtime's
// logical frames (inlining expanded) for each.
package main

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"almos/kernel/symtab"
)

const maxWords = 4096

type capBuf struct {
	pc, sp, ra, hi, n uint32
	words             [maxWords]uint32
}

var (
	capt      capBuf
	callerPCs [64]uintptr
	ncallers  int
	sink      int
)

func capture(c *capBuf)

//go:noinline
func chainA(n int) int {
	var local [8]int
	for i := range local {
		local[i] = n + i
	}
	f := func(k int) int {
		return chainG(local[k&7], n) + 1
	}
	return f(n) + local[3]
}

//go:noinline
func chainG[T any](x T, n int) int {
	var keep [4]T
	keep[n&3] = x
	return chainB(n+1, &keep) + 2
}

//go:noinline
func chainB[T any](n int, p *[4]T) int {
	return chainC(n*2) + len(p)
}

// chainC and chainC2 are small enough to be inlined into chainB.
func chainC(n int) int {
	return chainC2(n+3) * 2
}

func chainC2(n int) int {
	return chainD(n-1) + 5
}

//go:noinline
func chainD(n int) int {
	capture(&capt)
	ncallers = runtime.Callers(0, callerPCs[:])
	return n + 7
}

// sentinel marks the end of a pc list given to runtime.CallersFrames: its
// entry + 5 stands for a return pc inside it.
//
//go:noinline
func sentinel() int { return sink + 1 }

func main() {
	if len(os.Args) > 1 && os.Args[1] == "pcs" {
		pcsMode()
		return
	}
	sink = chainA(3)
	chainMode()
}

func chainMode() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "CAPTURE %x %x %x %x %d\n", capt.pc, capt.sp, capt.ra, capt.hi, capt.n)
	for i := uint32(0); i < capt.n; i += 8 {
		fmt.Fprintf(w, "STACK")
		for j := i; j < i+8 && j < capt.n; j++ {
			fmt.Fprintf(w, " %x", capt.words[j])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "CALLERS")
	for _, pc := range callerPCs[:ncallers] {
		fmt.Fprintf(w, " %x", pc)
	}
	fmt.Fprintln(w)
	frames := runtime.CallersFrames(callerPCs[:ncallers])
	for {
		fr, more := frames.Next()
		fmt.Fprintf(w, "FRAME %s|%s|%d\n", fr.Function, fr.File, fr.Line)
		if !more {
			break
		}
	}

	// The same unwinding, done here on mipsle by package symtab on the
	// image's own table.
	img, text := symtab.Image()
	var t symtab.Table
	if err := t.Init(img); err != nil {
		fmt.Fprintf(w, "SELFERR %v\n", err)
		return
	}
	fmt.Fprintf(w, "IMAGE %x %d\n", text, len(img))
	sp := uintptr(capt.sp)
	read := func(a uintptr) (uint32, bool) {
		if a < sp || (a-sp)/4 >= uintptr(capt.n) {
			return 0, false
		}
		return capt.words[(a-sp)/4], true
	}
	var out [64]symtab.Frame
	var inl [16]symtab.InlFrame
	n := t.Unwind(uintptr(capt.pc), sp, uintptr(capt.ra), read, out[:])
	for _, fr := range out[:n] {
		fmt.Fprintf(w, "SELF %x %x %s\n", fr.PC, fr.SP, t.Name(fr.Func))
		k := t.Inlined(fr.Func, fr.LookupPC(), inl[:])
		for _, f := range inl[:k] {
			file, line := t.InlFileLine(f)
			fmt.Fprintf(w, "SELFINL %s|%s|%d\n", t.InlName(f), file, line)
		}
	}
	var buf [4096]byte
	b := buf[:0]
	for _, fr := range out[:n] {
		b = t.AppendFrame(b, fr)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		fmt.Fprintf(w, "SELFTEXT %s\n", line)
	}

	// Allocation count of the trap-time path on the real target.
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := 0; i < 100; i++ {
		n = t.Unwind(uintptr(capt.pc), sp, uintptr(capt.ra), read, out[:])
		b = buf[:0]
		for _, fr := range out[:n] {
			b = t.AppendFrame(b, fr)
			f, _ := t.FuncAt(fr.PC)
			_, line := t.FileLine(f, fr.PC)
			sink += line + int(t.SPDelta(f, fr.PC)) + len(t.Name(f))
		}
	}
	runtime.ReadMemStats(&m1)
	fmt.Fprintf(w, "ALLOCS %d\n", m1.Mallocs-m0.Mallocs)
}

// pcsMode prints, for each pc read from stdin, the logical frames the
// runtime reports at that pc, innermost first. The sentinel pc after it
// makes CallersFrames expand the inlined callers of the pc (it inserts the
// implied outer frames until it reaches the next pc of the list).
func pcsMode() {
	sentinelPC := reflect.ValueOf(sentinel).Pointer() + 5
	in := bufio.NewScanner(os.Stdin)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for in.Scan() {
		pc, err := strconv.ParseUint(strings.TrimSpace(in.Text()), 16, 32)
		if err != nil {
			continue
		}
		frames := runtime.CallersFrames([]uintptr{uintptr(pc) + 1, sentinelPC})
		fmt.Fprintf(w, "PC %x", pc)
		for {
			fr, more := frames.Next()
			if fr.Function == "main.sentinel" {
				break
			}
			fmt.Fprintf(w, " %s|%s|%d", fr.Function, fr.File, fr.Line)
			if !more {
				break
			}
		}
		fmt.Fprintln(w)
	}
}
