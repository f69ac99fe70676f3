package machine

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"

	"almos/tools/tsarsim/mem"
)

// LoadELFFile loads an ELF image from a file.
func (m *Machine) LoadELFFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return m.LoadELF(b)
}

// LoadELF loads a 32-bit little-endian MIPS ELF image into cluster 0's
// bank, as the preloader does: each PT_LOAD segment at its KSEG0/KSEG1
// address minus the segment base (physical = vaddr & 0x1fffffff), bss
// zeroed. The entry goes into the machine description.
func (m *Machine) LoadELF(image []byte) error {
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		return err
	}
	if f.Class != elf.ELFCLASS32 || f.Data != elf.ELFDATA2LSB || f.Machine != elf.EM_MIPS {
		return fmt.Errorf("not a 32-bit little-endian MIPS ELF")
	}
	end := uint64(0)
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		if p.Vaddr < 0x80000000 || p.Vaddr >= 0xC0000000 {
			return fmt.Errorf("segment at %#x: the preloader loads KSEG0/KSEG1 images only", p.Vaddr)
		}
		pa := p.Vaddr & 0x1fffffff
		if pa+p.Memsz > uint64(m.Cfg.BankSize) {
			return fmt.Errorf("segment %#x+%#x does not fit cluster 0's %d MiB bank", p.Vaddr, p.Memsz, m.Cfg.BankSize>>20)
		}
		data := make([]byte, p.Memsz)
		if _, err := p.ReadAt(data[:p.Filesz], 0); err != nil {
			return err
		}
		if err := m.Sys.WritePhys(pa, data); err != nil {
			return err
		}
		end = max(end, pa+p.Memsz)
	}
	if f.Entry < 0x80000000 || f.Entry >= 0xC0000000 {
		return fmt.Errorf("entry %#x is not a KSEG0/KSEG1 address", f.Entry)
	}
	m.mdesc[MDEntry/4] = uint32(f.Entry)
	m.mdesc[MDImageEnd/4] = uint32((end + mem.PageSize - 1) &^ (mem.PageSize - 1))
	return nil
}
