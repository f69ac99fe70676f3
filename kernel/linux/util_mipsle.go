package linux

import (
	"unsafe"

	"almos/kernel/wait"
)

func uintptrOfQueue(q *wait.Queue) uintptr { return uintptr(unsafe.Pointer(q)) }
