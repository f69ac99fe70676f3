package boot

import (
	"encoding/binary"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"almos/boot/cmdline"
)

// TestTooSmallText decodes the line _kentry prints on a machine whose RAM
// cannot hold the image (assembly data, written as words) and checks that it
// states the minimum the rest of the kernel enforces.
func TestTooSmallText(t *testing.T) {
	src, err := os.ReadFile("entry_mipsle.s")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	i := strings.Index(s, "TEXT ·tooSmallText(SB)")
	if i < 0 {
		t.Fatal("tooSmallText not found")
	}
	var text []byte
	for _, m := range regexp.MustCompile(`WORD\s+\$0x([0-9a-f]{8})`).FindAllStringSubmatch(s[i:], -1) {
		w, _ := strconv.ParseUint(m[1], 16, 32)
		text = binary.LittleEndian.AppendUint32(text, uint32(w))
	}
	n := strings.IndexByte(string(text), 0)
	if n < 0 {
		t.Fatalf("text not NUL-terminated: %q", text)
	}
	line := string(text[:n])
	want := fmt.Sprintf("needs at least %d MiB (QEMU -m %d)", cmdline.MinRAM>>20, cmdline.MinRAM>>20)
	if !strings.Contains(line, want) {
		t.Errorf("_kentry prints %q; want it to contain %q", line, want)
	}
}
