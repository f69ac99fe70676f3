// Package manager is the cluster-manager: one per cluster of the mesh, it
// owns the cluster's memory bank (a buddy allocator of its page frames, its
// metadata inside the bank itself) and the kernel object caches carved from
// it, and reports the bank's state to the DQDT. The cores' schedulers are the
// per-core managers (package sched); the manager names which cores are its
// own.
//
// A Manager holds integers and addresses only: it can live in any memory
// (static data today, the cluster's own bank once each cluster runs its own
// kernel instance) and be read by other clusters.
//
// Trap-safe: after Init, nothing allocates, blocks or stores a Go pointer.
package manager

import (
	"sync/atomic"

	"almos/cluster"
	"almos/dqdt"
	"almos/mm"
)

// Manager is one cluster's manager.
type Manager struct {
	ID        int
	Bank      cluster.Bank // the bank, as addresses the kernel uses
	FirstCore int
	NCores    int

	// Pages allocates the bank's page frames.
	Pages mm.Buddy
	// Threads caches thread descriptors in the bank.
	Threads mm.Cache

	// MetaBytes is what the allocator's metadata takes at the bank start.
	MetaBytes uintptr

	// Spilled counts page runs this cluster's threads asked for that the
	// bank could not give and another cluster gave instead; Lent counts
	// runs this bank gave to other clusters' threads. Any core of any
	// cluster may count one, so they are atomic, and 32 bits wide: a 64-bit
	// atomic on mips32 takes a lock, which trap context must not.
	Spilled atomic.Uint32
	Lent    atomic.Uint32

	// reporting serialises Report: any core of the cluster may report, and
	// the reports must reach the tree in the order their counts were read.
	reporting atomic.Uint32
	reported  [dqdt.Orders]uint32
}

// Init sets up cluster id's manager for topology topo. reserved bytes at the
// start of the bank are already in use (cluster 0 holds the kernel image
// there); the allocator's metadata goes right after them, and the rest of
// the bank is free. threadSize is the size of a thread descriptor. Init runs
// once at boot.
func (m *Manager) Init(id int, topo *cluster.Topology, reserved uintptr, threadSize uintptr) bool {
	bank := topo.Bank(id)
	first, n := topo.ClusterCores(id)
	*m = Manager{ID: id, Bank: bank, FirstCore: first, NCores: n}
	base := uintptr(bank.Base)
	npages := uintptr(bank.Size) >> mm.PageShift
	meta := mm.MetaBytes(npages)
	metaPages := (meta + mm.PageSize - 1) >> mm.PageShift
	reservedPages := (reserved + mm.PageSize - 1) >> mm.PageShift
	if reservedPages+metaPages >= npages {
		return false
	}
	m.Pages.Init(base, npages, base+reservedPages<<mm.PageShift)
	m.MetaBytes = metaPages << mm.PageShift
	free := reservedPages + metaPages
	if !m.Pages.FreeRange(base+free<<mm.PageShift, npages-free) {
		return false
	}
	m.Threads.Init("thread", threadSize, 8, &m.Pages)
	return true
}

// Owns reports whether addr lies in the manager's bank.
func (m *Manager) Owns(addr uintptr) bool {
	return m.Bank.Contains(uint64(addr))
}

// Report gives the DQDT the bank's free blocks per order, if they changed
// since the last report. Several cores may report at once (a spill, the
// periodic tick): one at a time, so that a report read earlier never lands
// after a later one and leaves the tree stale while the last-reported counts
// say it is current. The wait is for one short report; callers run in trap
// context, where the holder cannot be preempted.
func (m *Manager) Report(t *dqdt.Tree) {
	for !m.reporting.CompareAndSwap(0, 1) {
	}
	defer m.reporting.Store(0)
	st := m.Pages.Stats()
	var free [dqdt.Orders]uint32
	changed := false
	for k := range free {
		free[k] = uint32(st.FreeBlocks[k])
		if free[k] != m.reported[k] {
			changed = true
		}
	}
	if changed {
		t.SetFreeAll(m.ID, &free)
		m.reported = free
	}
}
