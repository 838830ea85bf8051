package dovecottest

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// procAttr starts Dovecot in a process group of its own, so that stopping
// it reaches every process it forked, and has the kernel kill it should
// the test binary die without running its cleanups (Dovecot's children
// exit when their master is gone).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// groupGone reports whether no live process of the group pgid is left.
// Zombies do not count: once the master is dead, its children are reaped
// by init, which in a container may never happen.
func groupGone(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(stat[i+1:])
		if len(f) < 3 || string(f[0]) == "Z" {
			continue
		}
		if g, _ := strconv.Atoi(string(f[2])); g == pgid {
			return false
		}
	}
	return true
}
