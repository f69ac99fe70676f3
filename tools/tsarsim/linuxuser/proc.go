// Package linuxuser is tsarsim's user-mode harness: it runs a static
// GOOS=linux GOARCH=mipsle program on the simulated machine, serving its
// o32 Linux system calls on the host. Threads made by clone run on the
// simulated cores; memory is demand-paged into the cluster banks by a
// placement policy, so the NUMA counters of the machine measure the
// program's locality.
//
// What is served from the host (see README.md): files are opened
// read-only from the host file system, relative paths from the program's
// working directory; stdout and stderr go to the harness's writers; time
// is simulated time; everything else (memory, threads, futexes, epoll,
// eventfd, pipes, signals as records) is emulated here.
package linuxuser

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"almos/tools/tsarsim/cpu"
	"almos/tools/tsarsim/machine"
	"almos/tools/tsarsim/mem"
)

// Place is the thread placement policy.
type Place int

const (
	// PlaceSpread uses every core; successive threads go to successive
	// clusters (round-robin over the mesh).
	PlaceSpread Place = iota
	// PlaceLocal confines the process to the cores of cluster (0,0).
	PlaceLocal
)

// ParsePlace parses a -place value.
func ParsePlace(s string) (Place, error) {
	switch s {
	case "spread":
		return PlaceSpread, nil
	case "local":
		return PlaceLocal, nil
	}
	return 0, fmt.Errorf("placement %q: want spread or local", s)
}

// MemPlace is the page placement policy.
type MemPlace int

const (
	// MemFirstTouch puts a page in the bank of the cluster whose core
	// touches it first.
	MemFirstTouch MemPlace = iota
	// MemLocal puts every page in cluster (0,0).
	MemLocal
	// MemInterleave spreads pages round-robin over the clusters.
	MemInterleave
)

// ParseMemPlace parses a -mem-place value.
func ParseMemPlace(s string) (MemPlace, error) {
	switch s {
	case "first-touch":
		return MemFirstTouch, nil
	case "local":
		return MemLocal, nil
	case "interleave":
		return MemInterleave, nil
	}
	return 0, fmt.Errorf("memory placement %q: want first-touch, local or interleave", s)
}

// Config describes a user-mode run.
type Config struct {
	Machine  machine.Config
	Args     []string // program path and arguments
	Env      []string // extra environment
	Dir      string   // working directory ("" = current)
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Place    Place
	MemPlace MemPlace
	// Trace, if set, receives one line per system call.
	Trace io.Writer
	// Slice is the time slice in cycles when threads share a core.
	Slice uint64
}

// Page table entry states.
const (
	pteNone     = 0 // unmapped
	pteReserved = 1 // mapped, no frame yet (demand paging)
	pteBacked   = 2
)

// Protections (Linux values).
const (
	protRead  = 1
	protWrite = 2
	protExec  = 4
)

type pte struct {
	pa    uint64 // frame physical address when backed
	prot  uint8
	state uint8
}

const (
	userTop   = 0x80000000
	stackTop  = 0x7fff0000
	stackSize = 8 << 20
	mmapTop   = 0x77000000
)

// Proc is one simulated process.
type Proc struct {
	M   *machine.Machine
	cfg Config
	sys *cpu.System

	pt      []pte // by virtual page number
	brkBase uint32
	brk     uint32

	// frame allocator per cluster identifier
	next   [256]uint64
	limit  [256]uint64
	free   [256][]uint64
	ileave int
	banks  []int // cluster identifiers, in dense order

	threads  map[int]*Thread
	nextTID  int
	cores    []*coreState // allowed cores, in placement order
	byCore   map[*cpu.Core]*coreState
	placeIdx int
	futex    map[uint32][]*Thread
	timers   []*Thread // threads blocked with a deadline

	fds   []*file
	cwd   string
	rng   uint64
	warn  map[uint32]bool
	sigs  map[int]sigAction
	exit  bool
	oom   bool
	tmp   string // scratch directory, the only writable place
	usage struct{ syscalls, ctxsw uint64 }
}

type sigAction struct {
	handler, flags uint32
	mask           uint64
}

// New builds the machine and loads the program.
func New(cfg *Config) (*Proc, error) {
	mc := cfg.Machine
	mc.NoROM = true
	m, err := machine.New(mc)
	if err != nil {
		return nil, err
	}
	if cfg.Slice == 0 {
		cfg.Slice = 2_000_000
	}
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	if cfg.Stderr == nil {
		cfg.Stderr = os.Stderr
	}
	if len(cfg.Args) == 0 {
		return nil, fmt.Errorf("no program")
	}
	p := &Proc{M: m, cfg: *cfg, sys: m.Sys, pt: make([]pte, userTop>>mem.PageShift),
		threads: map[int]*Thread{}, nextTID: 1000, byCore: map[*cpu.Core]*coreState{},
		futex: map[uint32][]*Thread{}, warn: map[uint32]bool{}, sigs: map[int]sigAction{},
		rng: 0x9e3779b97f4a7c15}
	p.cwd = cfg.Dir
	if p.cwd == "" {
		if p.cwd, err = os.Getwd(); err != nil {
			return nil, err
		}
	}
	if p.cwd, err = filepath.Abs(p.cwd); err != nil {
		return nil, err
	}
	for x := 0; x < mc.MeshX; x++ {
		for y := 0; y < mc.MeshY; y++ {
			id := mem.ClusterID(x, y)
			p.banks = append(p.banks, id)
			p.next[id] = uint64(id) << mem.ClusterShift
			p.limit[id] = p.next[id] + uint64(mc.BankSize)
		}
	}
	p.setupCores()
	p.initFiles()
	if err := p.setupTmp(); err != nil {
		return nil, err
	}
	img, err := os.ReadFile(cfg.Args[0])
	if err != nil {
		return nil, err
	}
	entry, phdr, phnum, err := p.loadELF(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", cfg.Args[0], err)
	}
	sp, err := p.setupStack(cfg.Args, p.environ(), entry, phdr, phnum)
	if err != nil {
		return nil, err
	}
	if err := p.setupTrampoline(); err != nil {
		return nil, err
	}
	t := p.newThread()
	t.R[29] = sp
	t.PC, t.NPC = entry, entry+4
	p.place(t)
	return p, nil
}

func (p *Proc) environ() []string {
	env := []string{"PATH=/usr/bin:/bin", "HOME=/", "LANG=C", "TERM=dumb", "TMPDIR=" + guestTmp}
	return append(env, p.cfg.Env...)
}

// frame allocates a zeroed physical page, preferring cluster id.
func (p *Proc) frame(id int) (uint64, bool) {
	try := func(id int) (uint64, bool) {
		if n := len(p.free[id]); n > 0 {
			pa := p.free[id][n-1]
			p.free[id] = p.free[id][:n-1]
			p.sys.ZeroPage(pa)
			return pa, true
		}
		if p.next[id] < p.limit[id] {
			pa := p.next[id]
			p.next[id] += mem.PageSize
			return pa, true // fresh bank memory is zero
		}
		return 0, false
	}
	if pa, ok := try(id); ok {
		return pa, true
	}
	// The preferred bank is full: take the nearest one with room.
	best, bestD := -1, 1<<30
	for _, b := range p.banks {
		if (len(p.free[b]) > 0 || p.next[b] < p.limit[b]) && mem.Dist(id, b) < bestD {
			best, bestD = b, mem.Dist(id, b)
		}
	}
	if best < 0 {
		return 0, false
	}
	return try(best)
}

// home chooses the cluster of a new frame for a page touched from
// cluster from.
func (p *Proc) home(vpn uint32, from int) int {
	switch p.cfg.MemPlace {
	case MemLocal:
		return 0
	case MemInterleave:
		return p.banks[int(vpn)%len(p.banks)]
	}
	return from
}

// back gives a reserved page its frame.
func (p *Proc) back(vpn uint32, from int) bool {
	e := &p.pt[vpn]
	pa, ok := p.frame(p.home(vpn, from))
	if !ok {
		if !p.oom {
			p.oom = true
			fmt.Fprintf(p.cfg.Stderr, "tsarsim: out of simulated memory (%d banks of %d MiB): raise -mem\n",
				len(p.banks), p.M.Cfg.BankSize>>20)
		}
		return false
	}
	e.pa = pa
	e.state = pteBacked
	return true
}

// xlate is the cores' KUSEG translation: host page tables with demand
// paging.
func (p *Proc) xlate(c *cpu.Core, va uint32, write bool) (uint64, bool) {
	if va >= userTop {
		return 0, false
	}
	vpn := va >> mem.PageShift
	e := &p.pt[vpn]
	if e.state == pteNone || e.prot&protRead == 0 && !write || write && e.prot&protWrite == 0 {
		return 0, false
	}
	if e.state == pteReserved && !p.back(vpn, c.Cluster) {
		return 0, false
	}
	return e.pa | uint64(va&(mem.PageSize-1)), true
}

// mapRange marks pages mapped (reserved) with a protection.
func (p *Proc) mapRange(va, n uint32, prot uint8) {
	for v := va >> mem.PageShift; v < (va+n+mem.PageSize-1)>>mem.PageShift; v++ {
		e := &p.pt[v]
		if e.state == pteNone {
			e.state = pteReserved
		}
		e.prot = prot
	}
	p.invalidate(va, n)
}

// unmapRange frees pages.
func (p *Proc) unmapRange(va, n uint32) {
	for v := va >> mem.PageShift; v < (va+n+mem.PageSize-1)>>mem.PageShift && v < uint32(len(p.pt)); v++ {
		e := &p.pt[v]
		if e.state == pteBacked {
			id := int(e.pa >> mem.ClusterShift)
			p.free[id] = append(p.free[id], e.pa)
		}
		*e = pte{}
	}
	p.invalidate(va, n)
}

// discard drops the frames of a range but keeps it mapped (MADV_DONTNEED:
// the next touch sees zeros).
func (p *Proc) discard(va, n uint32) {
	for v := va >> mem.PageShift; v < (va+n+mem.PageSize-1)>>mem.PageShift && v < uint32(len(p.pt)); v++ {
		e := &p.pt[v]
		if e.state == pteBacked {
			id := int(e.pa >> mem.ClusterShift)
			p.free[id] = append(p.free[id], e.pa)
			e.state = pteReserved
			e.pa = 0
		}
	}
	p.invalidate(va, n)
}

// invalidate drops cached translations of a range on every core.
func (p *Proc) invalidate(va, n uint32) {
	pages := (n + mem.PageSize - 1) >> mem.PageShift
	for _, c := range p.M.Cores {
		if pages > 512 {
			c.FlushTLBCache()
			continue
		}
		for i := uint32(0); i < pages; i++ {
			c.InvalidatePage(va + i<<mem.PageShift)
		}
	}
}

// phys translates for the host side of a system call, backing the page
// if needed (the calling core's cluster is the toucher).
func (p *Proc) phys(va uint32, write bool, from int) (uint64, bool) {
	if va >= userTop {
		return 0, false
	}
	vpn := va >> mem.PageShift
	e := &p.pt[vpn]
	if e.state == pteNone || write && e.prot&protWrite == 0 {
		return 0, false
	}
	if e.state == pteReserved && !p.back(vpn, from) {
		return 0, false
	}
	return e.pa | uint64(va&(mem.PageSize-1)), true
}

// readMem copies user memory out; ok is false on a fault. A page never
// touched reads as zeros and stays unbacked, so the host's reads (system
// call arguments on the stack, futex words) do not decide placement.
func (p *Proc) readMem(va uint32, buf []byte) bool {
	for len(buf) > 0 {
		n := min(len(buf), int(mem.PageSize-va&(mem.PageSize-1)))
		if va < userTop && p.pt[va>>mem.PageShift].state == pteReserved {
			clear(buf[:n])
			buf = buf[n:]
			va += uint32(n)
			continue
		}
		pa, ok := p.phys(va, false, 0)
		if !ok {
			return false
		}
		if err := p.sys.ReadPhys(pa, buf[:n]); err != nil {
			return false
		}
		buf = buf[n:]
		va += uint32(n)
	}
	return true
}

// writeMem copies into user memory, as stores would.
func (p *Proc) writeMem(va uint32, data []byte, from int) bool {
	for len(data) > 0 {
		pa, ok := p.phys(va, true, from)
		if !ok {
			return false
		}
		n := min(len(data), int(mem.PageSize-va&(mem.PageSize-1)))
		if err := p.sys.WritePhys(pa, data[:n]); err != nil {
			return false
		}
		data = data[n:]
		va += uint32(n)
	}
	return true
}

func (p *Proc) readU32(va uint32) (uint32, bool) {
	var b [4]byte
	ok := p.readMem(va, b[:])
	return le32(b[:]), ok
}

func (p *Proc) writeU32(va, v uint32, from int) bool {
	var b [4]byte
	put32(b[:], v)
	return p.writeMem(va, b[:], from)
}

func (p *Proc) readString(va uint32, max int) (string, bool) {
	var out []byte
	var b [1]byte
	for len(out) < max {
		if !p.readMem(va, b[:]) {
			return "", false
		}
		if b[0] == 0 {
			return string(out), true
		}
		out = append(out, b[0])
		va++
	}
	return "", false
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func put64(b []byte, v uint64) { put32(b, uint32(v)); put32(b[4:], uint32(v>>32)) }

// loadELF maps the PT_LOAD segments. Pages are backed in cluster 0, as
// if the loader ran there.
func (p *Proc) loadELF(img []byte) (entry, phdr, phnum uint32, err error) {
	f, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		return 0, 0, 0, err
	}
	if f.Class != elf.ELFCLASS32 || f.Data != elf.ELFDATA2LSB || f.Machine != elf.EM_MIPS {
		return 0, 0, 0, fmt.Errorf("not a 32-bit little-endian MIPS ELF")
	}
	if f.Type != elf.ET_EXEC {
		return 0, 0, 0, fmt.Errorf("not a static executable")
	}
	end := uint32(0)
	for _, ph := range f.Progs {
		switch ph.Type {
		case elf.PT_INTERP:
			return 0, 0, 0, fmt.Errorf("dynamically linked programs are not supported")
		case elf.PT_PHDR:
			phdr = uint32(ph.Vaddr)
		case elf.PT_LOAD:
			if ph.Memsz == 0 {
				continue
			}
			va := uint32(ph.Vaddr)
			if uint64(va)+ph.Memsz > mmapTop {
				return 0, 0, 0, fmt.Errorf("segment at %#x too high", va)
			}
			prot := uint8(0)
			if ph.Flags&elf.PF_R != 0 {
				prot |= protRead
			}
			if ph.Flags&elf.PF_W != 0 {
				prot |= protWrite
			}
			if ph.Flags&elf.PF_X != 0 {
				prot |= protExec | protRead
			}
			start := va &^ (mem.PageSize - 1)
			p.mapRange(start, va+uint32(ph.Memsz)-start, prot|protWrite)
			data := make([]byte, ph.Filesz)
			if _, err := ph.ReadAt(data, 0); err != nil {
				return 0, 0, 0, err
			}
			if !p.writeMem(va, data, 0) {
				return 0, 0, 0, fmt.Errorf("out of simulated memory loading the program")
			}
			p.mapRange(start, va+uint32(ph.Memsz)-start, prot)
			end = max(end, va+uint32(ph.Memsz))
			if phdr == 0 && ph.Off == 0 {
				phdr = va + le32(img[28:]) // e_phoff
			}
		}
	}
	p.brkBase = (end + mem.PageSize - 1) &^ (mem.PageSize - 1)
	p.brk = p.brkBase
	return uint32(f.Entry), phdr, uint32(len(f.Progs)), nil
}

// Auxiliary vector keys.
const (
	atNull   = 0
	atPhdr   = 3
	atPhent  = 4
	atPhnum  = 5
	atPagesz = 6
	atEntry  = 9
	atUID    = 11
	atEUID   = 12
	atGID    = 13
	atEGID   = 14
	atHwcap  = 16
	atClktck = 17
	atSecure = 23
	atRandom = 25
	atExecfn = 31
)

// setupStack builds the initial stack: argc, argv, envp, auxv, strings.
func (p *Proc) setupStack(args, env []string, entry, phdr, phnum uint32) (uint32, error) {
	p.mapRange(stackTop-stackSize, stackSize, protRead|protWrite)
	// Strings and random bytes at the top.
	var strs []byte
	addr := func(s string) uint32 {
		off := len(strs)
		strs = append(strs, s...)
		strs = append(strs, 0)
		return uint32(off)
	}
	var argOff, envOff []uint32
	for _, a := range args {
		argOff = append(argOff, addr(a))
	}
	for _, e := range env {
		envOff = append(envOff, addr(e))
	}
	execfn := addr(args[0])
	rnd := uint32(len(strs))
	for i := 0; i < 16; i++ {
		strs = append(strs, byte(p.rand()))
	}
	strBase := (stackTop - 16 - uint32(len(strs))) &^ 15
	if !p.writeMem(strBase, strs, 0) {
		return 0, fmt.Errorf("stack")
	}
	var words []uint32
	words = append(words, uint32(len(args)))
	for _, o := range argOff {
		words = append(words, strBase+o)
	}
	words = append(words, 0)
	for _, o := range envOff {
		words = append(words, strBase+o)
	}
	words = append(words, 0)
	aux := [][2]uint32{{atPhdr, phdr}, {atPhent, 32}, {atPhnum, phnum}, {atPagesz, mem.PageSize},
		{atEntry, entry}, {atUID, 0}, {atEUID, 0}, {atGID, 0}, {atEGID, 0}, {atHwcap, 0}, {atClktck, 100},
		{atSecure, 0}, {atRandom, strBase + rnd}, {atExecfn, strBase + execfn}, {atNull, 0}}
	for _, a := range aux {
		words = append(words, a[0], a[1])
	}
	sp := (strBase - uint32(4*len(words))) &^ 15
	buf := make([]byte, 4*len(words))
	for i, w := range words {
		put32(buf[4*i:], w)
	}
	if !p.writeMem(sp, buf, 0) {
		return 0, fmt.Errorf("stack")
	}
	return sp, nil
}

// rand is the harness's deterministic generator (AT_RANDOM, getrandom).
func (p *Proc) rand() uint64 {
	p.rng ^= p.rng << 13
	p.rng ^= p.rng >> 7
	p.rng ^= p.rng << 17
	return p.rng
}

// nanos converts cycles to simulated nanoseconds.
func (p *Proc) nanos(cycles uint64) uint64 {
	f := p.M.Cfg.FreqHz
	return cycles/f*1e9 + cycles%f*1e9/f
}

func (p *Proc) cycles(ns uint64) uint64 {
	f := p.M.Cfg.FreqHz
	return ns/1e9*f + ns%1e9*f/1e9
}

// epoch is the simulated wall clock at cycle 0.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
