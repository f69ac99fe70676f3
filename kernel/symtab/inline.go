package symtab

// InlFrame is one logical frame at a pc: a call that the compiler inlined
// into the physical function, or the physical function itself.
type InlFrame struct {
	// PC is the pc whose file and line (in the physical function's tables)
	// give this frame's position: the looked-up pc for the innermost frame,
	// the inlined call site for the frames around it.
	PC uintptr
	// Func is the physical function: the one whose code contains PC.
	Func Func
	// FuncID and StartLine describe the logical function.
	FuncID    uint8
	StartLine int32
	// Inlined is false for the physical function, the last frame.
	Inlined bool

	nameOff int32
}

// Inlined writes the logical frames at pc in f into out, innermost first:
// the functions inlined at pc (from FUNCDATA_InlTree, indexed by
// PCDATA_InlTreeIndex), then f itself as the last frame. It returns the number
// written, which is smaller than the depth when out is too short (and 0 when f
// is invalid or out is empty). Without an inline tree the only frame is f.
//
// For a pc that is a return address, pass pc-1 (the call instruction), as the
// runtime does: the instruction after a call may belong to another inlined
// body.
func (t *Table) Inlined(f Func, pc uintptr, out []InlFrame) int {
	if f.off == 0 {
		return 0
	}
	tree, hasTree := t.funcdata(f, funcdataInlTree)
	entry := t.Entry(f)
	n := 0
	for n < len(out) {
		idx := int32(-1)
		if hasTree {
			idx, _ = t.pcdata(f, pcdataInlTreeIndex, pc)
		}
		if idx < 0 {
			out[n] = InlFrame{
				PC:        pc,
				Func:      f,
				FuncID:    t.FuncID(f),
				StartLine: int32(t.field(f, fStartLine)),
				nameOff:   int32(t.field(f, fNameOff)),
			}
			return n + 1
		}
		e := uint64(tree) + inlinedCallSz*uint64(idx)
		if e+inlinedCallSz > uint64(len(t.data)) {
			// Corrupt index: report the physical function at pc.
			hasTree = false
			continue
		}
		out[n] = InlFrame{
			PC:        pc,
			Func:      f,
			FuncID:    t.data[e],
			StartLine: int32(le32(t.data, uint32(e)+12)),
			Inlined:   true,
			nameOff:   int32(le32(t.data, uint32(e)+4)),
		}
		n++
		parent := int32(le32(t.data, uint32(e)+8))
		if parent < 0 {
			hasTree = false // corrupt: end with the physical function
			continue
		}
		pc = entry + uintptr(parent)
	}
	return n
}

// InlName returns the name of the logical function of fr.
func (t *Table) InlName(fr InlFrame) string {
	if fr.Func.off == 0 {
		return ""
	}
	return t.funcName(fr.nameOff)
}

// InlFileLine returns the source position of fr.
func (t *Table) InlFileLine(fr InlFrame) (file string, line int) {
	return t.FileLine(fr.Func, fr.PC)
}

// locateFuncdata finds go:func.*, the base of the funcdata offsets. The
// header does not record it; the Go 1.26 linker places it right after the
// last _func record (with its pcdata and funcdata offsets), aligned to the
// largest alignment of the funcdata symbols, which the table does not record
// either. So each plausible alignment gives a candidate base, and the inline
// trees of a sample of functions are read from each: a candidate where some
// entry is malformed is out, and among the others the one where most entries
// look like real calls wins (zero padding before the funcdata reads as
// well-formed but empty entries, so a base too low by a multiple of the entry
// size is otherwise hard to tell apart). Returns 0 if no candidate fits.
func (t *Table) locateFuncdata() uint32 {
	last, ok := t.u32(uint64(t.functab) + 8*uint64(t.nfunc-1) + 4)
	if !ok {
		return 0
	}
	rec := uint64(t.functab) + uint64(last)
	if rec+funcSize > uint64(len(t.data)) {
		return 0
	}
	npc := uint64(le32(t.data, uint32(rec)+fNpcdata))
	nfd := uint64(t.data[rec+fNfuncdata])
	end := rec + funcSize + 4*npc + 4*nfd
	if end > uint64(len(t.data)) {
		return 0
	}
	best, bestScore := uint64(0), -1
	prev := uint64(0)
	for align := uint64(4); align <= 64; align *= 2 {
		base := (end + align - 1) &^ (align - 1)
		if base >= uint64(len(t.data)) {
			break
		}
		if base == prev {
			continue
		}
		prev = base
		if ok, score := t.inlTreesFit(uint32(base)); ok && score > bestScore {
			best, bestScore = base, score
		}
	}
	return uint32(best)
}

// inlTreesFit reads the inline trees of up to 64 functions with base as the
// funcdata start. Every entry that a function's PCDATA_InlTreeIndex table
// refers to must have zero pad bytes, a small funcID, a name offset at the
// start of a name, a non-negative start line and a parent pc that is an
// instruction offset inside the function; the score counts the entries that
// also have a non-zero name offset, start line and parent pc.
func (t *Table) inlTreesFit(base uint32) (ok bool, score int) {
	const sample = 64
	seen := 0
	for i := uint32(0); i < t.nfunc && seen < sample; i++ {
		f, ok := t.funcRecord(i)
		if !ok || funcdataInlTree >= t.byteField(f, fNfuncdata) {
			continue
		}
		p := uint64(f.off) + funcSize + 4*uint64(t.field(f, fNpcdata)) + 4*funcdataInlTree
		v, ok := t.u32(p)
		if !ok || v == noFuncdata {
			continue
		}
		top, ok := t.maxPCData(f, pcdataInlTreeIndex)
		if !ok || top < 0 {
			continue
		}
		seen++
		size := t.entryAt(i+1) - t.entryAt(i)
		for k := int64(0); k <= int64(top); k++ {
			e := uint64(base) + uint64(v) + inlinedCallSz*uint64(k)
			if e+inlinedCallSz > uint64(len(t.data)) {
				return false, 0
			}
			d := t.data[e : e+inlinedCallSz]
			if d[0] > 63 || d[1] != 0 || d[2] != 0 || d[3] != 0 {
				return false, 0
			}
			nameOff := le32(d, 4)
			np := uint64(t.funcname) + uint64(nameOff)
			if np >= uint64(t.funcnameEnd) || (nameOff != 0 && t.data[np-1] != 0) {
				return false, 0
			}
			parent := le32(d, 8)
			if parent >= size || parent%pcQuantum != 0 {
				return false, 0
			}
			line := int32(le32(d, 12))
			if line < 0 {
				return false, 0
			}
			if nameOff != 0 && parent != 0 && line != 0 {
				score++
			}
		}
	}
	return true, score
}

// maxPCData returns the largest value in f's pcdata table number table.
func (t *Table) maxPCData(f Func, table uint32) (int32, bool) {
	if f.off == 0 || table >= t.field(f, fNpcdata) {
		return -1, false
	}
	off, ok := t.u32(uint64(f.off) + funcSize + 4*uint64(table))
	if !ok || off == 0 {
		return -1, false
	}
	p := uint64(t.pctab) + uint64(off)
	end := uint64(t.pctabEnd)
	val, top := int32(-1), int32(-1)
	first := true
	for p < end {
		uv, n := uvarint(t.data[p:end])
		if n == 0 || (uv == 0 && !first) {
			return top, true
		}
		p += uint64(n)
		val += int32(-(uv & 1) ^ (uv >> 1))
		if val > top {
			top = val
		}
		_, m := uvarint(t.data[p:end])
		if m == 0 {
			break
		}
		p += uint64(m)
		first = false
	}
	return top, false
}
