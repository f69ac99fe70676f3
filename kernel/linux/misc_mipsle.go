package linux

import (
	"almos/kernel/cpu"
	"almos/kernel/kmem"
	"almos/kernel/thread"
)

// Uname fields reported to callers. The release must be at least 5.1: the
// runtime then uses the 64-bit time calls, the only ones served with 64-bit
// seconds.
var (
	UnameSysname = "Linux"
	UnameNode    = "almos"
	UnameRelease = "6.1.0-almos"
	UnameVersion = "#1 SMP ALMOS"
	UnameMachine = "mips"
)

func sysUname(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	p := uintptr(arg(t, 0))
	const field = 65
	if !kmem.Valid(p, 6*field) {
		return 0, EFAULT
	}
	b := kmem.Bytes(p, 6*field)
	clear(b)
	for i, s := range [...]string{UnameSysname, UnameNode, UnameRelease, UnameVersion, UnameMachine, "(none)"} {
		copy(b[i*field:i*field+field-1], s)
	}
	return 0, 0
}

func sysGetrandom(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	p, n, flags := uintptr(arg(t, 0)), uintptr(arg(t, 1)), arg(t, 2)
	const grndNonblock, grndRandom, grndInsecure = 1, 2, 4
	if flags&^(grndNonblock|grndRandom|grndInsecure) != 0 {
		return 0, EINVAL
	}
	if n > 1<<25 {
		n = 1 << 25
	}
	if !kmem.Valid(p, n) && n != 0 {
		return 0, EFAULT
	}
	Random(c.ID, kmem.Bytes(p, n))
	return uint32(n), 0
}

func sysPrlimit64(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	pid, res, nlim, olim := arg(t, 0), arg(t, 1), uintptr(arg(t, 2)), uintptr(arg(t, 3))
	if pid != 0 && pid != 1 {
		return 0, ESRCH
	}
	if res > 15 {
		return 0, EINVAL
	}
	if olim != 0 {
		if !kmem.ValidAligned(olim, 16, 4) {
			return 0, EFAULT
		}
		// Everything unlimited, but the open files.
		lim := ^uint64(0)
		if res == 7 { // RLIMIT_NOFILE
			lim = maxFiles
		}
		for i := uintptr(0); i < 2; i++ {
			*kmem.U32(olim + 8*i) = uint32(lim)
			*kmem.U32(olim + 8*i + 4) = uint32(lim >> 32)
		}
	}
	if nlim != 0 {
		if !kmem.ValidAligned(nlim, 16, 4) {
			return 0, EFAULT
		}
		// Limits are accepted and not enforced.
	}
	return 0, 0
}

func sysPrctl(c *cpu.CPU, t *thread.Thread) (uint32, Errno) {
	const prSetName, prGetName = 15, 16
	switch arg(t, 0) {
	case prSetName:
		p := uintptr(arg(t, 1))
		if !kmem.Valid(p, 1) {
			return 0, EFAULT
		}
		var name [16]byte
		for i := 0; i < 15 && kmem.Valid(p+uintptr(i), 1); i++ {
			b := kmem.Bytes(p+uintptr(i), 1)[0]
			if b == 0 {
				break
			}
			name[i] = b
		}
		t.Name = name
		return 0, 0
	case prGetName:
		p := uintptr(arg(t, 1))
		if !kmem.Valid(p, 16) {
			return 0, EFAULT
		}
		copy(kmem.Bytes(p, 16), t.Name[:])
		return 0, 0
	}
	return 0, EINVAL
}
