package linux

import "sync/atomic"

// seenSet is a set of small numbers (system call numbers less 4000) that
// several cores mark at once. First reports whether this call was the one
// that added a number: with an atomic OR, exactly one of the racing callers
// sees the bit clear, so an event is reported once, not once per core.
type seenSet [16]atomic.Uint32

// First marks i and reports whether it was not marked before. Numbers beyond
// the set are never marked: each of them is reported every time.
func (s *seenSet) First(i uint32) bool {
	if i >= uint32(len(s))*32 {
		return true
	}
	bit := uint32(1) << (i % 32)
	return s[i/32].Or(bit)&bit == 0
}
