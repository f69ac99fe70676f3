package mips32

// UART is a 16550-compatible serial port with byte-wide registers at Base.
// On malta it is the PIIX4 super-I/O's COM1 (ISA port 0x3F8), the port QEMU's
// -nographic/-serial stdio connects to.
type UART struct {
	Base uintptr
}

// 16550 register offsets and bits.
const (
	uartRBR = 0 // receive buffer (read)
	uartTHR = 0 // transmit holding (write)
	uartIER = 1
	uartFCR = 2
	uartLCR = 3
	uartMCR = 4
	uartLSR = 5
	uartDLL = 0 // with LCR.DLAB
	uartDLM = 1

	lsrDR   = 1 << 0 // a received byte is waiting
	lsrTHRE = 1 << 5 // the transmitter takes a byte
)

// ConsoleUART is the boot console.
var ConsoleUART = UART{Base: 0xB80003F8}

// Init programs 115200 baud 8N1 with FIFOs on and interrupts off. QEMU ignores
// the baud rate; a real board does not. Enabling the FIFOs resets them, so
// bytes already received (keys typed ahead of the boot) are read out first
// and returned in ahead.
func (u UART) Init(ahead []byte) (n int) {
	for n < len(ahead) && Read8(u.Base+uartLSR)&lsrDR != 0 {
		ahead[n] = Read8(u.Base + uartRBR)
		n++
	}
	Write8(u.Base+uartIER, 0)
	Write8(u.Base+uartLCR, 0x80) // DLAB: divisor follows
	Write8(u.Base+uartDLL, 1)    // 1.8432 MHz / 16 / 115200 = 1
	Write8(u.Base+uartDLM, 0)
	Write8(u.Base+uartLCR, 0x03) // 8 data bits, no parity, 1 stop bit
	Write8(u.Base+uartFCR, 0x05) // FIFOs on, transmit FIFO cleared; keys typed ahead stay
	Write8(u.Base+uartMCR, 0x0b) // DTR, RTS, OUT2 (routes the interrupt)
	return n
}

// Putc sends one byte, waiting for the transmitter.
func (u UART) Putc(c byte) {
	for Read8(u.Base+uartLSR)&lsrTHRE == 0 {
	}
	Write8(u.Base+uartTHR, c)
}

// Getc returns a received byte if one is waiting.
func (u UART) Getc() (byte, bool) {
	if Read8(u.Base+uartLSR)&lsrDR == 0 {
		return 0, false
	}
	return Read8(u.Base + uartRBR), true
}

// EnableRxInterrupt asks the UART to raise its interrupt line when a byte
// arrives.
func (u UART) EnableRxInterrupt(on bool) {
	v := uint8(0)
	if on {
		v = 1
	}
	Write8(u.Base+uartIER, v)
}

// RawPuts writes s to the console UART with no locking and no translation
// beyond what s holds: for the last words of a dying kernel.
func RawPuts(s string) {
	for i := 0; i < len(s); i++ {
		ConsoleUART.Putc(s[i])
	}
}
