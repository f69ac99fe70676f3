package symtab

import (
	"encoding/binary"
	"math/rand"
	"testing"
)

// A corrupt or truncated table must make lookups fail, never panic: the
// kernel reads it while it is already handling a fault.

// exercise calls every lookup on tab around pc, with the function FuncAt
// finds and with arbitrary Func values, and unwinds a made-up stack whose
// words are drawn from seed (many of them pcs in the table's text).
func exercise(tab *Table, pc uintptr, seed uint64) {
	var inl [8]InlFrame
	var out [16]Frame
	var buf [512]byte
	start, end := tab.TextRange()
	word := func(a uintptr) (uint32, bool) {
		h := (uint64(a) ^ seed) * 0x9e3779b97f4a7c15
		h ^= h >> 29
		switch h % 5 {
		case 0:
			return 0, false
		case 1, 2:
			if end > start {
				return uint32(start + uintptr(h>>8)%(end-start)), true
			}
		}
		return uint32(h >> 32), true
	}
	fs := []Func{{}, {off: uint32(seed)}, {off: uint32(seed>>32) % uint32(len(tab.data)+1)}}
	if f, ok := tab.FuncAt(pc); ok {
		fs = append(fs, f)
	}
	for _, f := range fs {
		_ = f.Valid()
		_ = tab.Name(f)
		_ = tab.Entry(f)
		_ = tab.End(f)
		_, _ = tab.FileLine(f, pc)
		_ = tab.SPDelta(f, pc)
		_ = tab.FuncID(f)
		_ = tab.Flag(f)
		_ = tab.StartLine(f)
		n := tab.Inlined(f, pc, inl[:])
		for _, fr := range inl[:n] {
			_ = tab.InlName(fr)
			_, _ = tab.InlFileLine(fr)
		}
		_ = tab.AppendFrame(buf[:0], Frame{PC: pc, Func: f})
		_ = tab.AppendFrame(buf[:0], Frame{PC: pc, Func: f, Return: true})
	}
	sp := uintptr(seed>>40) &^ 3
	n := tab.Unwind(pc, sp, uintptr(seed>>8), word, out[:])
	for _, fr := range out[:n] {
		_ = tab.AppendFrame(buf[:0], fr)
	}
	for i := 0; i < 4; i++ {
		_, _ = tab.FuncIndex(int(seed>>(8*i)) % (tab.NumFuncs() + 2))
	}
}

// exerciseAll runs exercise over pcs spread through the text and around it.
func exerciseAll(tab *Table, r *rand.Rand, n int) {
	start, end := tab.TextRange()
	for i := 0; i < n; i++ {
		pc := uintptr(r.Uint32())
		if end > start && i%4 != 0 {
			pc = start + uintptr(r.Int63())%(end-start+64) - 32
		}
		exercise(tab, pc, r.Uint64())
	}
}

func TestInitErrors(t *testing.T) {
	good := synthProgram().build()
	le := binary.LittleEndian
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"header cut", good[:headerSize-1], ErrShort},
		{"go1.18 magic", mod(func(b []byte) { le.PutUint32(b, 0xfffffff0) }), ErrMagic},
		{"big-endian", mod(func(b []byte) { binary.BigEndian.PutUint32(b, magicGo120) }), ErrMagic},
		{"zeros", make([]byte, 4096), ErrMagic},
		{"64-bit", mod(func(b []byte) { b[7] = 8 }), ErrArch},
		{"x86 quantum", mod(func(b []byte) { b[6] = 1 }), ErrArch},
		{"pad", mod(func(b []byte) { b[5] = 1 }), ErrArch},
		{"offsets out of order", mod(func(b []byte) { le.PutUint32(b[24:], le.Uint32(b[28:])+1) }), ErrLayout},
		{"offset past the end", mod(func(b []byte) { le.PutUint32(b[36:], uint32(len(good)+1)) }), ErrLayout},
		{"offset inside the header", mod(func(b []byte) { le.PutUint32(b[20:], 8) }), ErrLayout},
		{"no functions", mod(func(b []byte) { le.PutUint32(b[8:], 0) }), ErrFunctab},
		{"too many functions", mod(func(b []byte) { le.PutUint32(b[8:], 1<<20) }), ErrFunctab},
		{"huge nfunc", mod(func(b []byte) { le.PutUint32(b[8:], 0xffffffff) }), ErrFunctab},
		{"unsorted", mod(func(b []byte) {
			ft := le.Uint32(b[36:])
			le.PutUint32(b[ft+8:], 0xffff)
		}), ErrUnsorted},
	}
	for _, c := range cases {
		var tab Table
		tab.SetText(1) // Init must reset a table it rejects
		if err := tab.Init(c.data); err != c.want {
			t.Errorf("%s: Init = %v, want %v", c.name, err, c.want)
		}
		if tab.NumFuncs() != 0 || tab.Text() != 0 {
			t.Errorf("%s: a rejected table is not empty", c.name)
		}
		if _, ok := tab.FuncAt(0x80100100); ok {
			t.Errorf("%s: FuncAt on a rejected table succeeded", c.name)
		}
		exerciseAll(&tab, rand.New(rand.NewSource(1)), 10)
	}
	var zero Table
	exerciseAll(&zero, rand.New(rand.NewSource(2)), 10)
	if n := zero.Unwind(0x80100000, 0x1000, 0x80100000, func(uintptr) (uint32, bool) { return 0, true }, make([]Frame, 4)); n != 2 {
		t.Errorf("Unwind on an empty table: %d frames, want the unknown pc and ra", n)
	}
}

// Every prefix of the synthetic table, and every single-byte change of it.
func TestCorruptSynth(t *testing.T) {
	good := synthProgram().build()
	r := rand.New(rand.NewSource(3))
	for n := 0; n <= len(good); n++ {
		var tab Table
		if tab.Init(good[:n]) == nil {
			tab.SetText(synthText)
		}
		exerciseAll(&tab, r, 8)
	}
	for i := range good {
		for _, v := range []byte{0, 0xff, good[i] ^ 0x80, good[i] + 1} {
			b := append([]byte(nil), good...)
			b[i] = v
			var tab Table
			if tab.Init(b) == nil {
				tab.SetText(synthText)
			}
			exerciseAll(&tab, r, 8)
		}
	}
}

// Prefixes and random damage of a real table.
func TestCorruptReal(t *testing.T) {
	im := loadImage(t)
	good := im.pclntab
	tab0 := &im.tab
	r := rand.New(rand.NewSource(4))
	// Prefixes cut at and around every sub-table boundary and at random.
	cuts := []uint32{tab0.funcname, tab0.cu, tab0.filetab, tab0.pctab, tab0.functab, tab0.gofunc,
		tab0.functab + 8*tab0.nfunc, tab0.functab + 8*tab0.nfunc + 4}
	for i := 0; i < 40; i++ {
		cuts = append(cuts, uint32(r.Intn(len(good))))
	}
	for _, c := range cuts {
		for _, d := range []int{-5, -1, 0, 1, 7} {
			n := int(c) + d
			if n < 0 || n > len(good) {
				continue
			}
			var tab Table
			if tab.Init(good[:n]) == nil {
				tab.SetText(uintptr(im.text))
			}
			exerciseAll(&tab, r, 50)
		}
	}
	// Random bytes overwritten, mostly in the parts lookups read.
	b := make([]byte, len(good))
	for round := 0; round < 150; round++ {
		copy(b, good)
		for k := 0; k < 1+r.Intn(64); k++ {
			var at int
			switch r.Intn(4) {
			case 0:
				at = r.Intn(headerSize)
			case 1:
				at = int(tab0.functab) + r.Intn(len(good)-int(tab0.functab))
			case 2:
				at = int(tab0.pctab) + r.Intn(int(tab0.functab-tab0.pctab))
			default:
				at = r.Intn(len(b))
			}
			b[at] = byte(r.Intn(256))
		}
		var tab Table
		if tab.Init(b) == nil {
			tab.SetText(uintptr(im.text))
		}
		exerciseAll(&tab, r, 100)
	}
	// Random bytes behind a valid header copied from the real table.
	for round := 0; round < 50; round++ {
		r.Read(b)
		copy(b, good[:headerSize])
		var tab Table
		if tab.Init(b) == nil {
			tab.SetText(uintptr(im.text))
		}
		exerciseAll(&tab, r, 50)
	}
}

func FuzzInit(f *testing.F) {
	good := synthProgram().build()
	f.Add(good)
	f.Add(good[:headerSize])
	f.Add(good[:len(good)/2])
	f.Add([]byte{0xf1, 0xff, 0xff, 0xff, 0, 0, 4, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		var tab Table
		if tab.Init(data) != nil {
			if tab.NumFuncs() != 0 {
				t.Fatal("rejected table is not empty")
			}
			return
		}
		tab.SetText(synthText)
		exerciseAll(&tab, rand.New(rand.NewSource(int64(len(data)))), 16)
	})
}

func FuzzLookup(f *testing.F) {
	good := synthProgram().build()
	base := uint32(synthText + 0x100)
	s := newSynthStack()
	var stack []byte
	for a := s.spLeaf; a < s.spGoexit+64; a += 4 {
		stack = binary.LittleEndian.AppendUint32(stack, s.words[a])
	}
	f.Add(good, base+0xa4, uint32(s.spLeaf), uint32(s.raMid), stack)
	f.Add(good, base+0x74, uint32(s.spMid), uint32(0), stack)
	f.Add(good, uint32(0), uint32(s.spMid), uint32(s.raMid), stack)
	f.Fuzz(func(t *testing.T, table []byte, pc, sp, ra uint32, stack []byte) {
		var tab Table
		if tab.Init(table) != nil {
			return
		}
		tab.SetText(synthText)
		read := func(a uintptr) (uint32, bool) {
			if a < uintptr(sp) || a-uintptr(sp)+4 > uintptr(len(stack)) {
				return 0, false
			}
			return binary.LittleEndian.Uint32(stack[a-uintptr(sp):]), true
		}
		var out [32]Frame
		var buf [256]byte
		n := tab.Unwind(uintptr(pc), uintptr(sp), uintptr(ra), read, out[:])
		if n > len(out) {
			t.Fatalf("Unwind returned %d", n)
		}
		for i, fr := range out[:n] {
			if i > 1 && fr.SP <= out[i-1].SP {
				t.Fatalf("frame %d SP %#x not above %#x", i, fr.SP, out[i-1].SP)
			}
			_ = tab.AppendFrame(buf[:0], fr)
		}
		exercise(&tab, uintptr(pc), uint64(sp)<<32|uint64(ra))
	})
}
