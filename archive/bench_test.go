package archive

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/mailkeep/mailkeep/internal/mailgen"
)

// BenchmarkBatchCommit stores generated messages in batches of 1,000 with
// every batch durable; b.N messages in all.
func BenchmarkBatchCommit(b *testing.B) {
	msgs := mailgen.Generate(mailgen.Options{Seed: 11, BigEvery: -1}, 5000)
	a, err := Open(context.Background(), b.TempDir(), Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	var bytesIn int64
	b.ResetTimer()
	var stage, commit time.Duration
	for i := 0; i < b.N; {
		bt := a.NewBatch()
		t0 := time.Now()
		for k := 0; k < 1000 && i < b.N; k, i = k+1, i+1 {
			m := msgs[i%len(msgs)].Raw
			if i >= len(msgs) {
				m = append([]byte("X-N: "+string(rune('a'+i%26))+"\r\n"), m...)
			}
			bytesIn += int64(len(m))
			if _, err := bt.Add(bytes.NewReader(m)); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		if _, err := bt.Commit(context.Background()); err != nil {
			b.Fatal(err)
		}
		stage += t1.Sub(t0)
		commit += time.Since(t1)
	}
	b.SetBytes(bytesIn / int64(b.N))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if os.Getenv("MAILKEEP_BENCH_DETAIL") == "1" {
		b.Logf("stage %s, commit %s", stage, commit)
	}
}

// BenchmarkCompress compresses generated messages one by one with the
// archive's encoder settings, and reports the stored share of the bytes.
func BenchmarkCompress(b *testing.B) {
	msgs := mailgen.Generate(mailgen.Options{Seed: 1}, 3000)
	var total int64
	for _, m := range msgs {
		total += int64(len(m.Raw))
	}
	enc := encoders.Get().(*zstd.Encoder)
	defer encoders.Put(enc)
	var out []byte
	var stored int64
	b.SetBytes(total)
	for b.Loop() {
		stored = 0
		for _, m := range msgs {
			out = enc.EncodeAll(m.Raw, out[:0])
			stored += int64(len(out))
		}
	}
	b.ReportMetric(float64(stored)/float64(total), "ratio")
}
