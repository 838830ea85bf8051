package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version says which mailkeep this is, for bug reports: the module
// version Go stamped into the binary (a release tag, or a pseudo-version
// naming the commit a checkout was built from; "(devel)" when built
// without version control), and the Go toolchain and platform.
func version() string {
	v := "(unknown version)"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("%s (%s, %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
