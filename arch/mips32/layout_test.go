package mips32

import (
	"testing"
	"unsafe"
)

func TestFrameLayout(t *testing.T) {
	var f Frame
	check := func(name string, got, want uintptr) {
		t.Helper()
		if got != want {
			t.Errorf("%s at %#x, asm expects %#x", name, got, want)
		}
	}
	check("R", unsafe.Offsetof(f.R), FrameR)
	check("HI", unsafe.Offsetof(f.HI), FrameHI)
	check("LO", unsafe.Offsetof(f.LO), FrameLO)
	check("EPC", unsafe.Offsetof(f.EPC), FrameEPC)
	check("Status", unsafe.Offsetof(f.Status), FrameStatus)
	check("Cause", unsafe.Offsetof(f.Cause), FrameCause)
	check("BadVA", unsafe.Offsetof(f.BadVA), FrameBadVA)
	check("size", unsafe.Sizeof(f), FrameSize)
}

func TestBlockLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 4 {
		t.Skip("the block layout is defined for 32-bit targets; checked by GOARCH=mipsle go vet and the boot tests")
	}
	var b Block
	check := func(name string, got, want uintptr) {
		t.Helper()
		if got != want {
			t.Errorf("%s at %#x, asm expects %#x", name, got, want)
		}
	}
	check("CurFrame", unsafe.Offsetof(b.CurFrame), BlockCurFrame)
	check("InTrap", unsafe.Offsetof(b.InTrap), BlockInTrap)
	check("TrapSP", unsafe.Offsetof(b.TrapSP), BlockTrapSP)
	check("TrapG", unsafe.Offsetof(b.TrapG), BlockTrapG)
	check("NestFrame", unsafe.Offsetof(b.NestFrame), BlockNestFrame)
	check("NestSP", unsafe.Offsetof(b.NestSP), BlockNestSP)
	check("ID", unsafe.Offsetof(b.ID), BlockID)
	check("Traps", unsafe.Offsetof(b.Traps), BlockTraps)
	check("NestG", unsafe.Offsetof(b.NestG), BlockNestG)
	check("PagedBase", unsafe.Offsetof(b.PagedBase), BlockPagedBase)
	check("PagedSize", unsafe.Offsetof(b.PagedSize), BlockPagedSize)
	check("PagedTable", unsafe.Offsetof(b.PagedTable), BlockPagedTbl)
	check("Scratch", unsafe.Offsetof(b.Scratch), BlockScratch)
	check("Nest", unsafe.Offsetof(b.Nest), BlockNest)
	check("size", unsafe.Sizeof(b), BlockSize)
}

func TestExcNames(t *testing.T) {
	if ExcName(ExcTLBL) == "" || ExcName(31) != "reserved exception code" {
		t.Fatal("exception names")
	}
	if got := ExcCode(0x8000000c); got != 3 {
		t.Fatalf("ExcCode(0x8000000c) = %d, want 3", got)
	}
}
