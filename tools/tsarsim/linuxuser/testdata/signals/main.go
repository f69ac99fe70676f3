// Command signals checks what the harness's signal delivery gives Go
// programs: a nil dereference and an integer division by zero become
// recoverable panics, and a goroutine spinning without function calls is
// preempted asynchronously (SIGURG) so that the garbage collector and the
// other goroutines still run on a single P.
package main

import (
	"fmt"
	"runtime"
	"time"
)

type T struct{ x int }

//go:noinline
func deref(p *T) int { return p.x }

//go:noinline
func div(a, b int) int { return a / b }

func try(name string, f func()) {
	defer func() { fmt.Printf("%s: recovered: %v\n", name, recover()) }()
	f()
}

var spin uint32

func main() {
	try("nil", func() { deref(nil) })
	try("div", func() { div(1, 0) })
	runtime.GOMAXPROCS(1)
	go func() {
		for {
			spin++
		}
	}()
	time.Sleep(time.Millisecond)
	runtime.GC() // needs to stop the spinning goroutine
	fmt.Println("preempted: true")
}
