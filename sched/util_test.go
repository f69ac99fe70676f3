package sched

import "unsafe"

func uintptrSlice(s []timerSlot) uintptr { return uintptr(unsafe.Pointer(&s[0])) }
