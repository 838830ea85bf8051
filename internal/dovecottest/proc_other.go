//go:build !unix

package dovecottest

import (
	"errors"
	"syscall"
)

// Dovecot runs on UNIX only; elsewhere Start skips before these are used.

func procAttr() *syscall.SysProcAttr { return nil }

func signalGroup(pgid int, sig syscall.Signal) error { return errors.ErrUnsupported }

func groupGone(pgid int) bool { return true }
