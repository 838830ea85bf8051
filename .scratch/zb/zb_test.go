package zb

import (
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/mailkeep/mailkeep/internal/mailgen"
)

func BenchmarkZstd(b *testing.B) {
	msgs := mailgen.Generate(mailgen.Options{Seed: 1}, 3000)
	var total int64
	for _, m := range msgs {
		total += int64(len(m.Raw))
	}
	for _, tc := range []struct {
		name string
		opts []zstd.EOption
	}{
		{"current", []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1 << 20), zstd.WithLowerEncoderMem(true)}},
		{"nolowmem", []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1 << 20)}},
		{"noentropy", []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1 << 20), zstd.WithNoEntropyCompression(true)}},
		{"nocrc", []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1 << 20), zstd.WithEncoderCRC(false)}},
		{"default", []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithWindowSize(1 << 20)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			enc, _ := zstd.NewWriter(nil, append(tc.opts, zstd.WithEncoderConcurrency(1))...)
			var out []byte
			var z int64
			b.SetBytes(total)
			for b.Loop() {
				z = 0
				for _, m := range msgs {
					out = enc.EncodeAll(m.Raw, out[:0])
					z += int64(len(out))
				}
			}
			b.ReportMetric(float64(z)/float64(total), "ratio")
		})
	}
}
