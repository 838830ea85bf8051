package archive

import (
	"fmt"
	"os"
	"path/filepath"
)

// The file-system operations of the write path, as variables so tests can
// inject failures at each step and check their order (STYLE rule 36).
var (
	createTemp = os.CreateTemp
	rename     = renameFile
	// writeNew creates a file that must not exist yet with data in it.
	writeNew = writeNewFile
	// syncFile makes one file's data durable.
	syncFile = func(f *os.File) error { return f.Sync() }
	// syncAll makes every file and name written so far on the file system
	// holding dir durable in one call where the platform has one (syncfs on
	// Linux). It reports false when it could not, and the caller falls back
	// to syncing files and directories one by one.
	syncAll = syncFilesystem
)

// syncDir fsyncs a directory so that names created in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// syncDirs fsyncs each distinct directory once.
func syncDirs(paths []string) error {
	seen := map[string]bool{}
	for _, p := range paths {
		d := filepath.Dir(p)
		if seen[d] {
			continue
		}
		seen[d] = true
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}
