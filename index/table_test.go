package index

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestWriteTable(t *testing.T) {
	date := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	r := &Result{Total: 3, Hits: []Hit{
		{ID: strings.Repeat("ab", 32), Date: date, From: `"Smith, Alice" <alice@example.com>`, Subject: "Quarterly report", Mailboxes: []string{"home/INBOX"}},
		{ID: strings.Repeat("cd", 32), Date: date, From: "王伟 <wang@example.cn>", Subject: "关于下周会议的安排和准备工作的详细说明以及其他事项的通知", Mailboxes: []string{"work/Archive/2019/Projects", "home/INBOX"}},
		{ID: strings.Repeat("ef", 32), Date: date, From: "bob@example.org", Subject: "A very long subject line that goes on and on\nwith a newline in it and more", Mailboxes: []string{}},
	}}
	var b strings.Builder
	if err := WriteTable(&b, r, 0); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("WriteTable wrote %d lines, want 5:\n%s", len(lines), b.String())
	}
	for i, l := range lines {
		w := 0
		for _, r := range l {
			w += cells(r)
		}
		if w > 100 {
			t.Errorf("line %d is %d cells wide, want at most 100: %q", i, w, l)
		}
	}
	for _, want := range []string{"2024-03-01", "Smith, Alice", "abababababab", "王伟", "home/INBOX", "+1", "3 messages"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	// The columns line up: the subject starts at the same cell in every row.
	col := func(l string) int {
		for _, p := range []string{"SUBJECT", "Quarterly", "关于", "A very"} {
			if i := strings.Index(l, p); i >= 0 {
				w := 0
				for _, r := range l[:i] {
					w += cells(r)
				}
				return w
			}
		}
		return -1
	}
	for i, l := range lines[:4] {
		if c := col(l); c != colDate+2+colFrom+2 {
			t.Errorf("line %d: subject at cell %d, want %d: %q", i, c, colDate+2+colFrom+2, l)
		}
	}
	if strings.Contains(b.String(), "with a newline\n") {
		t.Errorf("a newline in a subject broke the row")
	}
}

// TestTableFooter: one line says which hits these are, of how many, and
// the search's time; no header when there is nothing under it.
func TestTableFooter(t *testing.T) {
	hits := func(n int) []Hit {
		h := make([]Hit, n)
		for i := range h {
			h[i] = Hit{ID: strings.Repeat("ab", 32), Subject: "s"}
		}
		return h
	}
	for _, c := range []struct {
		r      Result
		offset int
		want   string
	}{
		{Result{Total: 0, Hits: hits(0)}, 0, "no messages found\n"},
		{Result{Total: 1, Hits: hits(1), Took: 1234567 * time.Nanosecond}, 0, "1 message (1.23ms)\n"},
		{Result{Total: 4, Hits: hits(4)}, 0, "4 messages\n"},
		{Result{Total: 38028, Hits: hits(20)}, 0, "messages 1–20 of 38028\n"},
		{Result{Total: 38028, Hits: hits(8)}, 38020, "messages 38021–38028 of 38028\n"},
		{Result{Total: 5, Hits: hits(0)}, 10, "5 messages found; --offset 10 skips them all\n"},
	} {
		var b strings.Builder
		if err := WriteTable(&b, &c.r, c.offset); err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(b.String(), "\n")
		if last := lines[len(lines)-2]; last != c.want {
			t.Errorf("total %d, %d hits, offset %d: footer %q, want %q", c.r.Total, len(c.r.Hits), c.offset, last, c.want)
		}
		if header := strings.HasPrefix(b.String(), "DATE"); header != (len(c.r.Hits) > 0) {
			t.Errorf("total %d, %d hits: header printed = %v", c.r.Total, len(c.r.Hits), header)
		}
		if n := strings.Count(b.String(), "\n"); len(c.r.Hits) > 0 && n != len(c.r.Hits)+2 || len(c.r.Hits) == 0 && n != 1 {
			t.Errorf("total %d, %d hits: %d lines:\n%s", c.r.Total, len(c.r.Hits), n, b.String())
		}
	}
}

func TestFit(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 8, "hello   "},
		{"hello world", 8, "hello w…"},
		{"東京都庁", 8, "東京都庁"},
		{"東京都庁舎", 8, "東京都… "},
		{"ab\tc", 6, "ab c  "},
	} {
		if got := fit(c.s, c.n, true); got != c.want {
			t.Errorf("fit(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

func TestResultJSON(t *testing.T) {
	r := &Result{Total: 1, Took: time.Second, Hits: []Hit{{
		ID: strings.Repeat("ab", 32), Date: time.Date(2024, 3, 1, 12, 0, 0, 0, time.FixedZone("", 3600)),
		From: "a@example.com", Subject: "s", Mailboxes: []string{"home/INBOX"}, Snippet: "text",
	}}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"total":1,"hits":[{"id":"` + strings.Repeat("ab", 32) + `","date":"2024-03-01T12:00:00+01:00","from":"a@example.com","subject":"s","mailboxes":["home/INBOX"],"snippet":"text"}]}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
	empty, _ := json.Marshal(&Result{Hits: []Hit{}})
	if string(empty) != `{"total":0,"hits":[]}` {
		t.Errorf("empty JSON = %s", empty)
	}
	if !utf8.Valid(b) {
		t.Error("invalid UTF-8")
	}
}
