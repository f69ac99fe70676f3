package mips32

// WindowEntry is one TLB entry of a linear mapping: an even page of Size
// bytes at offset Off and, when Both is set, the odd page after it. A MIPS
// TLB entry matches its whole pair's span [Off, Off+2*Size) whether or not
// the odd page is valid, so an entry with only its even page valid must end
// the mapping: any entry after it inside that span would never be reached
// (the first match wins, and finds an invalid page).
type WindowEntry struct {
	Off, Size uint32
	Both      bool
}

// WindowPageSizes are the page sizes the window uses, largest first (the
// P5600 takes 4 KiB to 256 MiB in powers of four).
var WindowPageSizes = [...]uint32{256 << 20, 64 << 20, 16 << 20, 4 << 20, 1 << 20, 256 << 10, 64 << 10, 16 << 10, 4 << 10}

// PlanWindow cuts [0, size) into TLB entries, largest pages first, writing
// them to out. Each entry's pair span is aligned to twice its page size and
// no two spans overlap. It returns the number of entries and false if out is
// too small or size is not a multiple of 4 KiB.
// It allocates nothing: early boot calls it before the Go runtime exists.
func PlanWindow(size uint32, out []WindowEntry) (int, bool) {
	if size%(4<<10) != 0 {
		return 0, false
	}
	n := 0
	off := uint32(0)
	for off < size {
		left := size - off
		placed := false
		for _, s := range WindowPageSizes {
			if off%(2*s) != 0 {
				continue
			}
			// A full pair, or a lone even page that ends the window.
			both := left >= 2*s
			if !both && left != s {
				continue
			}
			if n == len(out) {
				return n, false
			}
			out[n] = WindowEntry{Off: off, Size: s, Both: both}
			n++
			if both {
				off += 2 * s
			} else {
				off += s
			}
			placed = true
			break
		}
		if !placed {
			return n, false
		}
	}
	return n, true
}
