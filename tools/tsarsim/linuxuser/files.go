package linuxuser

import (
	"io"
	"os"
	"path/filepath"
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
	path    string
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

// hostPath resolves a program path on the host.
func (p *Proc) hostPath(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(p.cwd, path)
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
