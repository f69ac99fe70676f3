package linuxuser

import (
	"os"
	"strings"
)

// The program may write only inside its scratch directory: a fresh host
// directory made for the run and removed when it ends, which the program
// sees as guestTmp (its TMPDIR, so os.TempDir and t.TempDir use it). The
// program-side name is fixed so that runs stay deterministic. Every other
// path is read-only.

const guestTmp = "/tsarsim-tmp"

// Linux open flags on MIPS.
const (
	oAccMode = 3
	oAppend  = 0x8
	oCreat   = 0x100
	oTrunc   = 0x200
	oExcl    = 0x400
)

func (p *Proc) setupTmp() error {
	d, err := os.MkdirTemp("", "tsarsim-tmp")
	if err != nil {
		return err
	}
	p.tmp = d
	return nil
}

// writable reports whether a host path is inside the scratch directory.
func (p *Proc) writable(hp string) bool {
	return p.tmp != "" && (hp == p.tmp || strings.HasPrefix(hp, p.tmp+"/"))
}

// resolve turns a path relative to dirfd into a host path and the
// program's absolute path.
func (p *Proc) resolve(dirfd int32, pathVA uint32) (string, int) {
	hp, _, e := p.resolve2(dirfd, pathVA)
	return hp, e
}

func (p *Proc) resolve2(dirfd int32, pathVA uint32) (string, string, int) {
	path, ok := p.readString(pathVA, 4096)
	if !ok {
		return "", "", eFAULT
	}
	if dirfd != -100 && (path == "" || path[0] != '/') {
		d := p.fd(uint32(dirfd))
		if d == nil || d.kind != fdHost {
			return "", "", eBADF
		}
		path = d.gpath + "/" + path
	}
	gp := p.guestAbs(path)
	hp := p.toHost(gp)
	if hostOnly(hp) {
		return "", "", eNOENT
	}
	return hp, gp, 0
}

// openWrite opens a file for writing in the scratch directory.
func (p *Proc) openWrite(hp, gp string, flags, mode uint32) sysret {
	if !p.writable(hp) {
		return fail(eROFS)
	}
	hf := 0
	switch flags & oAccMode {
	case 1:
		hf = os.O_WRONLY
	case 2:
		hf = os.O_RDWR
	}
	if flags&oAppend != 0 {
		hf |= os.O_APPEND
	}
	if flags&oCreat != 0 {
		hf |= os.O_CREATE
	}
	if flags&oTrunc != 0 {
		hf |= os.O_TRUNC
	}
	if flags&oExcl != 0 {
		hf |= os.O_EXCL
	}
	h, err := os.OpenFile(hp, hf, os.FileMode(mode&0o777))
	if err != nil {
		return fail(errnoOf(err))
	}
	if fi, err := h.Stat(); err == nil && fi.IsDir() {
		h.Close()
		return fail(eISDIR)
	}
	return okInt(p.newFD(&file{kind: fdHost, host: h, path: hp, gpath: gp}))
}

// fileCall serves the calls that change the file system.
func (p *Proc) fileCall(cs *coreState, nr uint32, a [6]uint32) (sysret, bool) {
	mutate := func(hp string, e int, f func() error) sysret {
		if e != 0 {
			return fail(e)
		}
		if !p.writable(hp) {
			return fail(eROFS)
		}
		if err := f(); err != nil {
			return fail(errnoOf(err))
		}
		return ok(0)
	}
	switch nr {
	case 4289, 4039: // mkdirat(dirfd, path, mode), mkdir(path, mode)
		dirfd, pa, mode := int32(a[0]), a[1], a[2]
		if nr == 4039 {
			dirfd, pa, mode = -100, a[0], a[1]
		}
		hp, e := p.resolve(dirfd, pa)
		return mutate(hp, e, func() error { return os.Mkdir(hp, os.FileMode(mode&0o777)) }), true
	case 4294, 4010, 4040: // unlinkat(dirfd, path, flags), unlink, rmdir
		dirfd, pa, dir := int32(a[0]), a[1], a[2]&0x200 != 0
		if nr != 4294 {
			dirfd, pa, dir = -100, a[0], nr == 4040
		}
		hp, e := p.resolve(dirfd, pa)
		return mutate(hp, e, func() error {
			fi, err := os.Lstat(hp)
			if err != nil {
				return err
			}
			if fi.IsDir() != dir {
				if dir {
					return &os.PathError{Op: "rmdir", Path: hp, Err: errNotDir}
				}
				return &os.PathError{Op: "unlink", Path: hp, Err: errIsDir}
			}
			return os.Remove(hp)
		}), true
	case 4295, 4351, 4038: // renameat(olddirfd, old, newdirfd, new), renameat2, rename
		od, op, nd, np := int32(a[0]), a[1], int32(a[2]), a[3]
		if nr == 4038 {
			od, op, nd, np = -100, a[0], -100, a[1]
		}
		from, e := p.resolve(od, op)
		if e != 0 {
			return fail(e), true
		}
		to, e := p.resolve(nd, np)
		if e == 0 && !p.writable(to) {
			e = eROFS
		}
		return mutate(from, e, func() error { return os.Rename(from, to) }), true
	case 4297: // symlinkat(target, newdirfd, linkpath)
		target, okr := p.readString(a[0], 4096)
		if !okr {
			return fail(eFAULT), true
		}
		hp, e := p.resolve(int32(a[1]), a[2])
		if strings.HasPrefix(target, "/") {
			target = p.toHost(target)
		}
		return mutate(hp, e, func() error { return os.Symlink(target, hp) }), true
	case 4298, 4085: // readlinkat(dirfd, path, buf, size), readlink(path, buf, size)
		dirfd, pa, buf, size := int32(a[0]), a[1], a[2], a[3]
		if nr == 4085 {
			dirfd, pa, buf, size = -100, a[0], a[1], a[2]
		}
		hp, e := p.resolve(dirfd, pa)
		if e != 0 {
			return fail(e), true
		}
		s, err := os.Readlink(hp)
		if err != nil {
			return fail(errnoOf(err)), true
		}
		s = p.toGuest(s)
		b := []byte(s)[:min(len(s), int(size))]
		if !p.writeMem(buf, b, cs.c.Cluster) {
			return fail(eFAULT), true
		}
		return okInt(len(b)), true
	case 4299, 4316: // fchmodat(dirfd, path, mode), utimensat(dirfd, path, times, flags)
		hp, e := p.resolve(int32(a[0]), a[1])
		if nr == 4316 && a[1] == 0 {
			return ok(0), true // futimens on an open file
		}
		return mutate(hp, e, func() error {
			if nr == 4299 {
				return os.Chmod(hp, os.FileMode(a[2]&0o777))
			}
			_, err := os.Lstat(hp)
			return err
		}), true
	case 4094: // fchmod(fd, mode)
		f := p.fd(a[0])
		if f == nil || f.kind != fdHost {
			return fail(eBADF), true
		}
		return mutate(f.path, 0, func() error { return os.Chmod(f.path, os.FileMode(a[1]&0o777)) }), true
	case 4212: // ftruncate64(fd, pad, length lo, length hi)
		f := p.fd(a[0])
		if f == nil || f.kind != fdHost || f.host == nil {
			return fail(eBADF), true
		}
		n := int64(uint64(a[3])<<32 | uint64(a[2]))
		return mutate(f.path, 0, func() error { return f.host.Truncate(n) }), true
	case 4118, 4152: // fsync, fdatasync
		return ok(0), true
	}
	return sysret{}, false
}

type errString string

func (e errString) Error() string { return string(e) }

const (
	errNotDir = errString("not a directory")
	errIsDir  = errString("is a directory")
)
