// mount-nfs: a userspace NFSv3 client, served to the kernel through FUSE, installed as the
// node's /sbin/mount.nfs helper (inside the real-pods node's private mount namespace only).
// This machine's kernel has no NFS client; with this helper kubelet's ordinary NFS volume
// plugin (`mount -t nfs SERVER:/PATH DIR`) mounts the provisioner's PVs over the NFS protocol.
//
//	mount.nfs SERVER:/PATH DIR [-o OPTIONS] [-s] [-f] [-n] [-v]
//
// The helper forks a daemon that serves the mount and exits once the mount is in place (exit
// 32, as mount(8) expects, when it fails). The daemon ends when DIR is unmounted. Every NFS
// call carries the AUTH_UNIX credentials of the process that made the file system call, so
// the server's permission checks and root_squash apply as they would for the kernel client.
// Daemon logs go to $MOUNT_NFS_LOG_DIR/<pid>.log when that variable is set.
//
// NFS RPCs are encoded with github.com/willscott/go-nfs-client's rpc and xdr packages; the
// FUSE side is github.com/hanwen/go-fuse/v2/fs. Writes are FILE_SYNC: fsync has nothing left
// to flush. Only NFSv3 over TCP; nfsvers=4.x is logged and served as v3.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	nfs "github.com/willscott/go-nfs-client/nfs"
	"github.com/willscott/go-nfs-client/nfs/rpc"
	"github.com/willscott/go-nfs-client/nfs/xdr"
)

const (
	childEnv   = "MOUNT_NFS_DAEMON" // set in the forked daemon
	mountProc  = 1                  // MOUNTPROC3_MNT
	umountProc = 3                  // MOUNTPROC3_UMNT
	procFSStat = 18
	fileSync   = 2
)

// ---------------------------------------------------------------- NFSv3 client

type client struct {
	rpc      *rpc.Client
	mnt      *nfs.Mount
	host     string
	rtmax    uint32
	wtmax    uint32
	authMu   sync.Mutex
	auths    map[[2]uint32]rpc.Auth
	rootAuth rpc.Auth
}

// auth: AUTH_UNIX credentials of the caller of the FUSE request (root if unknown).
func (c *client) auth(ctx context.Context) rpc.Auth {
	var uid, gid uint32
	if caller, ok := fuse.FromContext(ctx); ok {
		uid, gid = caller.Uid, caller.Gid
	}
	key := [2]uint32{uid, gid}
	c.authMu.Lock()
	defer c.authMu.Unlock()
	a, ok := c.auths[key]
	if !ok {
		a = rpc.NewAuthUnix(c.host, uid, gid).Auth()
		c.auths[key] = a
	}
	return a
}

func (c *client) header(ctx context.Context, proc uint32) rpc.Header {
	return rpc.Header{Rpcvers: 2, Prog: nfs.Nfs3Prog, Vers: nfs.Nfs3Vers, Proc: proc, Cred: c.auth(ctx), Verf: rpc.AuthNull}
}

// call sends one NFS call; on NFS3_OK it returns the rest of the reply, else an errno.
func (c *client) call(args interface{}) (io.ReadSeeker, syscall.Errno) {
	res, err := c.rpc.Call(args)
	if err != nil {
		log.Printf("rpc: %v", err)
		return nil, syscall.EIO
	}
	status, err := xdr.ReadUint32(res)
	if err != nil {
		return nil, syscall.EIO
	}
	if status != 0 {
		return nil, nfsErrno(status)
	}
	return res, 0
}

func decode(res io.Reader, v interface{}) syscall.Errno {
	if err := xdr.Read(res, v); err != nil {
		log.Printf("xdr: %v", err)
		return syscall.EIO
	}
	return 0
}

// nfsErrno maps nfsstat3 to Linux errno values (RFC 1813, 2.6).
func nfsErrno(s uint32) syscall.Errno {
	switch s {
	case 1, 2, 5, 6, 13, 17, 18, 19, 20, 21, 22, 27, 28, 30, 31:
		return syscall.Errno(s) // same numbers as Linux
	case 63:
		return syscall.ENAMETOOLONG
	case 66:
		return syscall.ENOTEMPTY
	case 69:
		return syscall.EDQUOT
	case 70, 10001:
		return syscall.ESTALE
	case 71:
		return syscall.EREMOTE
	case 10004:
		return syscall.ENOTSUP
	case 10008:
		return syscall.EAGAIN
	}
	return syscall.EIO
}

type diropargs = nfs.Diropargs3

// newObj is the reply of CREATE, MKDIR and SYMLINK.
type newObj struct {
	FH   nfs.PostOpFH3
	Attr nfs.PostOpAttr
	Dir  nfs.WccData
}

func (c *client) getattr(ctx context.Context, fh []byte) (*nfs.Fattr, syscall.Errno) {
	res, e := c.call(&struct {
		rpc.Header
		FH []byte
	}{c.header(ctx, nfs.NFSProc3GetAttr), fh})
	if e != 0 {
		return nil, e
	}
	var a nfs.Fattr
	return &a, decode(res, &a)
}

func (c *client) lookup(ctx context.Context, dir []byte, name string) ([]byte, *nfs.Fattr, syscall.Errno) {
	res, e := c.call(&struct {
		rpc.Header
		What diropargs
	}{c.header(ctx, nfs.NFSProc3Lookup), diropargs{FH: dir, Filename: name}})
	if e != 0 {
		return nil, nil, e
	}
	var ok struct {
		FH      []byte
		Attr    nfs.PostOpAttr
		DirAttr nfs.PostOpAttr
	}
	if e := decode(res, &ok); e != 0 {
		return nil, nil, e
	}
	if !ok.Attr.IsSet {
		a, e := c.getattr(ctx, ok.FH)
		return ok.FH, a, e
	}
	return ok.FH, &ok.Attr.Attr, 0
}

// finish turns a CREATE/MKDIR/SYMLINK reply into a handle and attributes.
func (c *client) finish(ctx context.Context, res io.Reader, dir []byte, name string) ([]byte, *nfs.Fattr, syscall.Errno) {
	var r newObj
	if e := decode(res, &r); e != 0 {
		return nil, nil, e
	}
	if !r.FH.IsSet {
		return c.lookup(ctx, dir, name)
	}
	if !r.Attr.IsSet {
		a, e := c.getattr(ctx, r.FH.FH)
		return r.FH.FH, a, e
	}
	return r.FH.FH, &r.Attr.Attr, 0
}

func modeAttr(mode uint32) nfs.Sattr3 {
	return nfs.Sattr3{Mode: nfs.SetMode{SetIt: true, Mode: mode & 07777}}
}

// ---------------------------------------------------------------- FUSE nodes

type node struct {
	fs.Inode
	c    *client
	mu   sync.Mutex
	fh   []byte
	wrMu sync.Mutex // WRITEs of one file are sent in order
}

var (
	_ fs.NodeGetattrer  = (*node)(nil)
	_ fs.NodeSetattrer  = (*node)(nil)
	_ fs.NodeLookuper   = (*node)(nil)
	_ fs.NodeReaddirer  = (*node)(nil)
	_ fs.NodeMkdirer    = (*node)(nil)
	_ fs.NodeCreater    = (*node)(nil)
	_ fs.NodeUnlinker   = (*node)(nil)
	_ fs.NodeRmdirer    = (*node)(nil)
	_ fs.NodeRenamer    = (*node)(nil)
	_ fs.NodeOpener     = (*node)(nil)
	_ fs.NodeReader     = (*node)(nil)
	_ fs.NodeWriter     = (*node)(nil)
	_ fs.NodeFsyncer    = (*node)(nil)
	_ fs.NodeFlusher    = (*node)(nil)
	_ fs.NodeStatfser   = (*node)(nil)
	_ fs.NodeReadlinker = (*node)(nil)
	_ fs.NodeSymlinker  = (*node)(nil)
)

func (n *node) handle() []byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.fh
}

func fileType(t uint32) uint32 {
	switch t {
	case nfs.NF3Dir:
		return syscall.S_IFDIR
	case nfs.NF3Lnk:
		return syscall.S_IFLNK
	case nfs.NF3Blk:
		return syscall.S_IFBLK
	case nfs.NF3Chr:
		return syscall.S_IFCHR
	case nfs.NF3Sock:
		return syscall.S_IFSOCK
	case nfs.NF3FIFO:
		return syscall.S_IFIFO
	}
	return syscall.S_IFREG
}

func fillAttr(a *nfs.Fattr, out *fuse.Attr) {
	out.Ino = a.Fileid
	out.Mode = fileType(a.Type) | (a.FileMode & 07777)
	out.Nlink = a.Nlink
	out.Owner = fuse.Owner{Uid: a.UID, Gid: a.GID}
	out.Size = a.Filesize
	out.Blocks = (a.Used + 511) / 512
	out.Blksize = 4096
	out.Rdev = a.SpecData[0]<<8 | a.SpecData[1]
	out.Atime, out.Atimensec = uint64(a.Atime.Seconds), a.Atime.Nseconds
	out.Mtime, out.Mtimensec = uint64(a.Mtime.Seconds), a.Mtime.Nseconds
	out.Ctime, out.Ctimensec = uint64(a.Ctime.Seconds), a.Ctime.Nseconds
}

// child returns the inode for a handle, refreshing the handle of a known inode number.
func (n *node) child(ctx context.Context, fh []byte, a *nfs.Fattr, out *fuse.EntryOut) *fs.Inode {
	fillAttr(a, &out.Attr)
	ch := n.NewInode(ctx, &node{c: n.c, fh: fh}, fs.StableAttr{Mode: fileType(a.Type), Ino: a.Fileid})
	if cn, ok := ch.Operations().(*node); ok {
		cn.mu.Lock()
		cn.fh = fh
		cn.mu.Unlock()
	}
	return ch
}

func (n *node) Getattr(ctx context.Context, _ fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	a, e := n.c.getattr(ctx, n.handle())
	if e == 0 {
		fillAttr(a, &out.Attr)
	}
	return e
}

func (n *node) Setattr(ctx context.Context, _ fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	var s nfs.Sattr3
	if m, ok := in.GetMode(); ok {
		s.Mode = nfs.SetMode{SetIt: true, Mode: m & 07777}
	}
	if u, ok := in.GetUID(); ok {
		s.UID = nfs.SetUID{SetIt: true, UID: u}
	}
	if g, ok := in.GetGID(); ok {
		s.GID = nfs.SetUID{SetIt: true, UID: g}
	}
	if sz, ok := in.GetSize(); ok {
		s.Size = nfs.SetSize{SetIt: true, Size: sz}
	}
	setTime := func(t time.Time, ok bool) nfs.SetTime {
		if !ok {
			return nfs.SetTime{}
		}
		return nfs.SetTime{SetIt: nfs.SetToClientTime, Time: nfs.NFS3Time{Seconds: uint32(t.Unix()), Nseconds: uint32(t.Nanosecond())}}
	}
	s.Atime = setTime(in.GetATime())
	s.Mtime = setTime(in.GetMTime())
	fh := n.handle()
	_, e := n.c.call(&struct {
		rpc.Header
		FH    []byte
		Sattr nfs.Sattr3
		Guard uint32 // no ctime guard
	}{n.c.header(ctx, nfs.NFSProc3SetAttr), fh, s, 0})
	if e != 0 {
		return e
	}
	return n.Getattr(ctx, nil, out)
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	fh, a, e := n.c.lookup(ctx, n.handle(), name)
	if e != 0 {
		return nil, e
	}
	return n.child(ctx, fh, a, out), 0
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	type args struct {
		rpc.Header
		FH         []byte
		Cookie     uint64
		CookieVerf uint64
		DirCount   uint32
		MaxCount   uint32
	}
	type item struct {
		IsSet bool          `xdr:"union"`
		Entry nfs.EntryPlus `xdr:"unioncase=1"`
	}
	var entries []fuse.DirEntry
	var cookie, verf uint64
	for {
		res, e := n.c.call(&args{n.c.header(ctx, nfs.NFSProc3ReadDirPlus), n.handle(), cookie, verf, 8192, 32768})
		if e != 0 {
			return nil, e
		}
		var head struct {
			DirAttr    nfs.PostOpAttr
			CookieVerf uint64
		}
		if e := decode(res, &head); e != 0 {
			return nil, e
		}
		verf = head.CookieVerf
		for {
			var it item
			if e := decode(res, &it); e != 0 {
				return nil, e
			}
			if !it.IsSet {
				break
			}
			cookie = it.Entry.Cookie
			if it.Entry.FileName == "." || it.Entry.FileName == ".." {
				continue
			}
			mode := uint32(syscall.S_IFREG)
			if it.Entry.Attr.IsSet {
				mode = fileType(it.Entry.Attr.Attr.Type)
			}
			entries = append(entries, fuse.DirEntry{Name: it.Entry.FileName, Ino: it.Entry.FileId, Mode: mode})
		}
		var eof bool
		if e := decode(res, &eof); e != 0 {
			return nil, e
		}
		if eof {
			return fs.NewListDirStream(entries), 0
		}
	}
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	dir := n.handle()
	res, e := n.c.call(&struct {
		rpc.Header
		Where diropargs
		Attr  nfs.Sattr3
	}{n.c.header(ctx, nfs.NFSProc3Mkdir), diropargs{FH: dir, Filename: name}, modeAttr(mode)})
	if e != 0 {
		return nil, e
	}
	fh, a, e := n.c.finish(ctx, res, dir, name)
	if e != 0 {
		return nil, e
	}
	return n.child(ctx, fh, a, out), 0
}

func (n *node) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	how := uint32(0) // UNCHECKED
	if flags&syscall.O_EXCL != 0 {
		how = 1 // GUARDED
	}
	dir := n.handle()
	res, e := n.c.call(&struct {
		rpc.Header
		Where diropargs
		How   uint32
		Attr  nfs.Sattr3
	}{n.c.header(ctx, nfs.NFSProc3Create), diropargs{FH: dir, Filename: name}, how, modeAttr(mode)})
	if e != 0 {
		return nil, nil, 0, e
	}
	fh, a, e := n.c.finish(ctx, res, dir, name)
	if e != 0 {
		return nil, nil, 0, e
	}
	ch := n.child(ctx, fh, a, out)
	if flags&syscall.O_TRUNC != 0 && a.Filesize > 0 {
		if e := ch.Operations().(*node).truncate(ctx); e != 0 {
			return nil, nil, 0, e
		}
		out.Attr.Size = 0
	}
	return ch, nil, 0, 0
}

func (n *node) truncate(ctx context.Context) syscall.Errno {
	_, e := n.c.call(&struct {
		rpc.Header
		FH    []byte
		Sattr nfs.Sattr3
		Guard uint32
	}{n.c.header(ctx, nfs.NFSProc3SetAttr), n.handle(), nfs.Sattr3{Size: nfs.SetSize{SetIt: true}}, 0})
	return e
}

func (n *node) remove(ctx context.Context, proc uint32, name string) syscall.Errno {
	_, e := n.c.call(&struct {
		rpc.Header
		What diropargs
	}{n.c.header(ctx, proc), diropargs{FH: n.handle(), Filename: name}})
	return e
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	return n.remove(ctx, nfs.NFSProc3Remove, name)
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	return n.remove(ctx, nfs.NFSProc3RmDir, name)
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if flags != 0 {
		return syscall.ENOTSUP // RENAME_NOREPLACE / RENAME_EXCHANGE have no NFSv3 counterpart
	}
	to, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	_, e := n.c.call(&struct {
		rpc.Header
		From diropargs
		To   diropargs
	}{n.c.header(ctx, nfs.NFSProc3Rename), diropargs{FH: n.handle(), Filename: name}, diropargs{FH: to.handle(), Filename: newName}})
	return e
}

func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	dir := n.handle()
	res, e := n.c.call(&struct {
		rpc.Header
		Where  diropargs
		Attr   nfs.Sattr3
		Target string
	}{n.c.header(ctx, nfs.NFSProc3Symlink), diropargs{FH: dir, Filename: name}, modeAttr(0777), target})
	if e != 0 {
		return nil, e
	}
	fh, a, e := n.c.finish(ctx, res, dir, name)
	if e != 0 {
		return nil, e
	}
	return n.child(ctx, fh, a, out), 0
}

func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	res, e := n.c.call(&struct {
		rpc.Header
		FH []byte
	}{n.c.header(ctx, nfs.NFSProc3Readlink), n.handle()})
	if e != 0 {
		return nil, e
	}
	var r struct {
		Attr nfs.PostOpAttr
		Path string
	}
	if e := decode(res, &r); e != 0 {
		return nil, e
	}
	return []byte(r.Path), 0
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&syscall.O_TRUNC != 0 {
		if e := n.truncate(ctx); e != 0 {
			return nil, 0, e
		}
	}
	return nil, 0, 0
}

func (n *node) Read(ctx context.Context, _ fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	fh := n.handle()
	got := 0
	for got < len(dest) {
		count := min(uint32(len(dest)-got), n.c.rtmax)
		res, e := n.c.call(&struct {
			rpc.Header
			FH     []byte
			Offset uint64
			Count  uint32
		}{n.c.header(ctx, nfs.NFSProc3Read), fh, uint64(off) + uint64(got), count})
		if e != 0 {
			return nil, e
		}
		var r struct {
			Attr  nfs.PostOpAttr
			Count uint32
			EOF   bool
			Data  []byte
		}
		if e := decode(res, &r); e != 0 {
			return nil, e
		}
		got += copy(dest[got:], r.Data)
		if r.EOF || len(r.Data) == 0 {
			break
		}
	}
	return fuse.ReadResultData(dest[:got]), 0
}

func (n *node) Write(ctx context.Context, _ fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	n.wrMu.Lock()
	defer n.wrMu.Unlock()
	fh := n.handle()
	done := 0
	for done < len(data) {
		chunk := data[done:min(len(data), done+int(n.c.wtmax))]
		res, e := n.c.call(&struct {
			rpc.Header
			FH     []byte
			Offset uint64
			Count  uint32
			Stable uint32
			Data   []byte
		}{n.c.header(ctx, nfs.NFSProc3Write), fh, uint64(off) + uint64(done), uint32(len(chunk)), fileSync, chunk})
		if e != 0 {
			return uint32(done), e
		}
		var r struct {
			Wcc       nfs.WccData
			Count     uint32
			Committed uint32
			Verf      uint64
		}
		if e := decode(res, &r); e != 0 {
			return uint32(done), e
		}
		if r.Count == 0 {
			return uint32(done), syscall.EIO
		}
		done += int(r.Count)
	}
	return uint32(done), 0
}

// Fsync and Flush: every WRITE was FILE_SYNC, so a COMMIT only confirms the server has it.
// A directory has nothing to commit: NFSv3 servers commit CREATE, REMOVE and RENAME before they
// reply (RFC 1813), and COMMIT on a directory is NFS3ERR_ISDIR. fsync(2) of a directory (Redis
// does one after renaming its dump into place) succeeds, as with the kernel's NFS client.
func (n *node) Fsync(ctx context.Context, _ fs.FileHandle, _ uint32) syscall.Errno {
	if n.IsDir() {
		return 0
	}
	_, e := n.c.call(&struct {
		rpc.Header
		FH     []byte
		Offset uint64
		Count  uint32
	}{n.c.header(ctx, nfs.NFSProc3Commit), n.handle(), 0, 0})
	return e
}

func (n *node) Flush(context.Context, fs.FileHandle) syscall.Errno { return 0 }

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	res, e := n.c.call(&struct {
		rpc.Header
		FH []byte
	}{n.c.header(ctx, procFSStat), n.handle()})
	if e != 0 {
		return e
	}
	var r struct {
		Attr                   nfs.PostOpAttr
		TBytes, FBytes, ABytes uint64
		TFiles, FFiles, AFiles uint64
		Invarsec               uint32
	}
	if e := decode(res, &r); e != 0 {
		return e
	}
	const bs = 4096
	*out = fuse.StatfsOut{Blocks: r.TBytes / bs, Bfree: r.FBytes / bs, Bavail: r.ABytes / bs,
		Files: r.TFiles, Ffree: r.FFiles, Bsize: bs, Frsize: bs, NameLen: 255}
	return 0
}

// ---------------------------------------------------------------- mount and daemon

func dial(server, export string) (*client, []byte, error) {
	m, err := nfs.DialMount(server, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("MOUNT service of %s (rpcbind, mountd): %w", server, err)
	}
	host, _ := os.Hostname()
	root := rpc.NewAuthUnix(host, 0, 0).Auth()
	res, err := m.Call(&struct {
		rpc.Header
		Dirpath string
	}{rpc.Header{Rpcvers: 2, Prog: nfs.MountProg, Vers: nfs.MountVers, Proc: mountProc, Cred: root, Verf: rpc.AuthNull}, export})
	if err != nil {
		return nil, nil, fmt.Errorf("MNT %s:%s: %w", server, export, err)
	}
	status, err := xdr.ReadUint32(res)
	if err != nil {
		return nil, nil, err
	}
	if status != 0 {
		return nil, nil, fmt.Errorf("MNT %s:%s refused by the server: mountstat3 %d (%v)", server, export, status, nfsErrno(status))
	}
	fh, err := xdr.ReadOpaque(res)
	if err != nil {
		return nil, nil, err
	}
	r, err := nfs.DialService(server, rpc.Mapping{Prog: nfs.Nfs3Prog, Vers: nfs.Nfs3Vers, Prot: rpc.IPProtoTCP})
	if err != nil {
		return nil, nil, fmt.Errorf("NFS service of %s: %w", server, err)
	}
	c := &client{rpc: r, mnt: m, host: host, rtmax: 1 << 20, wtmax: 1 << 20, auths: map[[2]uint32]rpc.Auth{}, rootAuth: root}
	// FSINFO: the server's preferred transfer sizes.
	res2, e := c.call(&struct {
		rpc.Header
		FH []byte
	}{rpc.Header{Rpcvers: 2, Prog: nfs.Nfs3Prog, Vers: nfs.Nfs3Vers, Proc: nfs.NFSProc3FSInfo, Cred: root, Verf: rpc.AuthNull}, fh})
	if e != 0 {
		return nil, nil, fmt.Errorf("FSINFO of %s:%s: %v", server, export, e)
	}
	var info struct {
		Attr                                                 nfs.PostOpAttr
		RTMax, RTPref, RTMult, WTMax, WTPref, WTMult, DTPref uint32
	}
	if e := decode(res2, &info); e != 0 {
		return nil, nil, fmt.Errorf("FSINFO of %s:%s: %v", server, export, e)
	}
	c.rtmax, c.wtmax = min(info.RTMax, 1<<20), min(info.WTMax, 1<<20)
	if c.rtmax == 0 || c.wtmax == 0 {
		c.rtmax, c.wtmax = 32768, 32768
	}
	return c, fh, nil
}

func (c *client) umount(export string) {
	_, _ = c.mnt.Call(&struct {
		rpc.Header
		Dirpath string
	}{rpc.Header{Rpcvers: 2, Prog: nfs.MountProg, Vers: nfs.MountVers, Proc: umountProc, Cred: c.rootAuth, Verf: rpc.AuthNull}, export})
}

type args struct {
	spec, server, export, dir string
	opts                      []string
}

func parseArgs(argv []string) (args, error) {
	var a args
	var pos []string
	for i := 0; i < len(argv); i++ {
		switch s := argv[i]; {
		case s == "-o" && i+1 < len(argv):
			i++
			a.opts = append(a.opts, strings.Split(argv[i], ",")...)
		case strings.HasPrefix(s, "-o"):
			a.opts = append(a.opts, strings.Split(s[2:], ",")...)
		case strings.HasPrefix(s, "-"): // -s -f -n -v -N: accepted, nothing to do
		default:
			pos = append(pos, s)
		}
	}
	if len(pos) != 2 {
		return a, errors.New("usage: mount.nfs SERVER:/PATH DIR [-o OPTIONS]")
	}
	a.spec, a.dir = pos[0], pos[1]
	i := strings.Index(a.spec, ":/")
	if i <= 0 {
		return a, fmt.Errorf("%q is not SERVER:/PATH", a.spec)
	}
	a.server, a.export = a.spec[:i], filepath.Clean(a.spec[i+1:])
	return a, nil
}

func daemon(a args, ready *os.File) error {
	readOnly := false
	for _, o := range a.opts {
		switch {
		case o == "ro":
			readOnly = true
		case strings.HasPrefix(o, "nfsvers=4"), strings.HasPrefix(o, "vers=4"):
			log.Printf("option %s: this client speaks NFSv3 only; mounting with v3", o)
		case o != "" && o != "rw":
			log.Printf("option %s: ignored", o)
		}
	}
	c, fh, err := dial(a.server, a.export)
	if err != nil {
		return err
	}
	sec := time.Second
	zero := time.Duration(0)
	mo := fuse.MountOptions{FsName: a.spec, Name: "nfs", AllowOther: true, DirectMountStrict: true,
		MaxWrite: 1 << 20, Options: []string{"default_permissions"}}
	if readOnly {
		mo.Options = append(mo.Options, "ro")
	}
	srv, err := fs.Mount(a.dir, &node{c: c, fh: fh}, &fs.Options{MountOptions: mo, EntryTimeout: &sec, AttrTimeout: &sec, NegativeTimeout: &zero})
	if err != nil {
		return fmt.Errorf("FUSE mount on %s: %w", a.dir, err)
	}
	log.Printf("mounted %s on %s (NFSv3 over TCP, rtmax %d, wtmax %d)", a.spec, a.dir, c.rtmax, c.wtmax)
	fmt.Fprintln(ready, "ok")
	ready.Close()
	srv.Wait() // returns when the file system is unmounted
	c.umount(a.export)
	log.Printf("unmounted %s from %s", a.spec, a.dir)
	return nil
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	a, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "mount.nfs (fuse):", err)
		os.Exit(32)
	}
	if os.Getenv(childEnv) == "1" {
		ready := os.NewFile(3, "ready")
		if err := daemon(a, ready); err != nil {
			log.Print(err)
			fmt.Fprintln(ready, err)
			os.Exit(32)
		}
		return
	}
	// Parent: fork the daemon, detached from mount(8)'s stdio, and wait for its verdict.
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mount.nfs (fuse):", err)
		os.Exit(32)
	}
	self, _ := os.Executable()
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if dir := os.Getenv("MOUNT_NFS_LOG_DIR"); dir != "" {
		_ = os.MkdirAll(dir, 0o755)
		if f, err := os.CreateTemp(dir, "mount-*.log"); err == nil {
			cmd.Stdout, cmd.Stderr = f, f
			defer f.Close()
		}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "mount.nfs (fuse):", err)
		os.Exit(32)
	}
	w.Close()
	verdict, _ := io.ReadAll(r)
	if string(bytes.TrimSpace(verdict)) != "ok" {
		msg := strings.TrimSpace(string(verdict))
		if msg == "" {
			msg = "daemon exited before the mount was ready"
		}
		fmt.Fprintf(os.Stderr, "mount.nfs (fuse): mounting %s on %s failed: %s\n", a.spec, a.dir, msg)
		_ = cmd.Wait()
		os.Exit(32)
	}
	_ = cmd.Process.Release()
}
