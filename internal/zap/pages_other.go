// Copyright (c) 2026 the mailkeep authors. Licensed under the Apache
// License, Version 2.0, like the rest of this package (see LICENSE).

//go:build !unix

package zap

func dropPages([]byte) {}
