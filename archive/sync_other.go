//go:build !linux

package archive

// syncFilesystem has no single-call equivalent here; callers sync each file
// and directory instead.
func syncFilesystem(dir string) (bool, error) { return false, nil }
