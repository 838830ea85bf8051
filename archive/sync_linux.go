package archive

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// syncFilesystem calls syncfs(2) on the file system holding dir: one call
// that makes the data and metadata of every file written there durable,
// which is what turns a batch of N messages into one round of syncs.
func syncFilesystem(dir string) (bool, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	if err := unix.Syncfs(fd); err != nil {
		return false, err
	}
	return true, nil
}

// renameFile is rename(2) without os.Rename's lstat of the target: objects
// and their temp files are never directories.
func renameFile(from, to string) error {
	if err := unix.Rename(from, to); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// writeNewFile creates path, which must not exist, and writes data to it,
// with three system calls: an object's temp file needs no *os.File, whose
// set-up costs a fcntl and an epoll registration per message.
func writeNewFile(path string, data []byte) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	for len(data) > 0 && err == nil {
		var n int
		n, err = unix.Write(fd, data)
		switch {
		case err == unix.EINTR:
			err = nil
		case err == nil && n == 0:
			err = io.ErrShortWrite // no progress: do not spin
		}
		data = data[max(n, 0):]
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		unix.Unlink(path)
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}
