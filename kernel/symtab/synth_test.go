package symtab

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// A small table written by the tests themselves in the linker's format, so
// that exact values (and the unwinder on a hand-made stack) are checked
// without a toolchain or an emulator, and so that the fuzz tests start from a
// valid table.

type run struct {
	end uint32 // offset from the entry where the value stops applying
	val int32
}

type synthInl struct {
	id        uint8
	name      string
	parentPc  int32
	startLine int32
}

type synthFunc struct {
	name      string
	size      uint32
	id, flag  uint8
	startLine int32
	pcsp      []run
	pcfile    []run
	pcln      []run
	inlIdx    []run // PCDATA_InlTreeIndex
	inl       []synthInl
}

type synthTable struct {
	files    []string
	funcs    []synthFunc
	text     uint32 // entry offset of the first function
	gofAlign int    // alignment of the funcdata start (4, 8, 16...)
}

// encodePC writes a pc-value table: value deltas zig-zag encoded, pc deltas
// in instructions, a 0 byte at the end.
func encodePC(runs []run) []byte {
	var b []byte
	val, pc := int32(-1), uint32(0)
	for _, r := range runs {
		d := r.val - val
		b = binary.AppendUvarint(b, uint64(uint32(d<<1)^uint32(d>>31)))
		b = binary.AppendUvarint(b, uint64((r.end-pc)/4))
		val, pc = r.val, r.end
	}
	return append(b, 0)
}

func (s synthTable) build() []byte {
	b, _ := s.buildGofunc()
	return b
}

// buildGofunc returns the table and the offset at which it placed the
// funcdata.
func (s synthTable) buildGofunc() ([]byte, uint32) {
	le := binary.LittleEndian
	put32 := func(b []byte, v uint32) []byte { return le.AppendUint32(b, v) }

	var names []byte
	nameOff := map[string]uint32{}
	addName := func(n string) uint32 {
		if o, ok := nameOff[n]; ok {
			return o
		}
		o := uint32(len(names))
		names = append(append(names, n...), 0)
		nameOff[n] = o
		return o
	}
	for _, f := range s.funcs {
		addName(f.name)
	}
	for _, f := range s.funcs {
		for _, in := range f.inl {
			addName(in.name)
		}
	}
	var filetab, cutab []byte
	for _, fn := range s.files {
		cutab = put32(cutab, uint32(len(filetab)))
		filetab = append(append(filetab, fn...), 0)
	}
	pctab := []byte{0} // offset 0 means "no table"
	addPC := func(runs []run) uint32 {
		if runs == nil {
			return 0
		}
		o := uint32(len(pctab))
		pctab = append(pctab, encodePC(runs)...)
		return o
	}

	// Funcdata (the inline trees), placed after the records.
	var gofunc []byte
	treeOff := make([]uint32, len(s.funcs))
	for i, f := range s.funcs {
		if f.inl == nil {
			continue
		}
		treeOff[i] = uint32(len(gofunc))
		for _, in := range f.inl {
			gofunc = append(gofunc, in.id, 0, 0, 0)
			gofunc = put32(gofunc, addName(in.name))
			gofunc = put32(gofunc, uint32(in.parentPc))
			gofunc = put32(gofunc, uint32(in.startLine))
		}
	}

	n := uint32(len(s.funcs))
	var recs []byte
	recOff := make([]uint32, n)
	entry := make([]uint32, n+1)
	e := s.text
	for i, f := range s.funcs {
		entry[i] = e
		e += f.size
	}
	entry[n] = e
	ftabSize := n*8 + 4 // the pairs, then the end pc
	for i, f := range s.funcs {
		recOff[i] = ftabSize + uint32(len(recs))
		recs = put32(recs, entry[i])
		recs = put32(recs, addName(f.name))
		recs = put32(recs, 0) // args
		recs = put32(recs, 0) // deferreturn
		recs = put32(recs, addPC(f.pcsp))
		recs = put32(recs, addPC(f.pcfile))
		recs = put32(recs, addPC(f.pcln))
		npc, nfd := uint32(0), uint8(0)
		if f.inl != nil {
			npc, nfd = 3, 4
		}
		recs = put32(recs, npc)
		recs = put32(recs, 0) // cuOffset
		recs = put32(recs, uint32(f.startLine))
		recs = append(recs, f.id, f.flag, 0, nfd)
		if f.inl != nil {
			recs = put32(recs, 0)
			recs = put32(recs, 0)
			recs = put32(recs, addPC(f.inlIdx))
			for j := 0; j < 4; j++ {
				if j == funcdataInlTree {
					recs = put32(recs, treeOff[i])
				} else {
					recs = put32(recs, ^uint32(0))
				}
			}
		}
	}
	var functab []byte
	for i := uint32(0); i < n; i++ {
		functab = put32(functab, entry[i])
		functab = put32(functab, recOff[i])
	}
	functab = put32(functab, entry[n])
	functab = append(functab, recs...)

	hdr := make([]byte, 0, headerSize)
	hdr = put32(hdr, magicGo120)
	hdr = append(hdr, 0, 0, pcQuantum, ptrSize)
	hdr = put32(hdr, n)
	hdr = put32(hdr, uint32(len(s.files)))
	hdr = put32(hdr, 0)
	off := uint32(headerSize)
	for _, part := range [][]byte{names, cutab, filetab, pctab} {
		hdr = put32(hdr, off)
		off += uint32(len(part))
	}
	hdr = put32(hdr, off)
	out := append([]byte(nil), hdr...)
	for _, part := range [][]byte{names, cutab, filetab, pctab, functab} {
		out = append(out, part...)
	}
	align := s.gofAlign
	if align == 0 {
		align = 4
	}
	for len(out)%align != 0 {
		out = append(out, 0)
	}
	return append(out, gofunc...), uint32(len(out))
}

// The synthetic program: main.outer (frame 24) calls main.mid (frame 16, with
// main.helper inlined into it at one call) which calls main.leaf (no frame).
// runtime.goexit tops the stack.
const synthText = 0x80100000

func synthProgram() synthTable {
	return synthTable{
		files:    []string{"/src/a.go", "/src/b.go"},
		text:     0x100,
		gofAlign: 16,
		funcs: []synthFunc{
			{name: "runtime.goexit", size: 0x10, id: FuncIDGoexit, flag: FlagTopFrame | FlagAsm, startLine: 1,
				pcsp: []run{{0x10, 0}}, pcfile: []run{{0x10, 1}}, pcln: []run{{0x10, 5}}},
			{name: "main.outer", size: 0x40, startLine: 10,
				// sw ra,-24(sp) at 0x0; addiu sp at 0x4; frame from 0x8; epilogue
				// addiu at 0x30, jr ra at 0x34 (delta 0), code after the return.
				pcsp:   []run{{0x8, 0}, {0x34, 24}, {0x38, 0}, {0x40, 24}},
				pcfile: []run{{0x40, 0}},
				pcln:   []run{{0x10, 10}, {0x20, 11}, {0x40, 12}}},
			{name: "main.mid[go.shape.int]", size: 0x50, startLine: 20,
				pcsp:   []run{{0x8, 0}, {0x50, 16}},
				pcfile: []run{{0x20, 0}, {0x30, 1}, {0x50, 0}},
				pcln:   []run{{0x20, 21}, {0x30, 40}, {0x50, 23}},
				inlIdx: []run{{0x20, -1}, {0x30, 0}, {0x50, -1}},
				inl:    []synthInl{{id: FuncIDNormal, name: "main.helper", parentPc: 0x1c, startLine: 39}}},
			{name: "main.leaf", size: 0x10, startLine: 30,
				pcsp: []run{{0x10, 0}}, pcfile: []run{{0x10, 0}}, pcln: []run{{0x10, 31}}},
			// Not called: a second inline tree (two levels deep), so that the
			// funcdata search has more than one tree to check.
			{name: "main.other", size: 0x40, startLine: 50,
				pcsp:   []run{{0x8, 0}, {0x40, 8}},
				pcfile: []run{{0x40, 0}},
				pcln:   []run{{0x10, 51}, {0x20, 61}, {0x30, 71}, {0x40, 52}},
				inlIdx: []run{{0x10, -1}, {0x20, 0}, {0x30, 1}, {0x40, -1}},
				inl: []synthInl{
					{id: FuncIDWrapper, name: "main.g", parentPc: 0xc, startLine: 60},
					{id: FuncIDNormal, name: "main.h", parentPc: 0x14, startLine: 70},
				}},
			// What the runtime's signal handler makes a faulting function
			// call: the unwinder must step over the word it pushes.
			{name: "runtime.sigpanic", size: 0x20, id: FuncIDSigpanic, startLine: 900,
				pcsp: []run{{0x8, 0}, {0x20, 16}}, pcfile: []run{{0x20, 1}}, pcln: []run{{0x20, 901}}},
		},
	}
}

func synthTab(t testing.TB) *Table {
	t.Helper()
	var tab Table
	if err := tab.Init(synthProgram().build()); err != nil {
		t.Fatalf("Init(synthetic): %v", err)
	}
	tab.SetText(synthText)
	return &tab
}

func TestSynthLookups(t *testing.T) {
	tab := synthTab(t)
	base := uintptr(synthText + 0x100)
	if tab.gofunc == 0 || tab.gofunc%16 != 0 {
		t.Errorf("funcdata start %#x, want a 16-aligned offset", tab.gofunc)
	}
	start, end := tab.TextRange()
	if start != base || end != base+0x10+0x40+0x50+0x10+0x40+0x20 {
		t.Errorf("TextRange = %#x-%#x", start, end)
	}
	cases := []struct {
		pc    uintptr
		name  string
		entry uintptr
		file  string
		line  int
		sp    int32
	}{
		{base, "runtime.goexit", base, "/src/b.go", 5, 0},
		{base + 0xc, "runtime.goexit", base, "/src/b.go", 5, 0},
		{base + 0x10, "main.outer", base + 0x10, "/src/a.go", 10, 0},
		{base + 0x14, "main.outer", base + 0x10, "/src/a.go", 10, 0},
		{base + 0x18, "main.outer", base + 0x10, "/src/a.go", 10, 24},
		{base + 0x20, "main.outer", base + 0x10, "/src/a.go", 11, 24},
		{base + 0x44, "main.outer", base + 0x10, "/src/a.go", 12, 0},
		{base + 0x4c, "main.outer", base + 0x10, "/src/a.go", 12, 24},
		{base + 0x50, "main.mid[go.shape.int]", base + 0x50, "/src/a.go", 21, 0},
		{base + 0x70, "main.mid[go.shape.int]", base + 0x50, "/src/b.go", 40, 16},
		{base + 0x9c, "main.mid[go.shape.int]", base + 0x50, "/src/a.go", 23, 16},
		{base + 0xa0, "main.leaf", base + 0xa0, "/src/a.go", 31, 0},
		{base + 0xac, "main.leaf", base + 0xa0, "/src/a.go", 31, 0},
	}
	for _, c := range cases {
		f, ok := tab.FuncAt(c.pc)
		if !ok {
			t.Errorf("FuncAt(%#x) failed", c.pc)
			continue
		}
		if n := tab.Name(f); n != c.name {
			t.Errorf("Name at %#x = %q, want %q", c.pc, n, c.name)
		}
		if e := tab.Entry(f); e != c.entry {
			t.Errorf("Entry at %#x = %#x, want %#x", c.pc, e, c.entry)
		}
		if file, line := tab.FileLine(f, c.pc); file != c.file || line != c.line {
			t.Errorf("FileLine at %#x = %s:%d, want %s:%d", c.pc, file, line, c.file, c.line)
		}
		if d := tab.SPDelta(f, c.pc); d != c.sp {
			t.Errorf("SPDelta at %#x = %d, want %d", c.pc, d, c.sp)
		}
	}
	for _, pc := range []uintptr{0, base - 4, end, end + 0x100} {
		if _, ok := tab.FuncAt(pc); ok {
			t.Errorf("FuncAt(%#x) succeeded outside the text", pc)
		}
	}
	f, _ := tab.FuncAt(base)
	if tab.FuncID(f) != FuncIDGoexit || tab.Flag(f) != FlagTopFrame|FlagAsm || tab.StartLine(f) != 1 {
		t.Errorf("goexit: id %d flag %d start %d", tab.FuncID(f), tab.Flag(f), tab.StartLine(f))
	}
	if tab.End(f) != base+0x10 {
		t.Errorf("End(goexit) = %#x", tab.End(f))
	}
}

// The funcdata search must find the base whatever the alignment the linker
// gave it.
func TestSynthFuncdataAlignment(t *testing.T) {
	for _, align := range []int{4, 8, 16, 32, 64} {
		for pad := 0; pad < 3; pad++ {
			p := synthProgram()
			p.gofAlign = align
			// Vary where the records end by lengthening a name.
			p.funcs[3].name += "xxxx"[:pad]
			b, want := p.buildGofunc()
			var tab Table
			if err := tab.Init(b); err != nil {
				t.Fatalf("align %d: %v", align, err)
			}
			if tab.gofunc != want {
				t.Errorf("align %d pad %d: funcdata found at %#x, built at %#x", align, pad, tab.gofunc, want)
			}
		}
	}
}

func TestSynthInlined(t *testing.T) {
	tab := synthTab(t)
	base := uintptr(synthText + 0x100)
	mid, _ := tab.FuncAt(base + 0x50)
	var out [4]InlFrame

	n := tab.Inlined(mid, base+0x74, out[:])
	if n != 2 {
		t.Fatalf("Inlined in helper: %d frames", n)
	}
	if tab.InlName(out[0]) != "main.helper" || !out[0].Inlined || out[0].StartLine != 39 {
		t.Errorf("frame 0 = %s inlined=%v start=%d", tab.InlName(out[0]), out[0].Inlined, out[0].StartLine)
	}
	if file, line := tab.InlFileLine(out[0]); file != "/src/b.go" || line != 40 {
		t.Errorf("frame 0 at %s:%d", file, line)
	}
	if tab.InlName(out[1]) != "main.mid[go.shape.int]" || out[1].Inlined || out[1].PC != base+0x50+0x1c {
		t.Errorf("frame 1 = %s inlined=%v pc=%#x", tab.InlName(out[1]), out[1].Inlined, out[1].PC)
	}
	if file, line := tab.InlFileLine(out[1]); file != "/src/a.go" || line != 21 {
		t.Errorf("frame 1 at %s:%d", file, line)
	}
	// Too short an out: innermost only.
	if n := tab.Inlined(mid, base+0x74, out[:1]); n != 1 || !out[0].Inlined {
		t.Errorf("Inlined with room for 1: n=%d", n)
	}
	// Outside the inlined body, and a function without a tree.
	if n := tab.Inlined(mid, base+0x90, out[:]); n != 1 || out[0].Inlined {
		t.Errorf("Inlined outside the body: n=%d", n)
	}
	leaf, _ := tab.FuncAt(base + 0xa0)
	if n := tab.Inlined(leaf, base+0xa4, out[:]); n != 1 || tab.InlName(out[0]) != "main.leaf" {
		t.Errorf("Inlined(leaf) = %d %q", n, tab.InlName(out[0]))
	}
	if n := tab.Inlined(Func{}, base, out[:]); n != 0 {
		t.Errorf("Inlined(invalid) = %d", n)
	}
	// Two levels: main.h inlined into main.g inlined into main.other.
	other, _ := tab.FuncAt(base + 0xb0)
	n = tab.Inlined(other, base+0xb0+0x24, out[:])
	var got []string
	for _, fr := range out[:n] {
		file, line := tab.InlFileLine(fr)
		got = append(got, fmt.Sprintf("%s %s:%d %v", tab.InlName(fr), file, line, fr.Inlined))
	}
	want := []string{"main.h /src/a.go:71 true", "main.g /src/a.go:61 true", "main.other /src/a.go:51 false"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("two-level inlining:\n got  %q\n want %q", got, want)
	}
}

// synthStack lays out the stack of goexit -> outer -> mid -> leaf, the leaf
// about to fault: the words of each frame, the saved return address at 0(SP).
type synthStack struct {
	words map[uintptr]uint32
	// SPs and return addresses of the frames.
	spLeaf, spMid, spOuter, spGoexit uintptr
	raMid, raOuter, raGoexit         uintptr // return addresses into each
}

func newSynthStack() synthStack {
	base := uintptr(synthText + 0x100)
	s := synthStack{words: map[uintptr]uint32{}}
	s.spGoexit = 0x7000
	s.spOuter = s.spGoexit - 24
	s.spMid = s.spOuter - 16
	s.spLeaf = s.spMid
	s.raGoexit = base + 0x8          // goexit called outer
	s.raOuter = base + 0x10 + 0x28   // outer called mid
	s.raMid = base + 0x50 + 0x1c + 8 // mid called leaf from the inlined helper
	s.words[s.spOuter] = uint32(s.raGoexit)
	s.words[s.spMid] = uint32(s.raOuter)
	for a := s.spMid + 4; a < s.spGoexit+64; a += 4 {
		if _, ok := s.words[a]; !ok {
			s.words[a] = 0xdeadbeef
		}
	}
	return s
}

func (s synthStack) read(a uintptr) (uint32, bool) {
	w, ok := s.words[a]
	return w, ok
}

func TestSynthUnwind(t *testing.T) {
	tab := synthTab(t)
	base := uintptr(synthText + 0x100)
	s := newSynthStack()
	want := []Frame{
		{PC: base + 0xa4, SP: s.spLeaf},
		{PC: s.raMid, SP: s.spMid, Return: true},
		{PC: s.raOuter, SP: s.spOuter, Return: true},
		{PC: s.raGoexit, SP: s.spGoexit, Return: true},
	}
	check := func(name string, got []Frame, want []Frame) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %d frames, want %d: %+v", name, len(got), len(want), got)
			return
		}
		for i := range got {
			g, w := got[i], want[i]
			if g.PC != w.PC || g.SP != w.SP || g.Return != w.Return {
				t.Errorf("%s: frame %d = pc %#x sp %#x ret %v, want pc %#x sp %#x ret %v",
					name, i, g.PC, g.SP, g.Return, w.PC, w.SP, w.Return)
			}
			if f, _ := tab.FuncAt(w.PC); w.PC != 0 && g.Func != f {
				t.Errorf("%s: frame %d func %s", name, i, tab.Name(g.Func))
			}
		}
	}
	var out [16]Frame

	// A fault in the leaf: the caller is in ra, SP unchanged.
	n := tab.Unwind(base+0xa4, s.spLeaf, s.raMid, s.read, out[:])
	check("leaf", out[:n], want)

	// A fault in mid after its prologue: ra is garbage, LR is at 0(SP).
	n = tab.Unwind(s.raMid-8, s.spMid, 0x1234, s.read, out[:])
	w := append([]Frame{{PC: s.raMid - 8, SP: s.spMid}}, want[2:]...)
	check("mid body", out[:n], w)

	// A fault in mid's prologue, between the store of ra and the SP
	// adjustment: SP is still outer's, the caller is in ra.
	n = tab.Unwind(base+0x54, s.spOuter, s.raOuter, s.read, out[:])
	w = append([]Frame{{PC: base + 0x54, SP: s.spOuter}}, want[2:]...)
	check("mid prologue", out[:n], w)

	// A fault in outer's epilogue at the jr ra, after SP was restored.
	n = tab.Unwind(base+0x10+0x34, s.spGoexit, s.raGoexit, s.read, out[:])
	w = []Frame{{PC: base + 0x10 + 0x34, SP: s.spGoexit}, want[3]}
	check("outer epilogue", out[:n], w)

	// A call through a nil func value from mid: pc 0, the caller in ra.
	n = tab.Unwind(0, s.spMid, s.raMid, s.read, out[:])
	w = append([]Frame{{PC: 0, SP: s.spMid}}, want[1:]...)
	check("nil call", out[:n], w)
	if out[0].Func.Valid() {
		t.Error("nil call: first frame has a function")
	}

	// out too small.
	if n := tab.Unwind(base+0xa4, s.spLeaf, s.raMid, s.read, out[:2]); n != 2 {
		t.Errorf("Unwind into 2 slots = %d", n)
	}
	if n := tab.Unwind(base+0xa4, s.spLeaf, s.raMid, s.read, nil); n != 0 {
		t.Errorf("Unwind into nil = %d", n)
	}

	// Unreadable stack: the walk stops where it needs memory.
	none := func(uintptr) (uint32, bool) { return 0, false }
	n = tab.Unwind(base+0xa4, s.spLeaf, s.raMid, none, out[:])
	check("unreadable", out[:n], want[:2])

	// A return address outside the text ends the walk with an invalid frame.
	bad := newSynthStack()
	bad.words[bad.spMid] = 0x1234568
	n = tab.Unwind(base+0xa4, bad.spLeaf, bad.raMid, bad.read, out[:])
	check("bad return", out[:n], append(want[:2:2], Frame{PC: 0x1234568, SP: bad.spOuter, Return: true}))

	// A return address into a frameless function cannot be a caller: the
	// SP would not increase.
	loop := newSynthStack()
	loop.words[loop.spMid] = uint32(base + 0xa8)
	n = tab.Unwind(base+0xa4, loop.spLeaf, loop.raMid, loop.read, out[:])
	check("no progress", out[:n], append(want[:2:2], Frame{PC: base + 0xa8, SP: loop.spOuter, Return: true}))

	// A misaligned SP is not read.
	n = tab.Unwind(s.raMid-8, s.spMid+2, 0, s.read, out[:])
	if n != 1 {
		t.Errorf("misaligned SP: %d frames", n)
	}
	// runtime.sigpanic injected by a signal handler. The handler pushes R31
	// below the interrupted SP and makes the interrupted pc sigpanic's
	// return address; sigpanic then opens its 16-byte frame (saving that
	// pc at 0(SP)). The kernel faults inside sigpanic.
	sigpanic := base + 0xf0
	inject := func(s synthStack, pc, sp, r31 uintptr) (synthStack, uintptr) {
		s.words[sp-4] = uint32(r31)
		s.words[sp-4-16] = uint32(pc)
		return s, sp - 4 - 16
	}
	// ... interrupting the leaf (no frame: its caller is the pushed R31).
	st, spSig := inject(newSynthStack(), base+0xa4, s.spLeaf, s.raMid)
	n = tab.Unwind(sigpanic+0x10, spSig, base+0xa4, st.read, out[:])
	w = append([]Frame{{PC: sigpanic + 0x10, SP: spSig}, {PC: base + 0xa4, SP: s.spLeaf}}, want[1:]...)
	check("sigpanic from the leaf", out[:n], w)
	// ... interrupting mid after its prologue (its R31 is stale: the caller
	// comes from 0(SP)).
	st, spSig = inject(newSynthStack(), s.raMid-8, s.spMid, 0x5555)
	n = tab.Unwind(sigpanic+0x10, spSig, 0, st.read, out[:])
	w = append([]Frame{{PC: sigpanic + 0x10, SP: spSig}, {PC: s.raMid - 8, SP: s.spMid}}, want[2:]...)
	check("sigpanic from mid", out[:n], w)
	// ... after a call through nil from mid: the pc is not Go code, so the
	// handler left R31 (the return address into mid) as sigpanic's caller.
	st, spSig = inject(newSynthStack(), s.raMid, s.spMid, s.raMid)
	n = tab.Unwind(sigpanic+0x10, spSig, 0, st.read, out[:])
	w = append([]Frame{{PC: sigpanic + 0x10, SP: spSig}, {PC: s.raMid, SP: s.spMid}}, want[2:]...)
	check("sigpanic after a nil call", out[:n], w)

	// Zero ra in a leaf: nothing more to find.
	if n := tab.Unwind(base+0xa4, s.spLeaf, 0, s.read, out[:]); n != 1 {
		t.Errorf("leaf with ra 0: %d frames", n)
	}
}
