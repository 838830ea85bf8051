//go:build !linux

package mailfile

import (
	"os"
	"time"
)

// msgFile is a message file open for reading.
type msgFile struct {
	*os.File
	size    int64
	mtime   time.Time
	regular bool
}

func openMsgFile(path string) (*msgFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &msgFile{File: f, size: st.Size(), mtime: st.ModTime(), regular: st.Mode().IsRegular()}, nil
}
