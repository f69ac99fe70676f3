// Command almos is the kernel image: its entry point is boot's _kentry,
// which sets the machine up and starts the Go runtime, which then runs main.
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"almos/boot"
	"almos/kernel/kapi"
)

func main() {
	start := time.Now()
	fmt.Printf("runtime: main reached, GOMAXPROCS=%d NumCPU=%d, %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), boot.Boot.Cmdline)
	done := make(chan int)
	go func() {
		time.Sleep(50 * time.Millisecond)
		done <- 42
	}()
	v := <-done
	fmt.Printf("goroutine said %d after %v\n", v, time.Since(start))
	os.Stdout.Sync()
	kapi.PowerOff(0)
}
