package symtab

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The mipsle test program (testdata/prog) is built and run at most once per
// test binary run, into a directory removed when the run ends.
var (
	workDir string

	progOnce sync.Once
	progPath string
	progErr  error
	progSkip string

	imgOnce sync.Once
	img     *image
	imgErr  error

	chainOnce sync.Once
	chainOut  string
	chainErr  error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "symtab-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needProg builds testdata/prog for mipsle and returns its path. It skips
// the test only if there is no go command.
func needProg(t testing.TB) string {
	t.Helper()
	progOnce.Do(func() {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			progSkip = "no go command in PATH to build the mipsle test program: " + err.Error()
			return
		}
		out := filepath.Join(workDir, "prog")
		cmd := exec.Command(goCmd, "build", "-o", out, "./testdata/prog")
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=mipsle", "GOMIPS=softfloat", "CGO_ENABLED=0", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			progErr = fmt.Errorf("building testdata/prog for mipsle: %v\n%s", err, b)
			return
		}
		progPath = out
	})
	if progSkip != "" {
		t.Skip(progSkip)
	}
	if progErr != nil {
		t.Fatal(progErr)
	}
	return progPath
}

// needQemu returns the path of qemu-mipsel, skipping the test if it is
// absent.
func needQemu(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("qemu-mipsel")
	if err != nil {
		if _, err2 := os.Stat("/usr/bin/qemu-mipsel"); err2 == nil {
			return "/usr/bin/qemu-mipsel"
		}
		t.Skip("qemu-mipsel (Debian package qemu-user) is not installed: cannot run the mipsle test program")
	}
	return p
}

// runProg runs the mipsle test program under qemu-mipsel.
func runProg(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	qemu := needQemu(t)
	prog := needProg(t)
	cmd := exec.Command(qemu, append([]string{prog}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("qemu-mipsel %s %v: %v\n%s", prog, args, err, stderr.Bytes())
	}
	return string(out)
}

// chainOutput is the output of the program's call-chain mode.
func chainOutput(t testing.TB) string {
	t.Helper()
	needQemu(t)
	needProg(t)
	chainOnce.Do(func() {
		defer func() {
			if chainOut == "" && chainErr == nil {
				chainErr = fmt.Errorf("the chain run failed")
			}
		}()
		chainOut = runProg(t, "")
	})
	if chainErr != nil {
		t.Fatal(chainErr)
	}
	return chainOut
}

// image is what the tests read from the built ELF file.
type image struct {
	path     string
	pclntab  []byte
	pclnAddr uint64 // address of .gopclntab
	text     uint64 // runtime.text
	textSect *elf.Section
	textData []byte
	syms     map[string]uint64
	tab      Table
}

func loadImage(t testing.TB) *image {
	t.Helper()
	path := needProg(t)
	imgOnce.Do(func() {
		img, imgErr = readImage(path)
	})
	if imgErr != nil {
		t.Fatal(imgErr)
	}
	return img
}

func readImage(path string) (*image, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im := &image{path: path, syms: map[string]uint64{}}
	s := f.Section(".gopclntab")
	if s == nil {
		return nil, fmt.Errorf("%s: no .gopclntab", path)
	}
	if im.pclntab, err = s.Data(); err != nil {
		return nil, err
	}
	im.pclnAddr = s.Addr
	im.textSect = f.Section(".text")
	if im.textSect == nil {
		return nil, fmt.Errorf("%s: no .text", path)
	}
	if im.textData, err = im.textSect.Data(); err != nil {
		return nil, err
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	for _, sy := range syms {
		im.syms[sy.Name] = sy.Value
	}
	var ok bool
	if im.text, ok = im.syms["runtime.text"]; !ok {
		return nil, fmt.Errorf("%s: no runtime.text symbol", path)
	}
	if err := im.tab.Init(im.pclntab); err != nil {
		return nil, fmt.Errorf("Init on %s: %v", path, err)
	}
	im.tab.SetText(uintptr(im.text))
	return im, nil
}

// word returns the instruction at addr in .text.
func (im *image) word(addr uint64) (uint32, bool) {
	off := addr - im.textSect.Addr
	if addr < im.textSect.Addr || off+4 > uint64(len(im.textData)) {
		return 0, false
	}
	b := im.textData[off:]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24, true
}

// printName is the runtime's funcNameForPrint: a generic function's type
// arguments become "[...]".
func printName(name string) string {
	i := strings.IndexByte(name, '[')
	j := strings.LastIndexByte(name, ']')
	if i < 0 || j <= i {
		return name
	}
	return name[:i] + "[...]" + name[j+1:]
}
