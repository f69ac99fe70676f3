package ktest

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"almos/kernel/kapi"
	"almos/kernel/kmem"
)

func init() {
	Register("memreturn", "memory the Go runtime releases goes back to the page allocators; MADV_DONTNEED pages read as zero", testMemReturn)
}

// testMemReturn grows the Go heap by an eighth of the managed RAM, drops it
// and has the runtime release it (debug.FreeOSMemory: MADV_DONTNEED on every
// free span): the frames must go back to the banks, not stay with the
// process. Then it checks MADV_DONTNEED itself: the page's frame goes and
// the page reads as zero when touched again.
func testMemReturn(t *T) {
	var m0, m1, m2 kapi.MemStats
	debug.FreeOSMemory()
	if err := kapi.ReadMemStats(&m0); err != nil {
		t.Fatalf("%v", err)
	}
	want := m0.TotalPages * m0.PageSize / 8
	blocks := make([][]byte, want>>16)
	for i := range blocks {
		b := make([]byte, 64<<10)
		for j := 0; j < len(b); j += int(m0.PageSize) {
			b[j] = byte(i)
		}
		blocks[i] = b
	}
	kapi.ReadMemStats(&m1)
	runtime.KeepAlive(blocks)
	blocks = nil
	grown := (m1.Resident - m0.Resident) * m0.PageSize
	if grown < want*3/4 {
		t.Errorf("the heap grew by %d KiB of frames for %d KiB allocated", grown>>10, want>>10)
	}
	debug.FreeOSMemory()
	// The frames wait in limbo until every core has flushed its TLB (at
	// its next interrupt, which an IPI brings); then they are free.
	waited := time.Now()
	for kapi.ReadMemStats(&m2); m2.Limbo != 0 && time.Since(waited) < 5*time.Second; kapi.ReadMemStats(&m2) {
		time.Sleep(5 * time.Millisecond)
	}
	if m2.Limbo != 0 {
		t.Errorf("%d frames still wait for TLB flushes after %v", m2.Limbo, time.Since(waited).Round(time.Millisecond))
	}
	// What stays: the runtime's metadata for the bigger heap, and what it
	// keeps unreleased; well under a quarter of what was given back.
	slack := uint64(2<<20)/m0.PageSize + (m1.Resident-m0.Resident)/4
	t.Logf("resident pages %d -> %d -> %d; free pages %d -> %d -> %d; %d frames given back, %d TLB flushes; limbo empty %v after the release",
		m0.Resident, m1.Resident, m2.Resident, m0.FreePages, m1.FreePages, m2.FreePages, m2.Released-m0.Released, m2.TLBFlushes-m0.TLBFlushes, time.Since(waited).Round(time.Millisecond))
	if m2.Resident > m0.Resident+slack {
		t.Errorf("resident pages %d after release, %d before the allocation: the frames did not go back", m2.Resident, m0.Resident)
	}
	// Frames given back may wait a moment for the other cores' TLB
	// flushes (limbo) before they are free again.
	if m2.FreePages+m2.Limbo+slack < m0.FreePages+m0.Limbo {
		t.Errorf("free pages %d (+%d waiting for TLB flushes) after release, %d (+%d) before the allocation", m2.FreePages, m2.Limbo, m0.FreePages, m0.Limbo)
	}
	if m2.Released == m0.Released {
		t.Errorf("no frame was given back")
	}

	// MADV_DONTNEED on a touched page: its frame goes, and it reads as zero.
	const size = 16 << 10
	a, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE, ^uintptr(0), 0)
	if e != 0 {
		t.Fatalf("mmap: %v", e)
	}
	defer syscall.Syscall(syscall.SYS_MUNMAP, a, size, 0)
	mem := kmem.Bytes(a, size)
	for i := range mem {
		mem[i] = 0xa5
	}
	var before, after kapi.MemStats
	kapi.ReadMemStats(&before)
	if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, a, size, 4 /* MADV_DONTNEED */); e != 0 {
		t.Fatalf("madvise: %v", e)
	}
	kapi.ReadMemStats(&after)
	if before.Resident-after.Resident != size/before.PageSize {
		t.Errorf("MADV_DONTNEED of %d pages: resident %d -> %d", size/before.PageSize, before.Resident, after.Resident)
	}
	for i, b := range mem {
		if b != 0 {
			t.Fatalf("byte %d reads %#x after MADV_DONTNEED, want 0", i, b)
		}
	}
}

func init() {
	Register("vmstress", "goroutines on every core map, touch, check, release and unmap memory at once: no page shows another's data, the state stays consistent, no frame is lost", testVMStress)
}

// testVMStress runs goroutines that each map a few pages, fill them with a
// pattern of their own, check it, give half back with MADV_DONTNEED (which
// must read as zero), and unmap, over and over, on every core at once. A
// frame freed while another core's TLB could still reach it, or a page bound
// to two frames, shows up as a wrong byte; the kernel's cross-check then
// compares the page table with the allocators.
func testVMStress(t *T) {
	n := online()
	defer atLeastProcs(n)()
	var m0, m1 kapi.MemStats
	debug.FreeOSMemory()
	kapi.ReadMemStats(&m0)
	workers := 2 * n
	// Each release flushes every core's TLB (an IPI round trip to each):
	// the same number of releases in all whatever the cores, about 1200.
	iters := 1200 / workers
	errs := make(chan string, workers)
	done := make(chan bool, workers)
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer func() { done <- true }()
			for it := 0; it < iters; it++ {
				pages := uintptr(1 + (w+it)%8)
				size := pages * 4096
				a, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE, ^uintptr(0), 0)
				if e != 0 {
					errs <- fmt.Sprintf("worker %d: mmap: %v", w, e)
					return
				}
				mem := kmem.Bytes(a, size)
				for i := range mem {
					if mem[i] != 0 {
						errs <- fmt.Sprintf("worker %d: fresh page byte %d reads %#x", w, i, mem[i])
						return
					}
					mem[i] = byte(w*31 + it + i/4096)
				}
				runtime.Gosched()
				for i := range mem {
					if mem[i] != byte(w*31+it+i/4096) {
						errs <- fmt.Sprintf("worker %d: page %d byte %d reads %#x, wrote %#x", w, i/4096, i%4096, mem[i], byte(w*31+it+i/4096))
						return
					}
				}
				if pages > 1 {
					half := pages / 2 * 4096
					syscall.Syscall(syscall.SYS_MADVISE, a, half, 4 /* MADV_DONTNEED */)
					for i := uintptr(0); i < size; i++ {
						want := byte(0)
						if i >= half {
							want = byte(w*31 + it + int(i/4096))
						}
						if mem[i] != want {
							errs <- fmt.Sprintf("worker %d: after MADV_DONTNEED byte %d reads %#x, want %#x", w, i, mem[i], want)
							return
						}
					}
				}
				syscall.Syscall(syscall.SYS_MUNMAP, a, size, 0)
			}
		}(w)
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Errorf("%s", e)
	}
	if bad := kapi.CheckVM(); bad != 0 {
		t.Errorf("the kernel's cross-check found %d inconsistencies (logged above)", bad)
	}
	debug.FreeOSMemory()
	kapi.ReadMemStats(&m1)
	t.Logf("%d workers on %d cores, %d rounds each; resident pages %d -> %d, kernel pages %d -> %d; %d TLB flushes, %d page faults",
		workers, n, iters, m0.Resident, m1.Resident, m0.KernelPages, m1.KernelPages, m1.TLBFlushes-m0.TLBFlushes, m1.PageFaults-m0.PageFaults)
	// What the runtime keeps for the threads and goroutines it made (their
	// stacks, its metadata), not the pages the workers mapped.
	if m1.Resident > m0.Resident+1024 {
		t.Errorf("resident pages %d -> %d: frames of unmapped pages kept", m0.Resident, m1.Resident)
	}
}
