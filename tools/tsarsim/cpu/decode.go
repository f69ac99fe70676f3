package cpu

// Instructions are decoded once into dinsn records kept per physical
// page; the interpreter dispatches on op with a dense switch (compiled to
// a jump table). Register fields are pre-mapped so that the hot loop needs
// no special cases: a destination of $0 becomes register 32, a sink that
// nothing reads, so instructions never test for $0.
type dinsn struct {
	op  uint8
	rs  uint8
	rt  uint8
	rd  uint8 // destination register (32 when the encoding says $0)
	imm uint32
}

const sink = 32

// Operation codes. opDecode (0) marks an entry not yet decoded (or
// invalidated by a store): executing it decodes the word and retries.
const (
	opDecode uint8 = iota
	opRI           // reserved instruction
	opCpU          // coprocessor unusable (COP1, COP2, COP3)
	opNOP
	opADDU
	opSUBU
	opADD
	opSUB
	opAND
	opOR
	opXOR
	opNOR
	opSLT
	opSLTU
	opSLL
	opSRL
	opSRA
	opSLLV
	opSRLV
	opSRAV
	opROTR
	opROTRV
	opMOVZ
	opMOVN
	opMFHI
	opMFLO
	opMTHI
	opMTLO
	opMULT
	opMULTU
	opDIV
	opDIVU
	opMUL
	opMADD
	opMADDU
	opMSUB
	opMSUBU
	opCLZ
	opCLO
	opSEB
	opSEH
	opWSBH
	opEXT
	opINS
	opADDIU
	opADDI
	opSLTI
	opSLTIU
	opANDI
	opORI
	opXORI
	opLI // LUI, with the immediate already shifted
	opBEQ
	opBNE
	opBLEZ
	opBGTZ
	opBLTZ
	opBGEZ
	opBLTZAL
	opBGEZAL
	opBEQL
	opBNEL
	opBLEZL
	opBGTZL
	opBLTZL
	opBGEZL
	opBLTZALL
	opBGEZALL
	opJ
	opJAL
	opJR
	opJALR
	opLB
	opLBU
	opLH
	opLHU
	opLW
	opLWL
	opLWR
	opSB
	opSH
	opSW
	opSWL
	opSWR
	opLL
	opSC
	opCACHE
	opTEQ
	opTNE
	opTGE
	opTGEU
	opTLT
	opTLTU
	opTEQI
	opTNEI
	opTGEI
	opTGEIU
	opTLTI
	opTLTIU
	opSYSCALL
	opBREAK
	opSDBBP
	opSYNC
	opMFC0
	opMTC0
	opTLBR
	opTLBWI
	opTLBWR
	opTLBP
	opERET
	opWAIT
	opDI
	opEI
	opRDHWR
	opSYNCI
	opCount
)

func sext16(v uint32) uint32 { return uint32(int32(int16(v))) }

func dst(r uint32) uint8 {
	if r == 0 {
		return sink
	}
	return uint8(r)
}

// decode turns one instruction word into a dinsn. Encodings the model does
// not implement decode to opRI, which raises Reserved Instruction: nothing
// is ever silently ignored.
func decode(w uint32) dinsn {
	opc := w >> 26
	rs := (w >> 21) & 31
	rt := (w >> 16) & 31
	rd := (w >> 11) & 31
	sa := (w >> 6) & 31
	fn := w & 63
	imm := w & 0xffff
	d := dinsn{op: opRI, rs: uint8(rs), rt: uint8(rt), rd: dst(rd)}
	r3 := func(op uint8) dinsn { d.op = op; return d }
	switch opc {
	case 0: // SPECIAL
		switch fn {
		case 0:
			if rs == 0 {
				if w == 0 || rd == 0 {
					// NOP, SSNOP, EHB and every other shift into $0.
					return dinsn{op: opNOP}
				}
				d.imm = sa
				return r3(opSLL)
			}
		case 2:
			if rs == 0 {
				d.imm = sa
				return r3(opSRL)
			}
			if rs == 1 {
				d.imm = sa
				return r3(opROTR)
			}
		case 3:
			if rs == 0 {
				d.imm = sa
				return r3(opSRA)
			}
		case 4:
			if sa == 0 {
				return r3(opSLLV)
			}
		case 6:
			if sa == 0 {
				return r3(opSRLV)
			}
			if sa == 1 {
				return r3(opROTRV)
			}
		case 7:
			if sa == 0 {
				return r3(opSRAV)
			}
		case 8: // JR, JR.HB
			if rt == 0 && rd == 0 && sa&0xf == 0 {
				return r3(opJR)
			}
		case 9: // JALR, JALR.HB
			if rt == 0 && sa&0xf == 0 {
				return r3(opJALR)
			}
		case 10:
			if sa == 0 {
				return r3(opMOVZ)
			}
		case 11:
			if sa == 0 {
				return r3(opMOVN)
			}
		case 12:
			d.imm = (w >> 6) & 0xfffff
			return r3(opSYSCALL)
		case 13:
			d.imm = (w >> 6) & 0xfffff
			return r3(opBREAK)
		case 15:
			return r3(opSYNC)
		case 16:
			return r3(opMFHI)
		case 17:
			return r3(opMTHI)
		case 18:
			return r3(opMFLO)
		case 19:
			return r3(opMTLO)
		case 24:
			return r3(opMULT)
		case 25:
			return r3(opMULTU)
		case 26:
			return r3(opDIV)
		case 27:
			return r3(opDIVU)
		case 32:
			return r3(opADD)
		case 33:
			return r3(opADDU)
		case 34:
			return r3(opSUB)
		case 35:
			return r3(opSUBU)
		case 36:
			return r3(opAND)
		case 37:
			return r3(opOR)
		case 38:
			return r3(opXOR)
		case 39:
			return r3(opNOR)
		case 42:
			return r3(opSLT)
		case 43:
			return r3(opSLTU)
		case 48:
			return r3(opTGE)
		case 49:
			return r3(opTGEU)
		case 50:
			return r3(opTLT)
		case 51:
			return r3(opTLTU)
		case 52:
			return r3(opTEQ)
		case 54:
			return r3(opTNE)
		}
	case 1: // REGIMM
		d.imm = sext16(imm) << 2
		switch rt {
		case 0:
			d.op = opBLTZ
		case 1:
			d.op = opBGEZ
		case 2:
			d.op = opBLTZL
		case 3:
			d.op = opBGEZL
		case 8, 9, 10, 11, 12, 14:
			d.imm = sext16(imm)
			d.op = [...]uint8{opTGEI, opTGEIU, opTLTI, opTLTIU, opTEQI, 0, opTNEI}[rt-8]
		case 16:
			d.op = opBLTZAL
		case 17:
			d.op = opBGEZAL
		case 18:
			d.op = opBLTZALL
		case 19:
			d.op = opBGEZALL
		case 31:
			d.imm = sext16(imm)
			d.op = opSYNCI
		}
		return d
	case 2, 3:
		d.imm = (w & 0x3ffffff) << 2
		if opc == 2 {
			d.op = opJ
		} else {
			d.op = opJAL
		}
		return d
	case 4, 5, 6, 7, 20, 21, 22, 23:
		d.imm = sext16(imm) << 2
		switch opc {
		case 4:
			d.op = opBEQ
		case 5:
			d.op = opBNE
		case 6:
			if rt == 0 {
				d.op = opBLEZ
			}
		case 7:
			if rt == 0 {
				d.op = opBGTZ
			}
		case 20:
			d.op = opBEQL
		case 21:
			d.op = opBNEL
		case 22:
			if rt == 0 {
				d.op = opBLEZL
			}
		case 23:
			if rt == 0 {
				d.op = opBGTZL
			}
		}
		return d
	case 8, 9, 10, 11, 12, 13, 14, 15:
		d.rd = dst(rt)
		switch opc {
		case 8:
			d.imm = sext16(imm)
			d.op = opADDI
		case 9:
			d.imm = sext16(imm)
			d.op = opADDIU
			if rt == 0 {
				d.op = opNOP
			}
		case 10:
			d.imm = sext16(imm)
			d.op = opSLTI
		case 11:
			d.imm = sext16(imm)
			d.op = opSLTIU
		case 12:
			d.imm = imm
			d.op = opANDI
		case 13:
			d.imm = imm
			d.op = opORI
		case 14:
			d.imm = imm
			d.op = opXORI
		case 15:
			if rs == 0 {
				d.imm = imm << 16
				d.op = opLI
			}
		}
		return d
	case 16: // COP0
		d.imm = w & 7 // select
		switch {
		case rs == 0 && w&0x7f8 == 0:
			d.rd = dst(rt)
			d.rs = uint8(rd) // the CP0 register number
			d.op = opMFC0
		case rs == 4 && w&0x7f8 == 0:
			d.rs = uint8(rd)
			d.op = opMTC0
		case rs == 11 && rd == 12 && w&0xffff == 0x6000:
			d.rd = dst(rt)
			d.op = opDI
		case rs == 11 && rd == 12 && w&0xffff == 0x6020:
			d.rd = dst(rt)
			d.op = opEI
		case rs == 16 && w&0x1ffffc0 == 0:
			switch fn {
			case 1:
				d.op = opTLBR
			case 2:
				d.op = opTLBWI
			case 6:
				d.op = opTLBWR
			case 8:
				d.op = opTLBP
			case 24:
				d.op = opERET
			case 32:
				d.op = opWAIT
			}
		case rs >= 16 && fn == 32:
			d.op = opWAIT
		}
		return d
	case 17, 18, 19, 49, 50, 53, 54, 57, 58, 61, 62:
		// Floating point and other coprocessors: TSAR cores have none.
		d.op = opCpU
		d.imm = 1
		switch opc {
		case 18, 50, 54, 58, 62:
			d.imm = 2
		case 19:
			d.imm = 3
		}
		return d
	case 28: // SPECIAL2
		switch fn {
		case 0:
			if rd == 0 && sa == 0 {
				return r3(opMADD)
			}
		case 1:
			if rd == 0 && sa == 0 {
				return r3(opMADDU)
			}
		case 2:
			if sa == 0 {
				return r3(opMUL)
			}
		case 4:
			if rd == 0 && sa == 0 {
				return r3(opMSUB)
			}
		case 5:
			if rd == 0 && sa == 0 {
				return r3(opMSUBU)
			}
		case 32:
			if sa == 0 && rd == rt {
				return r3(opCLZ)
			}
		case 33:
			if sa == 0 && rd == rt {
				return r3(opCLO)
			}
		case 63:
			d.imm = (w >> 6) & 0xfffff
			return r3(opSDBBP)
		}
	case 31: // SPECIAL3 (release 2)
		switch fn {
		case 0: // EXT: pos = sa, size-1 = rd field
			d.rd = dst(rt)
			d.imm = sa | rd<<8
			d.op = opEXT
		case 4: // INS: pos = sa, msb = rd field
			d.rd = dst(rt)
			d.imm = sa | rd<<8
			if rd >= sa {
				d.op = opINS
			}
		case 32:
			switch sa {
			case 2:
				d.op = opWSBH
			case 16:
				d.op = opSEB
			case 24:
				d.op = opSEH
			}
			if rs != 0 {
				d.op = opRI
			}
		case 59:
			d.rd = dst(rt)
			d.rs = uint8(rd)
			d.op = opRDHWR
		}
		return d
	case 32, 33, 34, 35, 36, 37, 38, 48: // loads
		d.rd = dst(rt)
		d.imm = sext16(imm)
		d.op = [...]uint8{opLB, opLH, opLWL, opLW, opLBU, opLHU, opLWR}[min(opc-32, 6)]
		if opc == 48 {
			d.op = opLL
		}
		return d
	case 40, 41, 42, 43, 46, 56: // stores
		d.imm = sext16(imm)
		switch opc {
		case 40:
			d.op = opSB
		case 41:
			d.op = opSH
		case 42:
			d.op = opSWL
		case 43:
			d.op = opSW
		case 46:
			d.op = opSWR
		case 56:
			d.rd = dst(rt)
			d.op = opSC
		}
		return d
	case 47: // CACHE
		d.imm = sext16(imm)
		d.op = opCACHE
		return d
	case 51: // PREF: a hint, architecturally allowed to do nothing
		return dinsn{op: opNOP}
	}
	return d
}
