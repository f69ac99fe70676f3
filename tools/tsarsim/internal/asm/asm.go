// Package asm encodes MIPS32 instructions for tests and for the boot ROM.
// It is an encoder only: no parsing, no labels beyond what Prog offers.
package asm

// Register numbers by o32 name.
const (
	ZERO = 0
	AT   = 1
	V0   = 2
	V1   = 3
	A0   = 4
	A1   = 5
	A2   = 6
	A3   = 7
	T0   = 8
	T1   = 9
	T2   = 10
	T3   = 11
	T4   = 12
	S0   = 16
	S1   = 17
	T8   = 24
	T9   = 25
	K0   = 26
	K1   = 27
	SP   = 29
	RA   = 31
)

func r(op, rs, rt, rd, sa, fn uint32) uint32 {
	return op<<26 | rs<<21 | rt<<16 | rd<<11 | sa<<6 | fn
}

func i(op, rs, rt uint32, imm int32) uint32 {
	return op<<26 | rs<<21 | rt<<16 | uint32(imm)&0xffff
}

func Nop() uint32                      { return 0 }
func Sll(rd, rt, sa uint32) uint32     { return r(0, 0, rt, rd, sa, 0) }
func Srl(rd, rt, sa uint32) uint32     { return r(0, 0, rt, rd, sa, 2) }
func Sra(rd, rt, sa uint32) uint32     { return r(0, 0, rt, rd, sa, 3) }
func Rotr(rd, rt, sa uint32) uint32    { return r(0, 1, rt, rd, sa, 2) }
func Sllv(rd, rt, rs uint32) uint32    { return r(0, rs, rt, rd, 0, 4) }
func Srlv(rd, rt, rs uint32) uint32    { return r(0, rs, rt, rd, 0, 6) }
func Srav(rd, rt, rs uint32) uint32    { return r(0, rs, rt, rd, 0, 7) }
func Jr(rs uint32) uint32              { return r(0, rs, 0, 0, 0, 8) }
func Jalr(rd, rs uint32) uint32        { return r(0, rs, 0, rd, 0, 9) }
func Movz(rd, rs, rt uint32) uint32    { return r(0, rs, rt, rd, 0, 10) }
func Movn(rd, rs, rt uint32) uint32    { return r(0, rs, rt, rd, 0, 11) }
func Syscall() uint32                  { return 12 }
func Break(code uint32) uint32         { return code<<16 | 13 }
func Sync() uint32                     { return 15 }
func Mfhi(rd uint32) uint32            { return r(0, 0, 0, rd, 0, 16) }
func Mthi(rs uint32) uint32            { return r(0, rs, 0, 0, 0, 17) }
func Mflo(rd uint32) uint32            { return r(0, 0, 0, rd, 0, 18) }
func Mtlo(rs uint32) uint32            { return r(0, rs, 0, 0, 0, 19) }
func Mult(rs, rt uint32) uint32        { return r(0, rs, rt, 0, 0, 24) }
func Multu(rs, rt uint32) uint32       { return r(0, rs, rt, 0, 0, 25) }
func Div(rs, rt uint32) uint32         { return r(0, rs, rt, 0, 0, 26) }
func Divu(rs, rt uint32) uint32        { return r(0, rs, rt, 0, 0, 27) }
func Add(rd, rs, rt uint32) uint32     { return r(0, rs, rt, rd, 0, 32) }
func Addu(rd, rs, rt uint32) uint32    { return r(0, rs, rt, rd, 0, 33) }
func Sub(rd, rs, rt uint32) uint32     { return r(0, rs, rt, rd, 0, 34) }
func Subu(rd, rs, rt uint32) uint32    { return r(0, rs, rt, rd, 0, 35) }
func And(rd, rs, rt uint32) uint32     { return r(0, rs, rt, rd, 0, 36) }
func Or(rd, rs, rt uint32) uint32      { return r(0, rs, rt, rd, 0, 37) }
func Xor(rd, rs, rt uint32) uint32     { return r(0, rs, rt, rd, 0, 38) }
func Nor(rd, rs, rt uint32) uint32     { return r(0, rs, rt, rd, 0, 39) }
func Slt(rd, rs, rt uint32) uint32     { return r(0, rs, rt, rd, 0, 42) }
func Sltu(rd, rs, rt uint32) uint32    { return r(0, rs, rt, rd, 0, 43) }
func Teq(rs, rt uint32) uint32         { return r(0, rs, rt, 0, 0, 52) }
func Tne(rs, rt uint32) uint32         { return r(0, rs, rt, 0, 0, 54) }
func Move(rd, rs uint32) uint32        { return Or(rd, rs, ZERO) }
func Bltz(rs uint32, off int32) uint32 { return i(1, rs, 0, off) }
func Bgez(rs uint32, off int32) uint32 { return i(1, rs, 1, off) }
func Bltzal(rs uint32, off int32) uint32 {
	return i(1, rs, 16, off)
}
func Bgezal(rs uint32, off int32) uint32  { return i(1, rs, 17, off) }
func J(target uint32) uint32              { return 2<<26 | target>>2&0x3ffffff }
func Jal(target uint32) uint32            { return 3<<26 | target>>2&0x3ffffff }
func Beq(rs, rt uint32, off int32) uint32 { return i(4, rs, rt, off) }
func Bne(rs, rt uint32, off int32) uint32 { return i(5, rs, rt, off) }
func Blez(rs uint32, off int32) uint32    { return i(6, rs, 0, off) }
func Bgtz(rs uint32, off int32) uint32    { return i(7, rs, 0, off) }
func Beql(rs, rt uint32, off int32) uint32 {
	return i(20, rs, rt, off)
}
func Bnel(rs, rt uint32, off int32) uint32 { return i(21, rs, rt, off) }
func Addi(rt, rs uint32, imm int32) uint32 { return i(8, rs, rt, imm) }
func Addiu(rt, rs uint32, imm int32) uint32 {
	return i(9, rs, rt, imm)
}
func Slti(rt, rs uint32, imm int32) uint32  { return i(10, rs, rt, imm) }
func Sltiu(rt, rs uint32, imm int32) uint32 { return i(11, rs, rt, imm) }
func Andi(rt, rs uint32, imm uint32) uint32 { return i(12, rs, rt, int32(imm)) }
func Ori(rt, rs uint32, imm uint32) uint32  { return i(13, rs, rt, int32(imm)) }
func Xori(rt, rs uint32, imm uint32) uint32 { return i(14, rs, rt, int32(imm)) }
func Lui(rt uint32, imm uint32) uint32      { return i(15, 0, rt, int32(imm)) }
func Lb(rt, base uint32, off int32) uint32  { return i(32, base, rt, off) }
func Lh(rt, base uint32, off int32) uint32  { return i(33, base, rt, off) }
func Lwl(rt, base uint32, off int32) uint32 { return i(34, base, rt, off) }
func Lw(rt, base uint32, off int32) uint32  { return i(35, base, rt, off) }
func Lbu(rt, base uint32, off int32) uint32 { return i(36, base, rt, off) }
func Lhu(rt, base uint32, off int32) uint32 { return i(37, base, rt, off) }
func Lwr(rt, base uint32, off int32) uint32 { return i(38, base, rt, off) }
func Sb(rt, base uint32, off int32) uint32  { return i(40, base, rt, off) }
func Sh(rt, base uint32, off int32) uint32  { return i(41, base, rt, off) }
func Swl(rt, base uint32, off int32) uint32 { return i(42, base, rt, off) }
func Sw(rt, base uint32, off int32) uint32  { return i(43, base, rt, off) }
func Swr(rt, base uint32, off int32) uint32 { return i(46, base, rt, off) }
func Ll(rt, base uint32, off int32) uint32  { return i(48, base, rt, off) }
func Sc(rt, base uint32, off int32) uint32  { return i(56, base, rt, off) }
func Mul(rd, rs, rt uint32) uint32          { return r(28, rs, rt, rd, 0, 2) }
func Madd(rs, rt uint32) uint32             { return r(28, rs, rt, 0, 0, 0) }
func Msubu(rs, rt uint32) uint32            { return r(28, rs, rt, 0, 0, 5) }
func Clz(rd, rs uint32) uint32              { return r(28, rs, rd, rd, 0, 32) }
func Clo(rd, rs uint32) uint32              { return r(28, rs, rd, rd, 0, 33) }
func Sdbbp(code uint32) uint32              { return r(28, 0, 0, 0, 0, 63) | code<<6 }
func Seb(rd, rt uint32) uint32              { return r(31, 0, rt, rd, 16, 32) }
func Seh(rd, rt uint32) uint32              { return r(31, 0, rt, rd, 24, 32) }
func Wsbh(rd, rt uint32) uint32             { return r(31, 0, rt, rd, 2, 32) }
func Ext(rt, rs, pos, size uint32) uint32   { return r(31, rs, rt, size-1, pos, 0) }
func Ins(rt, rs, pos, size uint32) uint32   { return r(31, rs, rt, pos+size-1, pos, 4) }
func Rdhwr(rt, rd uint32) uint32            { return r(31, 0, rt, rd, 0, 59) }
func Mfc0(rt, rd, sel uint32) uint32        { return 16<<26 | rt<<16 | rd<<11 | sel }
func Mtc0(rt, rd, sel uint32) uint32        { return 16<<26 | 4<<21 | rt<<16 | rd<<11 | sel }
func Tlbr() uint32                          { return 0x42000001 }
func Tlbwi() uint32                         { return 0x42000002 }
func Tlbwr() uint32                         { return 0x42000006 }
func Tlbp() uint32                          { return 0x42000008 }
func Eret() uint32                          { return 0x42000018 }
func Wait() uint32                          { return 0x42000020 }
func Di(rt uint32) uint32                   { return 0x41606000 | rt<<16 }
func Ei(rt uint32) uint32                   { return 0x41606020 | rt<<16 }
func Ehb() uint32                           { return 0xc0 }

// Li loads a 32-bit constant with LUI and ORI.
func Li(rt uint32, v uint32) []uint32 { return []uint32{Lui(rt, v>>16), Ori(rt, rt, v&0xffff)} }

// Prog accumulates instruction words.
type Prog struct{ W []uint32 }

// Emit appends words.
func (p *Prog) Emit(w ...uint32) *Prog { p.W = append(p.W, w...); return p }

// Li appends a constant load.
func (p *Prog) Li(rt, v uint32) *Prog { return p.Emit(Li(rt, v)...) }

// PC returns the byte offset of the next word.
func (p *Prog) PC() int { return 4 * len(p.W) }

// Bytes returns the little-endian image.
func (p *Prog) Bytes() []byte {
	b := make([]byte, 4*len(p.W))
	for i, w := range p.W {
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(w), byte(w>>8), byte(w>>16), byte(w>>24)
	}
	return b
}

// Patch overwrites word k.
func (p *Prog) Patch(k int, w uint32) { p.W[k] = w }
