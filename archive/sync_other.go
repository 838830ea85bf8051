//go:build !linux

package archive

import "os"

// syncFilesystem has no single-call equivalent here; callers sync each file
// and directory instead.
func syncFilesystem(dir string) (bool, error) { return false, nil }

func renameFile(from, to string) error { return os.Rename(from, to) }

func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
