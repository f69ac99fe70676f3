package symtab

// imagePclntab returns the running image's pclntab, the bytes between the
// linker symbols runtime.pclntab and runtime.epclntab (image_mipsle.s).
func imagePclntab() []byte

// imageText returns the address of the linker symbol runtime.text.
func imageText() uintptr

// Image returns the running image's own pclntab and text base, as the linker
// laid them out; Init recognises this table and takes the text base from it.
func Image() (pclntab []byte, text uintptr) {
	return imagePclntab(), imageText()
}
