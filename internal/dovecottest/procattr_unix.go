//go:build unix && !linux

package dovecottest

import "syscall"

// procAttr starts Dovecot in a process group of its own, so that stopping
// it reaches every process it forked.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
