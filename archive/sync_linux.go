package archive

import "golang.org/x/sys/unix"

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
