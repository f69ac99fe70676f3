package linuxuser

import (
	"io"
	"os"
	"path/filepath"
	"strings"
)

// File kinds.
const (
	fdStdin = iota
	fdStdout
	fdHost // a host file or directory, read only
	fdEventfd
	fdPipeR
	fdPipeW
	fdEpoll
)

type pipe struct {
	buf     []byte
	readers int
	writers int
	waiting []*Thread // readers blocked on it
}

type file struct {
	kind    int
	w       io.Writer
	host    *os.File
	dir     []os.DirEntry // directory listing for getdents64
	dirPos  int
	path    string // on the host
	gpath   string // as the program named it (absolute)
	counter uint64 // eventfd
	pipe    *pipe
	epoll   map[int32]epollReg
	waiting []*Thread // epoll_pwait sleepers
	flags   uint32
}

type epollReg struct {
	events uint32
	data   uint64
}

func (p *Proc) initFiles() {
	p.fds = []*file{
		{kind: fdStdin},
		{kind: fdStdout, w: p.cfg.Stdout},
		{kind: fdStdout, w: p.cfg.Stderr},
	}
}

func (p *Proc) newFD(f *file) int {
	for i, g := range p.fds {
		if g == nil {
			p.fds[i] = f
			return i
		}
	}
	p.fds = append(p.fds, f)
	return len(p.fds) - 1
}

func (p *Proc) fd(n uint32) *file {
	if int(n) < len(p.fds) {
		return p.fds[n]
	}
	return nil
}

// guestAbs makes a program path absolute (program view).
func (p *Proc) guestAbs(path string) string {
	gp := filepath.Join(p.cwd, path)
	if filepath.IsAbs(path) {
		gp = filepath.Clean(path)
	}
	// A trailing slash makes the last component resolve through a
	// symbolic link: keep it.
	if strings.HasSuffix(path, "/") && gp != "/" {
		gp += "/"
	}
	return gp
}

// hostPath resolves a program path on the host: the program's scratch
// directory guestTmp maps to the run's host scratch directory, every
// other path is the host's own.
func (p *Proc) hostPath(path string) string {
	return p.toHost(p.guestAbs(path))
}

func (p *Proc) toHost(gp string) string {
	if gp == guestTmp || strings.HasPrefix(gp, guestTmp+"/") {
		return p.tmp + gp[len(guestTmp):]
	}
	return gp
}

func (p *Proc) toGuest(hp string) string {
	if p.tmp != "" && (hp == p.tmp || strings.HasPrefix(hp, p.tmp+"/")) {
		return guestTmp + hp[len(p.tmp):]
	}
	return hp
}

// ready reports the epoll events a file has now.
func (f *file) ready() uint32 {
	const in, out = 0x1, 0x4
	switch f.kind {
	case fdEventfd:
		if f.counter > 0 {
			return in | out
		}
		return out
	case fdPipeR:
		if len(f.pipe.buf) > 0 || f.pipe.writers == 0 {
			return in
		}
	case fdPipeW, fdStdout:
		return out
	case fdHost:
		return in | out
	}
	return 0
}
