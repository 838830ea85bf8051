package archive

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockedError says that another process holds the archive's write lock.
type LockedError struct {
	Dir string
	PID int // 0 when unknown
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("archive %s is in use by mailkeep (pid %d)", e.Dir, e.PID)
	}
	return fmt.Sprintf("archive %s is in use by another mailkeep process", e.Dir)
}

// IsLocked reports whether err says the archive is locked by another process.
func IsLocked(err error) bool {
	var le *LockedError
	return errors.As(err, &le)
}

// lockFile takes the archive's write lock: an flock on <dir>/lock, which the
// kernel releases when the holder dies, so a stale lock of a dead process is
// simply taken over. The holder's pid is written into the file for the
// error message of the next contender.
func lockFile(dir string) (*os.File, error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			// The holder may have just taken the lock and not yet
			// written its pid: look again briefly.
			pid := 0
			for i := 0; i < 20 && pid == 0; i++ {
				if i > 0 {
					time.Sleep(5 * time.Millisecond)
				}
				buf := make([]byte, 32)
				n, _ := f.ReadAt(buf, 0)
				pid, _ = strconv.Atoi(strings.TrimSpace(string(buf[:n])))
			}
			return nil, &LockedError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if _, err := f.WriteAt(pid, 0); err == nil {
		_ = f.Truncate(int64(len(pid)))
	}
	return f, nil
}

// LockHolder returns the pid recorded in the archive's lock file when a live
// process holds the lock, or 0.
func LockHolder(dir string) int {
	f, err := lockFile(dir)
	if err == nil {
		unlockFile(f)
		return 0
	}
	var le *LockedError
	if errors.As(err, &le) {
		return le.PID
	}
	return 0
}

func unlockFile(f *os.File) {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}
