package symtab

import (
	"debug/gosym"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file read the table of a real mipsle binary built by the
// stock toolchain and compare with debug/gosym, with the machine code, and
// with what the Go runtime itself reports under qemu-mipsel.

func gosymTable(t *testing.T, im *image) *gosym.Table {
	t.Helper()
	lt := gosym.NewLineTable(im.pclntab, im.text)
	tab, err := gosym.NewTable(nil, lt)
	if err != nil {
		t.Fatalf("debug/gosym: %v", err)
	}
	return tab
}

func TestRealHeader(t *testing.T) {
	im := loadImage(t)
	tab := &im.tab
	if tab.NumFuncs() < 1000 {
		t.Errorf("NumFuncs = %d, want a few thousand", tab.NumFuncs())
	}
	start, end := tab.TextRange()
	if uint64(start) != im.text {
		t.Errorf("TextRange start %#x, want runtime.text %#x", start, im.text)
	}
	if etext := im.syms["runtime.etext"]; uint64(end) > etext+64 || uint64(end) < etext-64 {
		t.Errorf("TextRange end %#x, runtime.etext %#x", end, etext)
	}
	// The funcdata base found by searching must be the linker's go:func.*.
	gofunc, ok := im.syms["go:func.*"]
	if !ok {
		t.Fatal("no go:func.* symbol in the binary")
	}
	if got := im.pclnAddr + uint64(tab.gofunc); got != gofunc {
		t.Errorf("funcdata located at %#x, go:func.* is at %#x", got, gofunc)
	}
}

func TestRealAgainstGosym(t *testing.T) {
	im := loadImage(t)
	tab := &im.tab
	gt := gosymTable(t, im)
	if len(gt.Funcs) != tab.NumFuncs() {
		t.Errorf("debug/gosym has %d funcs, table has %d", len(gt.Funcs), tab.NumFuncs())
	}
	pcs := 0
	for i := range gt.Funcs {
		gf := &gt.Funcs[i]
		f, ok := tab.FuncAt(uintptr(gf.Entry))
		if !ok {
			t.Errorf("FuncAt(%#x) (%s) failed", gf.Entry, gf.Name)
			continue
		}
		if fi, ok := tab.FuncIndex(i); !ok || fi != f {
			t.Errorf("FuncIndex(%d) = %v, FuncAt(entry) = %v", i, fi, f)
		}
		if name := tab.Name(f); name != gf.Name {
			t.Errorf("Name at %#x = %q, debug/gosym %q", gf.Entry, name, gf.Name)
		}
		if e := tab.Entry(f); uint64(e) != gf.Entry {
			t.Errorf("%s: Entry = %#x, want %#x", gf.Name, e, gf.Entry)
		}
		if e := tab.End(f); uint64(e) != gf.End {
			t.Errorf("%s: End = %#x, want %#x", gf.Name, e, gf.End)
		}
		// Entry, last instruction, and a stride in between.
		stride := uint64(4)
		if n := (gf.End - gf.Entry) / 4; n > 32 {
			stride = 4 * (n / 16)
		}
		check := func(pc uint64) {
			pcs++
			g, ok := tab.FuncAt(uintptr(pc))
			if !ok || g != f {
				t.Errorf("FuncAt(%#x) = %v %v, want %s", pc, g, ok, gf.Name)
				return
			}
			file, line := tab.FileLine(f, uintptr(pc))
			wfile, wline, _ := gt.PCToLine(pc)
			if wfile == "" {
				wfile, wline = "?", 0
			}
			if file != wfile || line != wline {
				t.Errorf("FileLine(%s, %#x) = %s:%d, debug/gosym %s:%d", gf.Name, pc, file, line, wfile, wline)
			}
		}
		for pc := gf.Entry; pc < gf.End; pc += stride {
			check(pc)
		}
		if gf.End > gf.Entry+4 {
			check(gf.End - 4)
		}
	}
	t.Logf("%d functions, %d pcs compared with debug/gosym", len(gt.Funcs), pcs)

	// Outside the text.
	start, end := tab.TextRange()
	for _, pc := range []uintptr{0, start - 4, end, end + 4, ^uintptr(0)} {
		if f, ok := tab.FuncAt(pc); ok {
			t.Errorf("FuncAt(%#x) = %s, want failure", pc, tab.Name(f))
		}
	}
}

func TestRealFuncIDs(t *testing.T) {
	im := loadImage(t)
	tab := &im.tab
	for _, c := range []struct {
		name string
		id   uint8
		top  bool
	}{
		{"runtime.goexit", FuncIDGoexit, true},
		{"runtime.mstart", FuncIDMstart, true},
		{"runtime.rt0_go", FuncIDRt0Go, true},
		{"runtime.gopanic", FuncIDGopanic, false},
		{"runtime.sigpanic", FuncIDSigpanic, false},
		{"runtime.asyncPreempt", FuncIDAsyncPreempt, false},
		{"main.chainD", FuncIDNormal, false},
	} {
		addr, ok := im.syms[c.name]
		if !ok {
			t.Errorf("no symbol %s", c.name)
			continue
		}
		f, ok := tab.FuncAt(uintptr(addr))
		if !ok || tab.Name(f) != c.name {
			t.Errorf("FuncAt(%s) = %q %v", c.name, tab.Name(f), ok)
			continue
		}
		if got := tab.FuncID(f); got != c.id {
			t.Errorf("FuncID(%s) = %d, want %d", c.name, got, c.id)
		}
		if top := tab.Flag(f)&FlagTopFrame != 0; top != c.top {
			t.Errorf("%s: top-frame flag %v, want %v", c.name, top, c.top)
		}
	}
	// The compiler's go and defer wrappers (f.gowrap1, f.deferwrap1) are
	// marked as wrappers.
	wrappers := 0
	for i := 0; i < tab.NumFuncs(); i++ {
		f, _ := tab.FuncIndex(i)
		if name := tab.Name(f); strings.Contains(name, ".gowrap") || strings.Contains(name, ".deferwrap") {
			wrappers++
			if tab.FuncID(f) != FuncIDWrapper {
				t.Errorf("%s: FuncID %d, want wrapper %d", name, tab.FuncID(f), FuncIDWrapper)
			}
		}
	}
	if wrappers == 0 {
		t.Error("no gowrap or deferwrap function to check FuncIDWrapper against")
	}
}

// TestRealSPDelta checks the pcsp decoding against the instructions. The
// MIPS prologue of a function with a frame is
//
//	sw    ra, -N(sp)
//	addiu sp, sp, -N
//
// so the frame size is 0 up to and including the addiu and N just after.
func TestRealSPDelta(t *testing.T) {
	im := loadImage(t)
	tab := &im.tab
	checked, frameless := 0, 0
	for i := 0; i < tab.NumFuncs(); i++ {
		f, _ := tab.FuncIndex(i)
		entry, end := tab.Entry(f), tab.End(f)
		if strings.HasPrefix(tab.Name(f), "go:") {
			continue // linker markers (go:textfipsstart...): no code, no tables
		}
		if d := tab.SPDelta(f, entry); d != 0 && tab.Flag(f)&FlagSPWrite == 0 {
			t.Errorf("%s: SPDelta at entry = %d", tab.Name(f), d)
		}
		// Find the first addiu sp, sp, -N (0x27bd << 16 | -N).
		var adj uintptr
		var size int32
		for pc := entry; pc < end && pc < entry+64; pc += 4 {
			w, ok := im.word(uint64(pc))
			if !ok {
				t.Fatalf("no text at %#x", pc)
			}
			if w>>16 == 0x27bd && int16(w) < 0 {
				adj, size = pc, -int32(int16(w))
				break
			}
		}
		if adj == 0 {
			// No frame, if the table agrees: 0 at every pc.
			if tab.Flag(f)&(FlagSPWrite|FlagAsm) != 0 {
				continue
			}
			for pc := entry; pc < end; pc += 4 {
				// Functions are padded with zero words (nops) that the
				// table does not cover.
				if w, _ := im.word(uint64(pc)); w == 0 && tab.SPDelta(f, pc) == -1 {
					continue
				}
				if d := tab.SPDelta(f, pc); d != 0 {
					t.Errorf("%s: no prologue found but SPDelta(%#x) = %d", tab.Name(f), pc, d)
					break
				}
			}
			frameless++
			continue
		}
		prev, _ := im.word(uint64(adj - 4))
		if tab.Flag(f)&(FlagSPWrite|FlagAsm) != 0 {
			// Assembly may build its frame its own way.
		} else if prev>>16 != 0xafbf || int16(prev) != int16(-size) {
			t.Errorf("%s: instruction before the SP adjustment is %#08x, want sw ra, %d(sp)", tab.Name(f), prev, -size)
		}
		if d := tab.SPDelta(f, adj); d != 0 {
			t.Errorf("%s: SPDelta at the SP adjustment %#x = %d, want 0", tab.Name(f), adj, d)
		}
		if d := tab.SPDelta(f, adj+4); d != size {
			t.Errorf("%s: SPDelta after the SP adjustment %#x = %d, want %d", tab.Name(f), adj+4, d, size)
		}
		checked++
	}
	if checked < tab.NumFuncs()/2 {
		t.Errorf("only %d of %d functions had a recognisable prologue", checked, tab.NumFuncs())
	}
	t.Logf("%d prologues checked, %d frameless functions", checked, frameless)
}

// logical is one logical frame as text, for comparisons.
type logical struct {
	name, file string
	line       int
	id         uint8
}

func (l logical) String() string { return fmt.Sprintf("%s|%s|%d", l.name, l.file, l.line) }

// ourFrames expands the inlined frames at pc the way runtime.CallersFrames
// reports them: names printed with "[...]", and the outer wrapper frames the
// runtime elides dropped.
func ourFrames(tab *Table, f Func, pc uintptr) []logical {
	var inl [32]InlFrame
	n := tab.Inlined(f, pc, inl[:])
	var out []logical
	var kept uint8
	for i := 0; i < n; i++ {
		id := inl[i].FuncID
		if i > 0 && id == FuncIDWrapper && kept != FuncIDGopanic && kept != FuncIDSigpanic && kept != 15 /* panicwrap */ {
			continue
		}
		file, line := tab.InlFileLine(inl[i])
		out = append(out, logical{printName(tab.InlName(inl[i])), file, line, id})
		kept = id
	}
	return out
}

// TestRealInlinedAgainstRuntime compares Inlined with the frames the runtime
// reports, under qemu-mipsel, for a sample of pcs across the binary.
func TestRealInlinedAgainstRuntime(t *testing.T) {
	im := loadImage(t)
	needQemu(t)
	tab := &im.tab
	// Every function's entry, and a stride of pcs through every function
	// that has an inline tree.
	var pcs []uintptr
	withTree := 0
	for i := 0; i < tab.NumFuncs(); i++ {
		f, _ := tab.FuncIndex(i)
		if name := tab.Name(f); strings.HasPrefix(name, "go:") || name == "main.sentinel" {
			// Linker markers have no tables (the runtime does not even
			// find the last one); the sentinel ends the program's lists.
			continue
		}
		entry, end := tab.Entry(f), tab.End(f)
		pcs = append(pcs, entry)
		if _, ok := tab.funcdata(f, funcdataInlTree); !ok {
			continue
		}
		withTree++
		for pc := entry + 4; pc < end; pc += 12 {
			pcs = append(pcs, pc)
		}
	}
	var in strings.Builder
	for _, pc := range pcs {
		fmt.Fprintf(&in, "%x\n", pc)
	}
	out := runProg(t, in.String(), "pcs")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(pcs) {
		t.Fatalf("%d pcs sent, %d lines back", len(pcs), len(lines))
	}
	inlinedSeen, bad := 0, 0
	for _, ln := range lines {
		fields := strings.Fields(ln)
		if len(fields) < 2 || fields[0] != "PC" {
			t.Fatalf("bad line %q", ln)
		}
		pc64, err := strconv.ParseUint(fields[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		pc := uintptr(pc64)
		want := fields[2:]
		f, ok := tab.FuncAt(pc)
		if !ok {
			t.Errorf("FuncAt(%#x) failed", pc)
			continue
		}
		got := ourFrames(tab, f, pc)
		// The runtime gives no name to the function whose name is at
		// offset 0 of funcnametab (runtime.(*moduledata).funcName treats
		// nameOff 0 as "no name"); the linker does put the first
		// function's name there, and debug/gosym and this package read it.
		for i := range got {
			if i == len(got)-1 && tab.field(f, fNameOff) == 0 {
				got[i].name = ""
			}
		}
		if len(got) > 1 {
			inlinedSeen++
		}
		var gs []string
		for _, l := range got {
			gs = append(gs, l.String())
		}
		if strings.Join(gs, " ") != strings.Join(want, " ") {
			bad++
			if bad <= 10 {
				t.Errorf("pc %#x:\n got  %v\n want %v", pc, gs, want)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pcs differ", bad, len(pcs))
	}
	if inlinedSeen < 100 {
		t.Errorf("only %d pcs with inlined frames compared", inlinedSeen)
	}
	t.Logf("%d pcs (%d functions with inline trees, %d pcs inside inlined code) match the runtime", len(pcs), withTree, inlinedSeen)
}
