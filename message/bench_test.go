package message

import (
	"bytes"
	"os"
	"testing"

	"github.com/mailkeep/mailkeep/internal/testenv"
)

// BenchmarkParse parses the corpus's parser-test messages and every tenth
// message of the SpamAssassin corpus, and reports MB/s.
func BenchmarkParse(b *testing.B) {
	var msgs [][]byte
	var total int64
	for i, f := range testenv.CorpusMessages(b, false) {
		if i%10 != 0 && !isParserTest(f) {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
		total += int64(len(raw))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range msgs {
			Parse(bytes.NewReader(raw))
		}
	}
}

func isParserTest(path string) bool {
	return !bytes.Contains([]byte(path), []byte("spamassassin-public-corpus"))
}

// BenchmarkSanitizeHTML sanitizes the HTML bodies of the parser-test
// messages.
func BenchmarkSanitizeHTML(b *testing.B) {
	var docs []string
	var total int64
	for _, f := range testenv.CorpusMessages(b, true) {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		if m := Parse(bytes.NewReader(raw)); m.HTML != "" {
			docs = append(docs, m.HTML)
			total += int64(len(m.HTML))
		}
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			SanitizeHTML(d, SanitizeOptions{})
		}
	}
}
