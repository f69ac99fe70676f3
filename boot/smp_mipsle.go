package boot

// secondaryMain is where a released secondary core starts Go code. SMP
// bring-up comes with the per-core schedulers; until then no core is
// released and this is never reached.
func secondaryMain(id uint32) {
	for {
	}
}
