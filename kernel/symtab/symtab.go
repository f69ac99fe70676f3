// Package symtab reads the Go function table (the .gopclntab section, the
// bytes between the linker symbols runtime.pclntab and runtime.epclntab) of a
// GOARCH=mipsle image and unwinds Go stacks with it, so that the kernel can
// print a symbolized stack when it faults in trap context, where the runtime's
// own traceback cannot run (it needs a real g and m, and FuncForPC allocates
// for inlined frames).
//
// Trap-safe: after Init, no method allocates from the Go heap, takes a lock,
// blocks, panics or stores a pointer. Every offset read from the table is
// bounds-checked, so a corrupt or truncated table makes lookups fail
// (ok=false, "?" or -1) instead of faulting. Init does not allocate either and
// may run before the Go runtime is started; its errors are constants.
//
// The format is the one written by the Go 1.26 linker
// (cmd/link/internal/ld/pcln.go) for a 32-bit little-endian target:
//
//	pcHeader     magic 0xfffffff1, 0, 0, minLC 4, ptrSize 4, nfunc, nfiles,
//	             unused, then offsets (from the header) of the five tables below
//	funcnametab  NUL-terminated function names
//	cutab        per compilation unit, uint32 offsets into filetab
//	filetab      NUL-terminated file names
//	pctab        pc-value tables (varint-encoded delta pairs)
//	functab      nfunc pairs {entry offset from runtime.text, _func offset},
//	             one end entry, then the _func records, each followed by its
//	             pcdata and funcdata offsets
//	go:func.*    funcdata (inline trees, stack maps...); the Go 1.26 linker
//	             puts it inside the section, right after the _func records
//	findfunctab  the runtime's pc-to-function bucket index (not used here)
//
// Function entries are offsets from the start of the module's text
// (runtime.text), which the table itself does not record: see Init and
// SetText. In the kernel:
//
//	var tab symtab.Table // a global, set once at boot
//	pcln, _ := symtab.Image()
//	if err := tab.Init(pcln); err != nil { ... } // text base taken from the image
//
//	// at a fault, on the trap stack:
//	var frames [32]symtab.Frame
//	var line [512]byte
//	n := tab.Unwind(epc, sp, ra, readWord, frames[:])
//	for _, fr := range frames[:n] {
//		uartWrite(tab.AppendFrame(line[:0], fr))
//	}
package symtab

import "unsafe"

// Error is the type of the errors Init returns. They are constants so that
// Init neither allocates nor depends on package initialization having run.
type Error string

func (e Error) Error() string { return string(e) }

// Errors returned by Init.
const (
	ErrShort    = Error("symtab: pclntab shorter than its header")
	ErrMagic    = Error("symtab: pclntab magic is not the Go 1.20+ one (0xfffffff1, little-endian)")
	ErrArch     = Error("symtab: pclntab is not for a 32-bit target with 4-byte instructions")
	ErrLayout   = Error("symtab: pclntab header offsets are out of order or out of range")
	ErrFunctab  = Error("symtab: pclntab function table is empty or truncated")
	ErrUnsorted = Error("symtab: pclntab function table is not sorted by pc")
)

const (
	magicGo120 = 0xfffffff1
	ptrSize    = 4
	pcQuantum  = 4 // minLC: every MIPS instruction is 4 bytes long
	headerSize = 8 + 8*ptrSize

	// _func (runtime/runtime2.go): ten 32-bit words then four bytes, funcID,
	// flag, a pad byte and nfuncdata, then npcdata uint32 pcdata offsets and
	// nfuncdata uint32 funcdata offsets.
	funcSize      = 11 * 4
	fEntryOff     = 0
	fNameOff      = 4
	fPcsp         = 16
	fPcfile       = 20
	fPcln         = 24
	fNpcdata      = 28
	fCuOffset     = 32
	fStartLine    = 36
	fFuncID       = 40
	fFlag         = 41
	fNfuncdata    = 43
	inlinedCallSz = 16 // runtime.inlinedCall: funcID, 3 pad bytes, nameOff, parentPc, startLine

	pcdataInlTreeIndex = 2 // abi.PCDATA_InlTreeIndex
	funcdataInlTree    = 3 // abi.FUNCDATA_InlTree
	noFuncdata         = ^uint32(0)
)

// Function flags (internal/abi.FuncFlag).
const (
	FlagTopFrame = 1 << 0 // the function is the outermost frame of a stack
	FlagSPWrite  = 1 << 1 // the function writes SP in a way pcsp cannot describe
	FlagAsm      = 1 << 2 // the function is written in assembly
)

// Function IDs the unwinder and its callers care about (internal/abi.FuncID,
// Go 1.26 numbering; the tests check those a mipsle binary contains).
const (
	FuncIDNormal       = 0
	FuncIDAsyncPreempt = 3
	FuncIDDebugCallV2  = 6
	FuncIDGoexit       = 8
	FuncIDGopanic      = 10
	FuncIDMstart       = 14
	FuncIDRt0Go        = 16
	FuncIDSigpanic     = 20
	FuncIDWrapper      = 23
)

// Table reads one pclntab. The zero Table is empty: every lookup fails.
// A Table is set once by Init (and SetText) and only read afterwards, so it
// may be shared by all cores without locking.
type Table struct {
	data []byte  // the whole section, pcHeader first
	text uintptr // address of runtime.text for this table's module

	nfunc uint32

	// Offsets of the sub-tables in data, and where each ends (the start of
	// the next one), so that every string and table read stays inside its
	// own sub-table.
	funcname, funcnameEnd uint32
	cu, cuEnd             uint32
	filetab, filetabEnd   uint32
	pctab, pctabEnd       uint32
	functab               uint32 // start of the {entry, funcoff} pairs
	gofunc                uint32 // start of go:func.*, 0 if it could not be located
}

// Init validates the header of pclntab and makes t read it. It checks the
// magic, the pointer size and the instruction quantum, that the sub-table
// offsets are in layout order and inside pclntab, that the function table fits
// and is sorted. It then locates the funcdata (go:func.*) that follows the
// _func records, used only for inlined frames.
//
// When pclntab is the running image's own table (see Image) the text base is
// set to the image's runtime.text; otherwise it is 0 until SetText is called.
//
// Init keeps a reference to pclntab, which must stay unchanged while t is in
// use. It does not allocate. On error t is left empty.
func (t *Table) Init(pclntab []byte) error {
	*t = Table{}
	d := pclntab
	if len(d) < headerSize {
		return ErrShort
	}
	if le32(d, 0) != magicGo120 {
		return ErrMagic
	}
	if d[4] != 0 || d[5] != 0 || d[6] != pcQuantum || d[7] != ptrSize {
		return ErrArch
	}
	var n Table
	n.data = d
	n.nfunc = le32(d, 8)
	// 12: nfiles, 16: unused (once the text start).
	n.funcname = le32(d, 20)
	n.cu = le32(d, 24)
	n.filetab = le32(d, 28)
	n.pctab = le32(d, 32)
	n.functab = le32(d, 36)
	size := uint64(len(d))
	if size >= 1<<32 {
		return ErrLayout
	}
	if !(headerSize <= n.funcname && n.funcname <= n.cu && n.cu <= n.filetab &&
		n.filetab <= n.pctab && n.pctab <= n.functab && uint64(n.functab) <= size) {
		return ErrLayout
	}
	n.funcnameEnd, n.cuEnd, n.filetabEnd, n.pctabEnd = n.cu, n.filetab, n.pctab, n.functab
	if n.nfunc == 0 || uint64(n.functab)+uint64(n.nfunc)*8+4 > size {
		return ErrFunctab
	}
	// A sorted table is what makes the binary search in FuncAt exact; the
	// check is linear but runs once.
	prev := uint32(0)
	for i := uint32(0); i <= n.nfunc; i++ {
		e := le32(d, n.functab+8*i)
		if e < prev {
			return ErrUnsorted
		}
		prev = e
	}
	n.gofunc = n.locateFuncdata()
	if img, text := Image(); len(img) > 0 && &img[0] == &d[0] {
		n.text = text
	}
	*t = n
	return nil
}

// SetText sets the address of the first byte of the module's text
// (runtime.text): function entries in the table are offsets from it.
func (t *Table) SetText(text uintptr) { t.text = text }

// Text returns the text base set by Init or SetText.
func (t *Table) Text() uintptr { return t.text }

// TextRange returns the range of pcs [start, end) covered by the function
// table.
func (t *Table) TextRange() (start, end uintptr) {
	if t.nfunc == 0 {
		return 0, 0
	}
	return t.text + uintptr(t.entryAt(0)), t.text + uintptr(t.entryAt(t.nfunc))
}

// NumFuncs returns the number of functions in the table.
func (t *Table) NumFuncs() int { return int(t.nfunc) }

// FuncIndex returns the i'th function of the table, in pc order.
func (t *Table) FuncIndex(i int) (Func, bool) {
	if i < 0 || uint64(i) >= uint64(t.nfunc) {
		return Func{}, false
	}
	return t.funcRecord(uint32(i))
}

// Func names one function of a Table: the offset of its _func record in the
// table's bytes. The zero Func is invalid.
type Func struct {
	off uint32
}

// Valid reports whether f names a function (FuncAt succeeded).
func (f Func) Valid() bool { return f.off != 0 }

// FuncAt returns the function whose code contains pc.
func (t *Table) FuncAt(pc uintptr) (Func, bool) {
	i, ok := t.index(pc)
	if !ok {
		return Func{}, false
	}
	return t.funcRecord(i)
}

// index returns the functab index of the function containing pc by binary
// search: the largest i with entry(i) <= pc-text, where
// entry(0) <= pc-text < entry(nfunc).
func (t *Table) index(pc uintptr) (uint32, bool) {
	if t.nfunc == 0 || pc < t.text {
		return 0, false
	}
	d := uint64(pc - t.text)
	if d >= uint64(t.entryAt(t.nfunc)) || d < uint64(t.entryAt(0)) {
		return 0, false
	}
	off := uint32(d)
	lo, hi := uint32(0), t.nfunc
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if t.entryAt(mid) <= off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, true
}

// funcRecord returns the _func record of the i'th functab entry, checking
// that the whole fixed part lies in the table and agrees with the functab
// about the entry, so that a corrupt funcoff is caught here rather than by
// every accessor.
func (t *Table) funcRecord(i uint32) (Func, bool) {
	fo, ok := t.u32(uint64(t.functab) + 8*uint64(i) + 4)
	if !ok {
		return Func{}, false
	}
	rec := uint64(t.functab) + uint64(fo)
	if rec == 0 || rec+funcSize > uint64(len(t.data)) {
		return Func{}, false
	}
	if le32(t.data, uint32(rec)+fEntryOff) != t.entryAt(i) {
		return Func{}, false
	}
	return Func{off: uint32(rec)}, true
}

// entryAt reads the entry offset of the i'th functab pair; i <= nfunc, which
// Init checked to be inside the table.
func (t *Table) entryAt(i uint32) uint32 {
	v, _ := t.u32(uint64(t.functab) + 8*uint64(i))
	return v
}

// field reads a 32-bit field of f's record (the fixed part was bounds-checked
// by funcRecord, but f may come from another table, so check again).
func (t *Table) field(f Func, off uint32) uint32 {
	v, _ := t.u32(uint64(f.off) + uint64(off))
	return v
}

func (t *Table) byteField(f Func, off uint32) uint8 {
	p := uint64(f.off) + uint64(off)
	if f.off == 0 || p >= uint64(len(t.data)) {
		return 0
	}
	return t.data[p]
}

// Name returns the function's name (as the linker wrote it: generic
// functions carry their shape types). The string points into the table.
func (t *Table) Name(f Func) string {
	if f.off == 0 {
		return ""
	}
	return t.funcName(int32(t.field(f, fNameOff)))
}

func (t *Table) funcName(nameOff int32) string {
	if nameOff < 0 {
		return ""
	}
	return t.cstring(uint64(t.funcname)+uint64(nameOff), t.funcnameEnd)
}

// Entry returns the address of the function's first instruction.
func (t *Table) Entry(f Func) uintptr {
	if f.off == 0 {
		return 0
	}
	return t.text + uintptr(t.field(f, fEntryOff))
}

// End returns the address just past the function's code (the next
// function's entry).
func (t *Table) End(f Func) uintptr {
	if f.off == 0 {
		return 0
	}
	i, ok := t.index(t.Entry(f))
	if !ok {
		return 0
	}
	if g, ok := t.funcRecord(i); !ok || g != f {
		return 0
	}
	return t.text + uintptr(t.entryAt(i+1))
}

// FuncID returns the function's internal/abi.FuncID (FuncIDNormal for
// ordinary functions).
func (t *Table) FuncID(f Func) uint8 { return t.byteField(f, fFuncID) }

// Flag returns the function's internal/abi.FuncFlag bits (FlagTopFrame...).
func (t *Table) Flag(f Func) uint8 { return t.byteField(f, fFlag) }

// StartLine returns the line of the func keyword (or TEXT directive).
func (t *Table) StartLine(f Func) int { return int(int32(t.field(f, fStartLine))) }

// FileLine returns the source position of the instruction at pc in f, or
// ("?", 0) when the table does not say. For inlined code this is the
// position in the innermost inlined function (see Inlined).
func (t *Table) FileLine(f Func, pc uintptr) (file string, line int) {
	if f.off == 0 {
		return "?", 0
	}
	fileno, ok1 := t.pcvalue(f, t.field(f, fPcfile), pc)
	ln, ok2 := t.pcvalue(f, t.field(f, fPcln), pc)
	if !ok1 || !ok2 || fileno < 0 || ln < 0 {
		return "?", 0
	}
	// cutab[cuOffset+fileno] is the file's offset in filetab.
	idx := uint64(t.field(f, fCuOffset)) + uint64(fileno)
	p := uint64(t.cu) + 4*idx
	if p+4 > uint64(t.cuEnd) {
		return "?", 0
	}
	fo := le32(t.data, uint32(p))
	if fo == ^uint32(0) {
		return "?", 0
	}
	file = t.cstring(uint64(t.filetab)+uint64(fo), t.filetabEnd)
	if file == "" {
		return "?", 0
	}
	return file, int(ln)
}

// SPDelta returns the size of f's frame at pc: how far SP is below its value
// at the function's entry, from the pcsp table. It is 0 at the entry and, on
// MIPS, until the prologue's SP adjustment, and again after the epilogue's.
// It returns -1 when the table does not cover pc.
func (t *Table) SPDelta(f Func, pc uintptr) int32 {
	v, ok := t.spDelta(f, pc)
	if !ok {
		return -1
	}
	return v
}

func (t *Table) spDelta(f Func, pc uintptr) (int32, bool) {
	if f.off == 0 {
		return 0, false
	}
	return t.pcvalue(f, t.field(f, fPcsp), pc)
}

// pcdata returns the value of f's pcdata table number table at pc, or
// (-1, false) when f has no such table or it does not cover pc.
func (t *Table) pcdata(f Func, table uint32, pc uintptr) (int32, bool) {
	if f.off == 0 || table >= t.field(f, fNpcdata) {
		return -1, false
	}
	off, ok := t.u32(uint64(f.off) + funcSize + 4*uint64(table))
	if !ok {
		return -1, false
	}
	return t.pcvalue(f, off, pc)
}

// funcdata returns the offset in the table of f's funcdata number i.
func (t *Table) funcdata(f Func, i uint8) (uint32, bool) {
	if f.off == 0 || t.gofunc == 0 || i >= t.byteField(f, fNfuncdata) {
		return 0, false
	}
	p := uint64(f.off) + funcSize + 4*uint64(t.field(f, fNpcdata)) + 4*uint64(i)
	v, ok := t.u32(p)
	if !ok || v == noFuncdata {
		return 0, false
	}
	q := uint64(t.gofunc) + uint64(v)
	if q >= uint64(len(t.data)) {
		return 0, false
	}
	return uint32(q), true
}

// pcvalue decodes the pc-value table at offset off of pctab and returns the
// value in effect at targetpc. The table is a sequence of (value delta,
// pc delta) varint pairs starting from value -1 at the function's entry; the
// value delta is zig-zag encoded, the pc delta counts instructions, and a zero
// value delta other than the first ends the table.
func (t *Table) pcvalue(f Func, off uint32, targetpc uintptr) (int32, bool) {
	if off == 0 {
		return -1, false
	}
	p := uint64(t.pctab) + uint64(off)
	end := uint64(t.pctabEnd)
	pc := t.Entry(f)
	if targetpc < pc {
		return -1, false
	}
	val := int32(-1)
	first := true
	for p < end {
		uv, n := uvarint(t.data[p:end])
		if n == 0 || (uv == 0 && !first) {
			break
		}
		p += uint64(n)
		val += int32(-(uv & 1) ^ (uv >> 1))
		pcd, m := uvarint(t.data[p:end])
		if m == 0 {
			break
		}
		p += uint64(m)
		next := pc + uintptr(pcd)*pcQuantum
		if next < pc { // wrapped: corrupt
			break
		}
		pc = next
		if targetpc < pc {
			return val, true
		}
		first = false
	}
	return -1, false
}

// uvarint decodes an unsigned LEB128 value of at most 32 bits from b. It
// returns n=0 if b ends first or the value is longer than 5 bytes.
func uvarint(b []byte) (v uint32, n int) {
	var shift uint
	for i := 0; i < len(b) && i < 5; i++ {
		c := b[i]
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, i + 1
		}
		shift += 7
	}
	return 0, 0
}

// cstring returns the NUL-terminated string at off, which must end before
// limit. The result aliases the table's bytes.
func (t *Table) cstring(off uint64, limit uint32) string {
	lim := uint64(limit)
	if lim > uint64(len(t.data)) {
		lim = uint64(len(t.data))
	}
	if off >= lim {
		return ""
	}
	for i := off; i < lim; i++ {
		if t.data[i] == 0 {
			if i == off {
				return ""
			}
			return unsafe.String(&t.data[off], int(i-off))
		}
	}
	return ""
}

// u32 reads a little-endian word at off, if it lies inside the table.
func (t *Table) u32(off uint64) (uint32, bool) {
	if off+4 > uint64(len(t.data)) {
		return 0, false
	}
	return le32(t.data, uint32(off)), true
}

func le32(b []byte, off uint32) uint32 {
	b = b[off : off+4]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
