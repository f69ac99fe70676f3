package linuxuser

// deliver would run a registered signal handler; the harness records
// signal actions but does not deliver signals (see README.md), so a
// synchronous fault ends the program.
func (p *Proc) deliver(cs *coreState, sig, code int, badva uint32) bool { return false }

func (p *Proc) sigreturn(cs *coreState) sysret { return fail(eNOSYS) }
