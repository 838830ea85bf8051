package testbin

import "github.com/mailkeep/mailkeep/internal/mailgen"

// Messages returns the raw bytes of n messages mailgen generates with o,
// and their total size.
func Messages(o mailgen.Options, n int) (raws [][]byte, size int64) {
	for _, m := range mailgen.Generate(o, n) {
		raws = append(raws, m.Raw)
		size += int64(len(m.Raw))
	}
	return raws, size
}
