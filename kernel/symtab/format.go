package symtab

// maxInline bounds the inlined frames AppendFrame prints for one physical
// frame; deeper chains are cut with a "..." line (the Go compiler's inlining
// budget keeps real chains far shorter).
const maxInline = 16

// AppendFrame appends a symbolized frame to dst, in the style of the
// runtime's tracebacks:
//
//	0x80123456 runtime.mallocgc+0x1c
//	    /usr/local/go/src/runtime/malloc.go:1234
//
// one such pair per logical frame, inlined functions first and marked
// "(inlined)"; a pc outside the table prints as "  0x80123456 ?". The type
// parameters of generic functions print as "[...]".
//
// It never grows dst: the text is cut at cap(dst), so the caller can pass a
// fixed buffer (buf[:0]) and nothing is allocated. It returns the extended
// slice.
func (t *Table) AppendFrame(dst []byte, fr Frame) []byte {
	if !fr.Func.Valid() {
		dst = appendStr(dst, "  0x")
		dst = appendHex(dst, uint64(fr.PC), 8)
		return appendStr(dst, " ?\n")
	}
	var inl [maxInline]InlFrame
	n := t.Inlined(fr.Func, fr.LookupPC(), inl[:])
	for i := 0; i < n; i++ {
		dst = appendStr(dst, "  0x")
		dst = appendHex(dst, uint64(fr.PC), 8)
		dst = appendStr(dst, " ")
		dst = appendFuncName(dst, t.InlName(inl[i]))
		if inl[i].Inlined {
			dst = appendStr(dst, " (inlined)")
		} else {
			dst = appendStr(dst, "+0x")
			dst = appendHex(dst, uint64(fr.PC-t.Entry(fr.Func)), 1)
		}
		dst = appendStr(dst, "\n      ")
		file, line := t.InlFileLine(inl[i])
		dst = appendStr(dst, file)
		dst = appendStr(dst, ":")
		dst = appendDec(dst, line)
		dst = appendStr(dst, "\n")
	}
	if n == maxInline && inl[n-1].Inlined {
		dst = appendStr(dst, "  ...\n")
	}
	return dst
}

// appendFuncName writes a function name with a generic function's type
// arguments (shape types such as [go.shape.int]) replaced by "[...]", as the
// runtime prints them.
func appendFuncName(dst []byte, name string) []byte {
	i := 0
	for i < len(name) && name[i] != '[' {
		i++
	}
	j := len(name) - 1
	for j > i && name[j] != ']' {
		j--
	}
	if i >= len(name) || j <= i {
		return appendStr(dst, name)
	}
	dst = appendStr(dst, name[:i])
	dst = appendStr(dst, "[...]")
	return appendStr(dst, name[j+1:])
}

// appendStr copies as much of s as fits between len(dst) and cap(dst).
func appendStr(dst []byte, s string) []byte {
	n := copy(dst[len(dst):cap(dst)], s)
	return dst[:len(dst)+n]
}

func appendByte(dst []byte, c byte) []byte {
	if len(dst) == cap(dst) {
		return dst
	}
	dst = dst[:len(dst)+1]
	dst[len(dst)-1] = c
	return dst
}

// appendHex writes v in lower-case hex, zero-padded to at least min digits.
func appendHex(dst []byte, v uint64, min int) []byte {
	const digits = "0123456789abcdef"
	var b [16]byte
	i := len(b)
	for v != 0 || len(b)-i < min {
		i--
		b[i] = digits[v&15]
		v >>= 4
		if i == 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		dst = appendByte(dst, b[i])
	}
	return dst
}

// appendDec writes v in decimal (native-width arithmetic: a 64-bit division
// would be a runtime call on MIPS32).
func appendDec(dst []byte, v int) []byte {
	u := uint(v)
	if v < 0 {
		dst = appendByte(dst, '-')
		u = -u
	}
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 || i == 0 {
			break
		}
	}
	for ; i < len(b); i++ {
		dst = appendByte(dst, b[i])
	}
	return dst
}
