package mailgen

import (
	"bytes"
	"net/mail"
	"sort"
	"testing"
)

func TestGenerate(t *testing.T) {
	msgs := Generate(Options{Seed: 1}, 3000)
	again := Generate(Options{Seed: 1}, 3000)
	var sizes []int
	langs := map[string]int{}
	big := 0
	for i, m := range msgs {
		if !bytes.Equal(m.Raw, again[i].Raw) {
			t.Fatalf("message %d differs between two runs with the same seed", i)
		}
		if bytes.Contains(bytes.ReplaceAll(m.Raw, []byte("\r\n"), nil), []byte("\n")) {
			t.Fatalf("message %d has a bare LF", i)
		}
		if _, err := mail.ReadMessage(bytes.NewReader(m.Raw)); err != nil {
			t.Fatalf("message %d does not parse: %v", i, err)
		}
		sizes = append(sizes, len(m.Raw))
		langs[m.Lang]++
		if len(m.Raw) > 1_000_000 {
			big++
		}
	}
	sort.Ints(sizes)
	median := sizes[len(sizes)/2]
	if median < 4000 || median > 9000 {
		t.Errorf("median size = %d, want about 6 KB", median)
	}
	if big == 0 || len(langs) != 5 {
		t.Errorf("big messages = %d, languages = %v; want some big ones and 5 languages", big, langs)
	}
	t.Logf("median %d bytes, largest %d, languages %v", median, sizes[len(sizes)-1], langs)
}
