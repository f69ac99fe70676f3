// Package krand is the kernel's random number generator: ChaCha20 (RFC 8439)
// keyed from hardware entropy at boot, serving getrandom and AT_RANDOM.
// Each request takes a fresh counter block range under a spinlock and the
// key is mixed with new entropy when offered.
//
// Trap-safe.
package krand

import (
	"encoding/binary"
	"math/bits"

	"almos/kernel/spin"
)

var (
	lock    spin.Lock
	key     [8]uint32
	counter uint64
	seeded  bool
)

// Seed mixes seed material into the key. It may be called more than once.
func Seed(material []byte) {
	lock.Acquire(0)
	defer lock.Release()
	// Fold the material into the key, then stir: the new key is the first
	// block of the generator keyed with the folded value.
	for i, b := range material {
		key[(i/4)%8] ^= uint32(b) << (8 * uint(i%4))
		key[(i/4)%8] = bits.RotateLeft32(key[(i/4)%8], 5)
	}
	var blk [16]uint32
	block(&blk, &key, counter, 0x6b72616e)
	counter++
	copy(key[:], blk[:8])
	seeded = true
}

// Seeded reports whether Seed was called.
func Seeded() bool { return seeded }

// Read fills p with random bytes. core names the caller for the lock.
func Read(core uint32, p []byte) {
	lock.Acquire(core)
	start := counter
	counter += uint64(len(p)+63) / 64
	k := key
	lock.Release()
	var blk [16]uint32
	var out [64]byte
	c := start
	for len(p) > 0 {
		block(&blk, &k, c, 0)
		c++
		for i, w := range blk {
			binary.LittleEndian.PutUint32(out[4*i:], w)
		}
		n := copy(p, out[:])
		p = p[n:]
	}
}

func quarter(a, b, c, d uint32) (uint32, uint32, uint32, uint32) {
	a += b
	d = bits.RotateLeft32(d^a, 16)
	c += d
	b = bits.RotateLeft32(b^c, 12)
	a += b
	d = bits.RotateLeft32(d^a, 8)
	c += d
	b = bits.RotateLeft32(b^c, 7)
	return a, b, c, d
}

// block computes one ChaCha20 block for key, a 64-bit block counter and a
// 32-bit nonce word (the RFC's 32-bit counter + 96-bit nonce, with the
// counter widened into the first nonce word).
func block(out *[16]uint32, key *[8]uint32, ctr uint64, nonce uint32) {
	blockRFC(out, key, uint32(ctr), [3]uint32{uint32(ctr >> 32), nonce, 0})
}

// blockRFC is the RFC 8439 block function.
func blockRFC(out *[16]uint32, key *[8]uint32, ctr uint32, nonce [3]uint32) {
	s := [16]uint32{
		0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
		key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
		ctr, nonce[0], nonce[1], nonce[2],
	}
	x := s
	for i := 0; i < 10; i++ {
		x[0], x[4], x[8], x[12] = quarter(x[0], x[4], x[8], x[12])
		x[1], x[5], x[9], x[13] = quarter(x[1], x[5], x[9], x[13])
		x[2], x[6], x[10], x[14] = quarter(x[2], x[6], x[10], x[14])
		x[3], x[7], x[11], x[15] = quarter(x[3], x[7], x[11], x[15])
		x[0], x[5], x[10], x[15] = quarter(x[0], x[5], x[10], x[15])
		x[1], x[6], x[11], x[12] = quarter(x[1], x[6], x[11], x[12])
		x[2], x[7], x[8], x[13] = quarter(x[2], x[7], x[8], x[13])
		x[3], x[4], x[9], x[14] = quarter(x[3], x[4], x[9], x[14])
	}
	for i := range out {
		out[i] = x[i] + s[i]
	}
}
