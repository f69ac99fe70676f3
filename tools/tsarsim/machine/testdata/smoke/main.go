// Command smoke is the full-system boot smoke test image of tsarsim: a
// freestanding program entered at entry (Go assembly, no runtime). Core 0
// wakes every other core through its cluster's XICU mailbox, each core
// prints a line on the TTY under an LL/SC lock, and core 0 powers the
// machine off with status 42 once all have checked in.
package main

func entry()

func main() { entry() }
