package symtab

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file unwind a real stack: testdata/prog runs a known call
// chain under qemu-mipsel and dumps its registers and stack at the innermost
// point (an assembly leaf without a frame); the host unwinds the dump with
// the binary's table and compares with the chain, with the runtime's own
// runtime.Callers and CallersFrames output for the same stack, and with what
// the package itself produced in the mipsle process.

type dump struct {
	pc, sp, ra, hi uintptr
	words          []uint32
	callers        []uintptr
	frames         []string // runtime.CallersFrames: name|file|line
	self           []string // "pc sp name" from the in-process Unwind
	selfInl        []string
	selfText       []string
	allocs         string
	imageText      uintptr
}

func parseHex(t *testing.T, s string) uintptr {
	t.Helper()
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		t.Fatalf("bad hex %q in the program's output", s)
	}
	return uintptr(v)
}

func loadDump(t *testing.T) *dump {
	out := chainOutput(t)
	d := &dump{}
	for _, ln := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		key, rest, _ := strings.Cut(ln, " ")
		f := strings.Fields(rest)
		switch key {
		case "CAPTURE":
			d.pc, d.sp, d.ra, d.hi = parseHex(t, f[0]), parseHex(t, f[1]), parseHex(t, f[2]), parseHex(t, f[3])
		case "STACK":
			for _, w := range f {
				d.words = append(d.words, uint32(parseHex(t, w)))
			}
		case "CALLERS":
			for _, w := range f {
				d.callers = append(d.callers, parseHex(t, w))
			}
		case "FRAME":
			d.frames = append(d.frames, rest)
		case "SELF":
			d.self = append(d.self, rest)
		case "SELFINL":
			d.selfInl = append(d.selfInl, rest)
		case "SELFTEXT":
			d.selfText = append(d.selfText, rest)
		case "SELFERR":
			t.Fatalf("in-process Init failed: %s", rest)
		case "ALLOCS":
			d.allocs = rest
		case "IMAGE":
			d.imageText = parseHex(t, f[0])
		}
	}
	if d.sp == 0 || len(d.words) == 0 || len(d.callers) == 0 {
		t.Fatalf("incomplete output from the program:\n%s", out)
	}
	return d
}

func (d *dump) read(a uintptr) (uint32, bool) {
	if a < d.sp || a%4 != 0 || (a-d.sp)/4 >= uintptr(len(d.words)) {
		return 0, false
	}
	return d.words[(a-d.sp)/4], true
}

// The chain the program runs, innermost first, as physical frames.
var wantChain = []string{
	"main.capture",
	"main.chainD",
	"main.chainB[go.shape.int]", // chainC and chainC2 are inlined into it
	"main.chainG[go.shape.int]",
	"main.chainA", // chainA.func1 is inlined into it
	"main.main",
	"runtime.main",
	"runtime.goexit",
}

func frameNames(tab *Table, frs []Frame) []string {
	var s []string
	for _, fr := range frs {
		if fr.Func.Valid() {
			s = append(s, tab.Name(fr.Func))
		} else {
			s = append(s, fmt.Sprintf("?%#x", fr.PC))
		}
	}
	return s
}

func TestUnwindQemu(t *testing.T) {
	im := loadImage(t)
	d := loadDump(t)
	tab := &im.tab

	var out [64]Frame
	n := tab.Unwind(d.pc, d.sp, d.ra, d.read, out[:])
	frs := out[:n]
	if got := frameNames(tab, frs); strings.Join(got, " ") != strings.Join(wantChain, " ") {
		t.Fatalf("unwound\n  %v\nwant\n  %v", got, wantChain)
	}
	for i := 1; i < n; i++ {
		// The leaf's caller shares its SP; after that SP strictly grows.
		if frs[i].SP < frs[i-1].SP || (i > 1 && frs[i].SP == frs[i-1].SP) {
			t.Errorf("frame %d: SP %#x after %#x", i, frs[i].SP, frs[i-1].SP)
		}
		if frs[i].SP > d.hi {
			t.Errorf("frame %d: SP %#x above the stack top %#x", i, frs[i].SP, d.hi)
		}
		if !frs[i].Return {
			t.Errorf("frame %d: not marked as a return address", i)
		}
	}
	if frs[0].PC != d.pc || frs[0].SP != d.sp || frs[0].Return || frs[1].PC != d.ra || frs[1].SP != d.sp {
		t.Errorf("first frames: %+v %+v (capture pc %#x sp %#x ra %#x)", frs[0], frs[1], d.pc, d.sp, d.ra)
	}

	// The return addresses above chainD are in what runtime.Callers
	// reported for the same stack (it adds the virtual pcs of inlined
	// frames; our physical pcs must be among them).
	inCallers := map[uintptr]bool{}
	for _, pc := range d.callers {
		inCallers[pc] = true
	}
	for _, fr := range frs[2:] {
		if !inCallers[fr.PC] {
			t.Errorf("return pc %#x (%s) not among runtime.Callers %x", fr.PC, tab.Name(fr.Func), d.callers)
		}
	}

	// Logical frames, against runtime.CallersFrames. The runtime's list
	// starts with runtime.Callers called from chainD; ours with capture
	// called from chainD: from chainD's caller on they must be equal,
	// names, files and lines.
	var logical []string
	for _, fr := range frs {
		for _, l := range ourFrames(tab, fr.Func, fr.LookupPC()) {
			logical = append(logical, l.String())
		}
	}
	if len(logical) != len(d.frames) {
		t.Fatalf("logical frames:\n  %q\nruntime:\n  %q", logical, d.frames)
	}
	name := func(s string) string { n, _, _ := strings.Cut(s, "|"); return n }
	if name(logical[1]) != name(d.frames[1]) {
		t.Errorf("frame 1: %s, runtime %s", logical[1], d.frames[1])
	}
	for i := 2; i < len(logical); i++ {
		if logical[i] != d.frames[i] {
			t.Errorf("logical frame %d: %s, runtime %s", i, logical[i], d.frames[i])
		}
	}

	// The package running in the mipsle process itself found the same.
	if d.imageText != uintptr(im.text) {
		t.Errorf("Image() text in the process %#x, runtime.text %#x", d.imageText, im.text)
	}
	var self, selfInl, text []string
	for _, fr := range frs {
		self = append(self, fmt.Sprintf("%x %x %s", fr.PC, fr.SP, tab.Name(fr.Func)))
		var inl [16]InlFrame
		k := tab.Inlined(fr.Func, fr.LookupPC(), inl[:])
		for _, f := range inl[:k] {
			file, line := tab.InlFileLine(f)
			selfInl = append(selfInl, fmt.Sprintf("%s|%s|%d", tab.InlName(f), file, line))
		}
		var buf [1024]byte
		text = append(text, strings.Split(strings.TrimSuffix(string(tab.AppendFrame(buf[:0], fr)), "\n"), "\n")...)
	}
	cmp := func(what string, got, want []string) {
		t.Helper()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s in the mipsle process:\n%s\non the host:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	cmp("Unwind", d.self, self)
	cmp("Inlined", d.selfInl, selfInl)
	cmp("AppendFrame", d.selfText, text)
	if d.allocs != "0" {
		t.Errorf("Unwind, AppendFrame, FuncAt, FileLine, SPDelta and Name allocated %s times in 100 runs on mipsle", d.allocs)
	}
	t.Logf("mipsle process output:\n%s", strings.Join(d.selfText, "\n"))
}

// The same stack, entered as other kinds of faults.
func TestUnwindQemuScenarios(t *testing.T) {
	im := loadImage(t)
	d := loadDump(t)
	tab := &im.tab
	var out [64]Frame
	n := tab.Unwind(d.pc, d.sp, d.ra, d.read, out[:])
	ref := append([]Frame(nil), out[:n]...)
	if len(ref) != len(wantChain) {
		t.Fatalf("reference unwind: %v", frameNames(tab, ref))
	}
	same := func(name string, got, want []Frame) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", name, frameNames(tab, got), frameNames(tab, want))
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: frame %d = %+v, want %+v", name, i, got[i], want[i])
			}
		}
	}

	// A fault in chainD after its prologue (at the call to capture): the
	// return address comes from 0(SP), whatever ra holds.
	n = tab.Unwind(d.ra, d.sp, 0xdeadbeef, d.read, out[:])
	want := append([]Frame{{PC: d.ra, SP: d.sp, Func: ref[1].Func}}, ref[2:]...)
	same("fault in chainD's body", out[:n], want)

	// A fault in chainD's prologue: every instruction before its SP
	// adjustment has SPDelta 0, SP is still chainB's, the caller is in ra.
	chainD := ref[1].Func
	entry := tab.Entry(chainD)
	var adj uintptr
	for pc := entry; pc < tab.End(chainD); pc += 4 {
		if w, _ := im.word(uint64(pc)); w>>16 == 0x27bd && int16(w) < 0 {
			adj = pc
			break
		}
	}
	if adj == 0 {
		t.Fatal("no SP adjustment found in chainD")
	}
	for pc := entry; pc <= adj; pc += 4 {
		n = tab.Unwind(pc, ref[2].SP, ref[2].PC, d.read, out[:])
		want = append([]Frame{{PC: pc, SP: ref[2].SP, Func: chainD}}, ref[2:]...)
		same(fmt.Sprintf("fault in chainD's prologue at +%#x", pc-entry), out[:n], want)
	}

	// A fault at chainD's return jump, after the epilogue restored SP.
	var jr uintptr
	for pc := adj; pc < tab.End(chainD); pc += 4 {
		if w, _ := im.word(uint64(pc)); w == 0x03e00008 && tab.SPDelta(chainD, pc) == 0 {
			jr = pc
			break
		}
	}
	if jr == 0 {
		t.Fatal("no jr ra with SPDelta 0 in chainD")
	}
	n = tab.Unwind(jr, ref[2].SP, ref[2].PC, d.read, out[:])
	want = append([]Frame{{PC: jr, SP: ref[2].SP, Func: chainD}}, ref[2:]...)
	same("fault at chainD's return", out[:n], want)

	// A call through a nil func value from chainD: pc 0, SP and ra as the
	// call left them.
	n = tab.Unwind(0, d.sp, d.ra, d.read, out[:])
	want = append([]Frame{{PC: 0, SP: d.sp}}, ref[1:]...)
	same("nil call from chainD", out[:n], want)

	// Stack bounds: with only the words up to chainG's frame readable, the
	// walk stops in chainG.
	limit := ref[3].SP
	bounded := func(a uintptr) (uint32, bool) {
		if a >= limit {
			return 0, false
		}
		return d.read(a)
	}
	n = tab.Unwind(d.pc, d.sp, d.ra, bounded, out[:])
	same("bounded stack", out[:n], ref[:4])

	// A full out.
	n = tab.Unwind(d.pc, d.sp, d.ra, d.read, out[:3])
	same("three slots", out[:n], ref[:3])
}
