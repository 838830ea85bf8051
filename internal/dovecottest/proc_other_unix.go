//go:build unix && !linux

package dovecottest

import (
	"errors"
	"syscall"
)

// procAttr starts Dovecot in a process group of its own, so that stopping
// it reaches every process it forked.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// groupGone reports whether no process of the group pgid is left.
func groupGone(pgid int) bool {
	return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
