package mailfile

import (
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// msgFile is a message file open for reading. On Linux it is a bare file
// descriptor: os.Open of a regular file costs four fcntl calls and a failed
// epoll registration on top of the open, which add up when an import reads
// thousands of small files.
type msgFile struct {
	fd      int
	path    string
	size    int64
	mtime   time.Time
	regular bool
}

func openMsgFile(path string) (*msgFile, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return &msgFile{fd: fd, path: path, size: st.Size,
		mtime:   time.Unix(st.Mtim.Unix()),
		regular: st.Mode&unix.S_IFMT == unix.S_IFREG}, nil
}

func (f *msgFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: f.path, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *msgFile) Close() error {
	if err := unix.Close(f.fd); err != nil {
		return &os.PathError{Op: "close", Path: f.path, Err: err}
	}
	return nil
}
