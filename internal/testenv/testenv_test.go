package testenv

import "testing"

func TestCorpusFiles(t *testing.T) {
	files := CorpusFiles(t)
	if len(files) < 7000 {
		t.Fatalf("CorpusFiles = %d files, want the whole corpus (about 7,260)", len(files))
	}
	small := CorpusMessages(t, true)
	if len(small) < 500 || len(small) > 1200 {
		t.Fatalf("CorpusMessages(small) = %d files, want about 900", len(small))
	}
}
