package krand

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"testing"
)

// TestRFC8439Block checks the block function against RFC 8439, 2.3.2.
func TestRFC8439Block(t *testing.T) {
	var k [8]uint32
	for i := range k {
		b := []byte{byte(4 * i), byte(4*i + 1), byte(4*i + 2), byte(4*i + 3)}
		k[i] = binary.LittleEndian.Uint32(b)
	}
	nonce := [3]uint32{0x09000000, 0x4a000000, 0x00000000}
	var out [16]uint32
	blockRFC(&out, &k, 1, nonce)
	want, _ := hex.DecodeString("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e")
	var got [64]byte
	for i, w := range out {
		binary.LittleEndian.PutUint32(got[4*i:], w)
	}
	if !bytes.Equal(got[:], want) {
		t.Fatalf("block\n got %x\nwant %x", got, want)
	}
}

func TestReadDiffersAndSeedChangesStream(t *testing.T) {
	Seed([]byte("seed one"))
	a := make([]byte, 100)
	b := make([]byte, 100)
	Read(0, a)
	Read(0, b)
	if bytes.Equal(a, b) {
		t.Fatal("two reads returned the same bytes")
	}
	if bytes.Count(a, []byte{0}) > 10 {
		t.Fatal("suspiciously many zero bytes")
	}
	Seed([]byte("seed two"))
	c := make([]byte, 100)
	Read(0, c)
	if bytes.Equal(c, a) || bytes.Equal(c, b) {
		t.Fatal("reseeding did not change the stream")
	}
}

func TestReadNoAlloc(t *testing.T) {
	p := make([]byte, 200)
	if n := testing.AllocsPerRun(100, func() { Read(0, p) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
