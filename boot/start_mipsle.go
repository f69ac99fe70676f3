package boot

import (
	"unsafe"

	"almos/boot/cmdline"
	"almos/kernel/kmem"
	"almos/kernel/krand"
)

// The runtime's first thread starts on mainStack; the start frame (argc,
// argv, envp, auxv) sits at its top, and the strings the frame points to
// live in startStrings for the life of the kernel (the runtime keeps
// pointers to its environment).
var (
	mainStack    [128 << 10]byte
	startStrings [2048]byte
	startRandom  [16]byte
)

// Auxiliary vector tags.
const (
	atNull     = 0
	atPagesz   = 6
	atPlatform = 15
	atHwcap    = 16
	atClktck   = 17
	atSecure   = 23
	atRandom   = 25
)

type strWriter struct {
	n int
}

// put copies the concatenation of parts into startStrings as one
// NUL-terminated string and returns its address.
func (w *strWriter) put(parts ...string) uint32 {
	start := w.n
	for _, p := range parts {
		for i := 0; i < len(p) && w.n < len(startStrings)-1; i++ {
			startStrings[w.n] = p[i]
			w.n++
		}
	}
	startStrings[w.n] = 0
	w.n++
	return uint32(uintptr(unsafe.Pointer(&startStrings[start])))
}

// startFrame builds the frame the runtime's _rt0_mipsle_linux reads at its
// stack pointer, as Linux would for a static executable, and returns that
// stack pointer.
func startFrame() uintptr {
	var w strWriter
	argv0 := w.put("almos")
	platform := w.put("mips")
	var env [12]uint32
	ne := 0
	env[ne] = w.put("GOTRACEBACK=", cmdline.GetOr(Boot.Cmdline, "gotraceback"))
	ne++
	if v, ok := cmdline.Get(Boot.Cmdline, "godebug"); ok && v != "" {
		env[ne] = w.put("GODEBUG=", v)
		ne++
	}
	if v, ok := cmdline.Get(Boot.Cmdline, "gomaxprocs"); ok {
		if _, ok := cmdline.ParseInt(v); ok {
			env[ne] = w.put("GOMAXPROCS=", v)
			ne++
		}
	}
	if v, ok := cmdline.Get(Boot.Cmdline, "gogc"); ok {
		env[ne] = w.put("GOGC=", v)
		ne++
	}
	if v, ok := cmdline.Get(Boot.Cmdline, "ktestprocs"); ok {
		env[ne] = w.put("KTEST_PROCS=", v)
		ne++
	}
	env[ne] = w.put("TZ=") // UTC: there is no /etc/localtime
	ne++
	env[ne] = w.put("HOME=/")
	ne++
	krand.Read(0, startRandom[:])

	// The vector, from the top of mainStack down, 8-byte aligned.
	var vec [48]uint32
	n := 0
	push := func(v uint32) { vec[n] = v; n++ }
	push(1) // argc
	push(argv0)
	push(0)
	for i := 0; i < ne; i++ {
		push(env[i])
	}
	push(0)
	push(atPagesz)
	push(4096)
	push(atRandom)
	push(uint32(uintptr(unsafe.Pointer(&startRandom[0]))))
	push(atHwcap)
	push(0)
	push(atClktck)
	push(100)
	push(atPlatform)
	push(platform)
	push(atSecure)
	push(0)
	push(atNull)
	push(0)
	top := uintptr(unsafe.Pointer(&mainStack[0])) + uintptr(len(mainStack))
	sp := (top - uintptr(n)*4 - 64) &^ 7
	dst := (*[48]uint32)(kmem.Ptr(sp))
	for i := 0; i < n; i++ {
		dst[i] = vec[i]
	}
	return sp
}
