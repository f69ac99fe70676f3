package boot

import (
	"almos/boot/cmdline"
	"almos/cluster"
	"almos/kernel/clusters"
	"almos/kernel/diag"
	"almos/kernel/klog"
	"almos/kernel/thread"
	"almos/mm"
	"almos/sched"
)

// minBank is the least RAM a cluster's bank needs: its allocator, its
// descriptors, and room for the pages its threads map.
const minBank = 8 << 20

// topoProblem is set when the command line asks for a topology the machine
// cannot have; the boot then stops once the Go runtime can explain why.
var topoProblem bool

// topoSpec reads clusters= and cores-per-cluster= (checked already by the
// command-line parser).
func topoSpec() cluster.Spec {
	var s cluster.Spec
	if v, ok := cmdline.Get(Boot.Cmdline, "clusters"); ok {
		if x, y, ok := cmdline.ParseMesh(v); ok {
			s.X, s.Y = x, y
		}
	}
	if v, ok := cmdline.Get(Boot.Cmdline, "cores-per-cluster"); ok {
		if n, ok := cmdline.ParseInt(v); ok {
			s.CoresPerCluster = int(n)
		}
	}
	return s
}

// Machine is what the topology is computed for (the cores planned, the RAM
// managed, as window addresses).
func Machine(cores int, ram uint64) cluster.Machine {
	// The buddy allocator of a bank needs its 4 MiB blocks aligned.
	return cluster.Machine{Cores: cores, RAMBase: windowBase, RAMSize: ram, MinBank: minBank, AlignBanks: true}
}

// topology computes the mesh for the command line, falling back to the
// default one (and stopping the boot later) when it is impossible, or when
// cluster 0's bank cannot hold the kernel image as well. The fallback is
// only a way to reach the runtime, which explains the problem; when even the
// default mesh cannot be cut, a single cluster is used for that.
func topology(cores int, ram uint64, reserved0 uintptr) cluster.Topology {
	m := Machine(cores, ram)
	t, ok := cluster.Make(topoSpec(), m)
	if ok && t.Bank(0).Size < uint64(reserved0)+minBank {
		ok = false
	}
	if !ok {
		topoProblem = true
		t, ok = cluster.Make(cluster.Spec{}, m)
		if !ok || t.Bank(0).Size < uint64(reserved0)+minBank {
			t, ok = cluster.Make(cluster.Spec{X: 1, Y: 1, CoresPerCluster: cluster.MaxCoresPerCluster}, Machine(min(cores, cluster.MaxCoresPerCluster), ram))
		}
		if !ok {
			halt("early boot: not even one cluster fits this machine")
		}
	}
	return t
}

// TopologyError explains, after the runtime started, why the topology was
// refused ("" if it was not), and the status to power off with: a mesh the
// command line asked for is a command-line mistake; the default mesh not
// fitting means the machine has too little RAM for its cores.
func TopologyError() (string, int) {
	if !topoProblem {
		return "", 0
	}
	status := diag.StatusBadCmdline
	spec := topoSpec()
	if spec == (cluster.Spec{}) {
		status = diag.StatusTooSmall
	}
	m := Machine(1, Boot.UsedRAM)
	if hasCPS {
		m.Cores = cpusWanted()
	}
	t, err := cluster.New(spec, m)
	if err != nil {
		return err.Error(), status
	}
	// Banks are equal and 4 MiB-aligned: each must hold what cluster 0's
	// holds.
	need := uint64(Boot.ImageEnd-0x80000000) + minBank
	n := uint64(t.NumClusters())
	total := n * ((need + cluster.LargeAlign - 1) &^ (cluster.LargeAlign - 1))
	var l klog.Line
	l.S("cluster: cluster 0's bank of ").S(sizeText(t.Bank(0).Size)).S(" cannot hold the kernel image and a working bank (").
		S(sizeText(need)).S(" needed); ").U(n).S(" clusters need at least ").U(total >> 20).S(" MiB of RAM: ")
	if status == diag.StatusTooSmall {
		l.S("give QEMU more memory, or fewer cores (cpus=) or a smaller mesh (clusters=)")
	} else {
		l.S("use fewer clusters or more memory")
	}
	return string(l.Bytes()), status
}

// sizeText formats n bytes as MiB with one decimal, rounded up, so that a
// size needed is never shown smaller than it is.
func sizeText(n uint64) string {
	var l klog.Line
	tenths := (n*10 + 1<<20 - 1) >> 20
	l.U(tenths / 10)
	if tenths%10 != 0 {
		l.S(".").U(tenths % 10)
	}
	l.S(" MiB")
	return string(l.Bytes())
}

// timerMemory takes a core's timer-heap memory from its cluster's bank.
func timerMemory(core uint32) (uintptr, bool) {
	pages := (sched.TimerBytes(thread.MaxThreads) + mm.PageSize - 1) >> mm.PageShift
	return clusters.Managers[clusters.Of(core)].Pages.AllocRun(pages)
}

func sameCluster(a, b uint32) bool { return clusters.Of(a) == clusters.Of(b) }

// printTopology is the boot log's view of the mesh.
func printTopology() {
	var l klog.Line
	x, y := clusters.Topo.Mesh()
	l.S("clusters: ").U(uint64(x)).S("x").U(uint64(y)).S(" mesh, up to ").U(uint64(clusters.Topo.CoresPerCluster())).S(" core")
	if clusters.Topo.CoresPerCluster() > 1 {
		l.S("s")
	}
	l.S(" each").Print()
	for id := 0; id < clusters.N(); id++ {
		m := &clusters.Managers[id]
		cx, cy := clusters.Topo.Coords(id)
		l.S("  cluster ").U(uint64(id)).S(" (").U(uint64(cx)).S(",").U(uint64(cy)).S("): ")
		if m.NCores > 1 {
			l.S("cores ").U(uint64(m.FirstCore)).S("-").U(uint64(m.FirstCore + m.NCores - 1))
		} else {
			l.S("core ").U(uint64(m.FirstCore))
		}
		st := m.Pages.Stats()
		l.Pad(36).S("bank ").X(uint32(m.Bank.Base)).S("-").X(uint32(m.Bank.End() - 1)).S(", ").U(uint64(st.FreePages) * 4 >> 10).S(" MiB free").Print()
	}
}
