// Copyright (c) 2026 the mailkeep authors. Licensed under the Apache
// License, Version 2.0, like the rest of this package (see LICENSE).

//go:build unix

package zap

import "golang.org/x/sys/unix"

// dropPages releases the resident pages of a shared read-only file
// mapping; they are read again, from the page cache, when touched.
func dropPages(m []byte) {
	_ = unix.Madvise(m, unix.MADV_DONTNEED)
}
