package boottest

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// Packages whose code runs in trap context or before the Go runtime exists
// (docs/design.md, "Traps and the trap-safe rules"). Their compiled
// functions must not call into the runtime's allocator, channels, scheduler
// or write barrier: with the trap stack's fake g those paths would fault (no
// m), and a write barrier there would record pointers no collector tracks.
var trapSafePackages = []string{
	"almos/arch/mips32.",
	"almos/boot.",
	"almos/boot/cmdline.",
	"almos/cluster.",
	"almos/cluster/manager.",
	"almos/dqdt.",
	"almos/kernel/clusters.",
	"almos/kernel/cpu.",
	"almos/kernel/diag.",
	"almos/kernel/klog.",
	"almos/kernel/kmem.",
	"almos/kernel/krand.",
	"almos/kernel/ktime.",
	"almos/kernel/linux.",
	"almos/kernel/spin.",
	"almos/kernel/symtab.",
	"almos/kernel/thread.",
	"almos/kernel/wait.",
	"almos/mm.",
	"almos/sched.",
}

// Functions of those packages that run once, before the runtime starts
// (write barriers are off then, so the barrier calls the compiler emits for
// their pointer stores are never taken). Nothing else may store a pointer.
var initOnly = map[string]string{
	"almos/boot.early":                      "installs hooks and handlers before the runtime starts",
	"almos/mm.(*Cache).Init":                "records its page allocator at boot",
	"almos/mm.(*Cache).InitWindow":          "records its page allocator at boot",
	"almos/kernel/thread.Init":              "records the descriptor cache at boot",
	"almos/arch/mips32.SetHandlers":         "installs the trap handlers at boot",
	"almos/kernel/linux.Init":               "installs the personality's hooks at boot",
	"almos/kernel/linux.InitVM":             "records the page allocator at boot",
	"almos/kernel/diag.InitSymbols":         "records the image's symbol table at boot",
	"almos/kernel/symtab.(*Table).Init":     "records the table's bytes at boot",
	"almos/kernel/ktime.Init":               "records the clock source at boot",
	"almos/boot.readLoaderArgs":             "records the command line before the runtime starts",
	"almos/boot.bringUp":                    "installs the IPI hooks before the runtime starts",
	"almos/kernel/clusters.Init":            "installs the descriptor-cache hooks at boot",
	"almos/kernel/clusters.InitTree":        "builds the DQDT at boot",
	"almos/cluster/manager.(*Manager).Init": "sets up a cluster's allocator and caches at boot",
	"almos/dqdt.New":                        "builds the tree at boot; allocates only an error value, on failure",
	"almos/dqdt.(*Tree).layout":             "part of New",
	"almos/boot.TopologyError":              "explains a refused topology, in thread context after the runtime started",
	"almos/boot.sizeText":                   "formats for TopologyError, in thread context",
	"almos/cluster.New":                     "computes a topology with error messages, at boot in thread context",
	"almos/cluster.problem.err":             "formats the error New returns, in thread context",
	"almos/cluster.Topology.String":         "formats the topology for printing, in thread context",
	"almos/cluster.ParseCmdline":            "parses the command line in thread context",
	"almos/cluster.ParseMesh":               "parses the command line in thread context",
	"almos/cluster.count":                   "formats for String, in thread context",
	"almos/cluster.sizeString":              "formats for String and New, in thread context",
}

// Runtime entry points that allocate, block, switch goroutines or need a
// write barrier buffer.
var forbidden = []string{
	"runtime.newobject", "runtime.mallocgc", "runtime.makeslice", "runtime.makemap",
	"runtime.growslice", "runtime.concatstring", "runtime.slicebytetostring",
	"runtime.stringtoslicebyte", "runtime.convT", "runtime.chansend", "runtime.chanrecv",
	"runtime.closechan", "runtime.selectgo", "runtime.newproc", "runtime.gopark",
	"runtime.deferproc", "runtime.gcWriteBarrier", "runtime.wbZero", "runtime.wbMove",
	"runtime.typedmemmove", "runtime.typedslicecopy", "runtime.mapassign", "runtime.makechan",
	"runtime.lock2", "sync.(*Mutex).Lock", "sync.(*RWMutex)", "fmt.",
	// 64-bit atomics on MIPS32 take a spinlock of the runtime that a
	// preempted thread may hold: spinning on it with interrupts off never
	// ends.
	"internal/runtime/atomic.Xadd64", "internal/runtime/atomic.Load64",
	"internal/runtime/atomic.Store64", "internal/runtime/atomic.Cas64",
	"internal/runtime/atomic.Xchg64", "internal/runtime/atomic.And64",
	"internal/runtime/atomic.Or64", "internal/runtime/atomic.spinLock",
	"sync/atomic.AddInt64", "sync/atomic.AddUint64", "sync/atomic.LoadInt64",
	"sync/atomic.LoadUint64", "sync/atomic.StoreInt64", "sync/atomic.StoreUint64",
	"sync/atomic.CompareAndSwapInt64", "sync/atomic.CompareAndSwapUint64",
	"sync/atomic.SwapInt64", "sync/atomic.SwapUint64",
}

func TestTrapSafe(t *testing.T) {
	f, err := elf.Open(image)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	text := f.Section(".text")
	code, err := text.Data()
	if err != nil {
		t.Fatal(err)
	}
	var funcs []elf.Symbol
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Value >= text.Addr && s.Value < text.Addr+text.Size {
			funcs = append(funcs, s)
		}
	}
	sort.Slice(funcs, func(i, j int) bool { return funcs[i].Value < funcs[j].Value })
	nameAt := func(addr uint64) string {
		i := sort.Search(len(funcs), func(i int) bool { return funcs[i].Value > addr }) - 1
		if i < 0 || addr >= funcs[i].Value+funcs[i].Size {
			return ""
		}
		return funcs[i].Name
	}
	checked := 0
	var bad []string
	for _, fn := range funcs {
		if !hasPrefix(fn.Name, trapSafePackages) || initOnly[fn.Name] != "" {
			continue
		}
		checked++
		start := fn.Value - text.Addr
		for off := start; off+4 <= start+fn.Size; off += 4 {
			ins := binary.LittleEndian.Uint32(code[off:])
			if ins>>26 != 3 { // jal
				continue
			}
			pc := text.Addr + off
			target := (pc+4)&0xf0000000 | uint64(ins&0x3ffffff)<<2
			callee := nameAt(target)
			if hasPrefix(callee, forbidden) {
				bad = append(bad, fmt.Sprintf("%s calls %s", fn.Name, callee))
			}
		}
	}
	if checked < 200 {
		t.Fatalf("only %d trap-safe functions found: symbol names changed?", checked)
	}
	for _, b := range bad {
		t.Error(b)
	}
	t.Logf("%d functions of trap-safe packages checked for calls into the allocator, scheduler and write barrier", checked)
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
