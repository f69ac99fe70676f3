//go:build mipsle

// Command almos is the kernel image. Its entry point is boot's _kentry,
// which sets the machine up and starts the Go runtime; the runtime then
// runs this main, in thread context, as it would on Linux.
package main

import (
	"fmt"
	"os"
	"strings"

	"almos/boot"
	"almos/boot/cmdline"
	"almos/kernel/diag"
	"almos/kernel/kapi"
	"almos/kernel/ktest"
	"almos/kernel/shell"
)

func main() {
	clk, _ := kapi.ReadClock()
	boot.Boot.EntryToMain = clk.NS
	fmt.Printf("runtime: main reached %.3f ms after entry (early boot %.3f ms)\n",
		float64(clk.NS)/1e6, float64(boot.Boot.EarlyNS)/1e6)

	line := boot.Boot.Cmdline
	if boot.Boot.CmdlineStop {
		fmt.Println("cmdline: the mistakes above stop the boot; accepted keys:")
		printOptions()
		powerOff(diag.StatusBadCmdline)
	}
	if msg, status := boot.TopologyError(); msg != "" {
		fmt.Println(msg)
		if status == diag.StatusBadCmdline {
			fmt.Println("cmdline: the topology asked for is impossible; the boot stops")
		} else {
			fmt.Println("the machine has too little RAM for its cores; the boot stops")
		}
		powerOff(status)
	}
	if names, ok := cmdline.Get(line, "test"); ok {
		os.Exit(runTests(names))
	}
	if v := cmdline.GetOr(line, "shell"); v == "off" || v == "no" || v == "false" || v == "0" {
		fmt.Println("shell=off: no console; the kernel idles")
		select {}
	}
	clk, _ = kapi.ReadClock()
	fmt.Printf("console ready %.3f ms after entry; type help\n", float64(clk.NS)/1e6)
	sh := shell.New(os.Stdin, os.Stdout, commands())
	sh.Run()
	// End of input: nothing more will come.
	powerOff(0)
}

func printOptions() {
	for _, o := range cmdline.Options {
		var accepted [160]byte
		what := string(accepted[:o.Describe(accepted[:])])
		def := ""
		if o.Default != "" {
			def = " (default " + o.Default + ")"
		}
		fmt.Printf("  %-18s %s%s: %s\n", o.Key+"=", what, def, o.Help)
	}
}

// runTests runs the named in-kernel tests and returns the power-off status.
func runTests(names string) int {
	var list []string
	cmdline.Each(names, func(n string) { list = append(list, n) })
	tests, unknown := ktest.Select(list)
	if len(unknown) > 0 {
		fmt.Printf("test: no such test: %s\n", strings.Join(unknown, ", "))
		fmt.Println("test: known tests (all runs those not marked manual):")
		listTests()
		fmt.Println("FAIL")
		return diag.StatusTestsFailed
	}
	if ktest.Run(os.Stdout, tests) {
		return diag.StatusOK
	}
	return diag.StatusTestsFailed
}

func listTests() {
	for _, t := range ktest.All() {
		m := ""
		if t.Manual {
			m = " [manual]"
		}
		fmt.Printf("  %-12s %s%s\n", t.Name, t.Doc, m)
	}
}

func powerOff(status int) {
	os.Stdout.Sync()
	kapi.PowerOff(status)
}
