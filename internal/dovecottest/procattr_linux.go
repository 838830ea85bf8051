package dovecottest

import "syscall"

// procAttr starts Dovecot in a process group of its own, so that stopping
// it reaches every process it forked, and has the kernel kill it should
// the test binary die without running its cleanups (Dovecot's children
// exit when their master is gone).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
