package wait

import "unsafe"

func uintptrOf(q *Queue) uintptr { return uintptr(unsafe.Pointer(q)) }

func queueAt(a uintptr) *Queue {
	return (*Queue)(*(*unsafe.Pointer)(unsafe.Pointer(&a)))
}
