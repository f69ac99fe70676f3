package symtab

import (
	"fmt"
	"strings"
	"testing"
)

// The trap-time paths must not allocate. They are measured on the synthetic
// table (always available) and, when the toolchain and qemu are there, on the
// real binary and its captured stack; the mipsle process measures itself too
// (TestUnwindQemu).

var sinkInt int
var sinkStr string

func checkNoAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%s: %v allocations per run", name, n)
	}
}

func TestNoAllocsSynth(t *testing.T) {
	tab := synthTab(t)
	s := newSynthStack()
	words := make([]uint32, 64)
	lo := s.spLeaf
	for a, w := range s.words {
		if a >= lo && (a-lo)/4 < uintptr(len(words)) {
			words[(a-lo)/4] = w
		}
	}
	read := func(a uintptr) (uint32, bool) {
		if a < lo || (a-lo)/4 >= uintptr(len(words)) {
			return 0, false
		}
		return words[(a-lo)/4], true
	}
	base := uintptr(synthText + 0x100)
	allocChecks(t, tab, base+0x74, base+0xa4, s.spLeaf, s.raMid, read)
	checkNoAllocs(t, "Init", func() {
		var tt Table
		if tt.Init(tab.data) != nil {
			t.Fatal("Init failed")
		}
		if tt.Init(tab.data[:10]) == nil {
			t.Fatal("Init succeeded on 10 bytes")
		}
	})
}

func TestNoAllocsReal(t *testing.T) {
	im := loadImage(t)
	d := loadDump(t)
	allocChecks(t, &im.tab, d.ra-4, d.pc, d.sp, d.ra, d.read)
	checkNoAllocs(t, "Init", func() {
		var tt Table
		if tt.Init(im.pclntab) != nil {
			t.Fatal("Init failed")
		}
	})
}

func allocChecks(t *testing.T, tab *Table, pc, fault, sp, ra uintptr, read func(uintptr) (uint32, bool)) {
	t.Helper()
	f, ok := tab.FuncAt(pc)
	if !ok {
		t.Fatalf("FuncAt(%#x) failed", pc)
	}
	checkNoAllocs(t, "FuncAt", func() {
		g, _ := tab.FuncAt(pc)
		sinkInt += int(g.off)
	})
	checkNoAllocs(t, "Name", func() { sinkStr = tab.Name(f) })
	checkNoAllocs(t, "FileLine", func() {
		file, line := tab.FileLine(f, pc)
		sinkStr = file
		sinkInt += line
	})
	checkNoAllocs(t, "SPDelta", func() { sinkInt += int(tab.SPDelta(f, pc)) })
	checkNoAllocs(t, "Inlined", func() {
		var inl [8]InlFrame
		n := tab.Inlined(f, pc, inl[:])
		for _, fr := range inl[:n] {
			sinkStr = tab.InlName(fr)
			sinkStr, sinkInt = tab.InlFileLine(fr)
		}
	})
	var out [32]Frame
	checkNoAllocs(t, "Unwind", func() {
		sinkInt += tab.Unwind(fault, sp, ra, read, out[:])
	})
	n := tab.Unwind(fault, sp, ra, read, out[:])
	if n < 3 {
		t.Fatalf("Unwind found %d frames", n)
	}
	var buf [4096]byte
	checkNoAllocs(t, "AppendFrame", func() {
		b := buf[:0]
		for _, fr := range out[:n] {
			b = tab.AppendFrame(b, fr)
		}
		sinkInt += len(b)
	})
}

func TestAppendFrameFormat(t *testing.T) {
	tab := synthTab(t)
	base := uintptr(synthText + 0x100)
	s := newSynthStack()
	var out [8]Frame
	n := tab.Unwind(base+0xa4, s.spLeaf, s.raMid, s.read, out[:])
	b := make([]byte, 0, 2048)
	for _, fr := range out[:n] {
		b = tab.AppendFrame(b, fr)
	}
	got := string(b)
	want := fmt.Sprintf(`  0x%08x main.leaf+0x4
      /src/a.go:31
  0x%08x main.helper (inlined)
      /src/b.go:40
  0x%08x main.mid[...]+0x24
      /src/a.go:21
  0x%08x main.outer+0x28
      /src/a.go:12
  0x%08x runtime.goexit+0x8
      /src/b.go:5
`, base+0xa4, s.raMid, s.raMid, s.raOuter, s.raGoexit)
	if got != want {
		t.Errorf("AppendFrame:\n%s\nwant:\n%s", got, want)
	}

	// An unknown pc.
	if got := string(tab.AppendFrame(nil, Frame{PC: 0x1234})); got != "" {
		t.Errorf("AppendFrame into a zero-capacity slice wrote %q", got)
	}
	var small [64]byte
	if got := string(tab.AppendFrame(small[:0], Frame{PC: 0x1234})); got != "  0x00001234 ?\n" {
		t.Errorf("unknown pc: %q", got)
	}

	// Never grows the slice: cut at every capacity.
	full := tab.AppendFrame(make([]byte, 0, 1024), out[1])
	for c := 0; c <= len(full); c++ {
		dst := make([]byte, 0, c)
		got := tab.AppendFrame(dst, out[1])
		if cap(got) != c || string(got) != string(full[:c]) {
			t.Fatalf("capacity %d: got %q (cap %d), want %q", c, got, cap(got), full[:c])
		}
	}
	// Appends after what dst already holds.
	pre := append(make([]byte, 0, 256), "x: "...)
	if got := string(tab.AppendFrame(pre, out[0])); !strings.HasPrefix(got, "x:   0x") {
		t.Errorf("append after a prefix: %q", got)
	}
}

func TestAppendHelpers(t *testing.T) {
	var buf [64]byte
	for _, c := range []struct {
		v    uint64
		min  int
		want string
	}{
		{0, 1, "0"}, {0, 8, "00000000"}, {0x1c, 1, "1c"}, {0x80123456, 8, "80123456"},
		{0xffffffffffffffff, 8, "ffffffffffffffff"}, {0x1234, 8, "00001234"},
	} {
		if got := string(appendHex(buf[:0], c.v, c.min)); got != c.want {
			t.Errorf("appendHex(%#x, %d) = %q", c.v, c.min, got)
		}
	}
	for _, v := range []int{0, 7, 10, 1234, -5, 2147483647, -2147483648} {
		if got, want := string(appendDec(buf[:0], v)), fmt.Sprint(v); got != want {
			t.Errorf("appendDec(%d) = %q", v, got)
		}
	}
	for name, want := range map[string]string{
		"main.f":                         "main.f",
		"main.g[go.shape.int]":           "main.g[...]",
		"main.(*T[go.shape.int]).M":      "main.(*T[...]).M",
		"main.h[go.shape.[]uint8].func1": "main.h[...].func1",
		"weird]name[":                    "weird]name[",
		"type:.eq.[2]interface {}":       "type:.eq.[...]interface {}",
	} {
		if got := string(appendFuncName(buf[:0], name)); got != want || got != printName(name) {
			t.Errorf("appendFuncName(%q) = %q, want %q (runtime style %q)", name, got, want, printName(name))
		}
	}
}
