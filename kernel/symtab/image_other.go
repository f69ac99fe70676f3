//go:build !mipsle

package symtab

// Image returns the running image's own pclntab and text base. Only mipsle
// builds (the kernel) know them; elsewhere it returns nothing.
func Image() (pclntab []byte, text uintptr) { return nil, 0 }
