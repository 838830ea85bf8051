package index

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "<nil>"},
		{"   ", "<nil>"},
		{"hello", "hello"},
		{"hello world", "(AND hello world)"},
		{"hello AND world", "(AND hello world)"},
		{`"big cat"`, `"big cat"`},
		{`"big cat" mat`, `(AND "big cat" mat)`},
		{"a OR b", "(OR a b)"},
		{"a OR b c", "(AND (OR a b) c)"},
		{"a b OR c", "(AND a (OR b c))"},
		{"a OR b OR c", "(OR a b c)"},
		{"a or b", "(AND a or b)"},
		{"-spam", "-spam"},
		{"--spam", "spam"},
		{"-from:bob report", "(AND -from:bob report)"},
		{"a - b", "(AND a b)"},
		{"(a OR b) -c", "(AND (OR a b) -c)"},
		{"-(a OR b)", "-(OR a b)"},
		{"((a))", "a"},
		{"from:alice", "from:alice"},
		{"FROM:alice", "from:alice"},
		{`from:"Alice Smith"`, `from:"Alice Smith"`},
		{"from:(alice OR bob)", "(OR from:alice from:bob)"},
		{"subject:(a -b)", "(AND subject:a -subject:b)"},
		{"subject:(a body:b)", "(AND subject:a body:b)"},
		{"to:x cc:y body:z filename:report.pdf", "(AND to:x cc:y body:z filename:report.pdf)"},
		{"in:INBOX", "in:INBOX"},
		{`in:"My Folder"`, `in:"My Folder"`},
		{"in:home/Archive/2019", "in:home/Archive/2019"},
		{"account:work", "account:work"},
		{"after:2024-03-01 before:2024-04-01", "(AND after:2024-03-01 before:2024-04-01)"},
		{"after:2024/3/1", "after:2024/3/1"},
		{"after:2024", "after:2024"},
		{"has:attachment", "has:attachment"},
		{"has:Attachments", "has:attachment"},
		{"is:unread is:READ is:flagged is:seen", "(AND is:unread is:read is:flagged is:read)"},
		{"id:0123456789abcdef", "id:0123456789abcdef"},
		{"id:<abc@example.com>", "id:abc@example.com"},
		{"id:abc@example.com", "id:abc@example.com"},
		{"larger:10k smaller:2M", "(AND larger:10k smaller:2M)"},
		{"foo:bar", "foo:bar"},
		{"http://example.com/x", "http://example.com/x"},
		{"re: hello", "(AND re: hello)"},
		{"ΔΙΑΒΑΣΜΕΝΟ", "ΔΙΑΒΑΣΜΕΝΟ"},
		{"f(x", `"f(x"`}, // "(" inside a word belongs to it
		{"meet*", "meet*"},
		{"*", "*"},
		{"report *", "(AND report *)"},
		{"-*", "-*"},
		{"subject:quart** from:(al* OR bob)", "(AND subject:quart* (OR from:al* from:bob))"},
		{"διαβασ*", "διαβασ*"},
		{`"meet*"`, `"meet*"`},   // in quotes a * is only a character
		{"in:Arch*", "in:Arch*"}, // and in fields without words
		{"e-mai*", "e-mai*"},     // words the analyzer splits: see text
		{"ab*cd", "ab*cd"},       // only a last * means a prefix
		{"東*", "東*"},
	} {
		n, err := Parse(c.in, time.UTC)
		if err != nil {
			t.Errorf("Parse(%q) error %v, want %s", c.in, err, c.want)
			continue
		}
		got := "<nil>"
		if n != nil {
			got = n.String()
		}
		if got != c.want {
			t.Errorf("Parse(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`subject:"hello`, "query: unclosed quote at column 9"},
		{`hello "world`, "query: unclosed quote at column 7"},
		{"(a OR b", "query: unclosed ( at column 1"},
		{"a (b (c)", "query: unclosed ( at column 3"},
		{"a)", "query: unmatched ) at column 2"},
		{")", "query: unmatched ) at column 1"},
		{"()", "query: empty parentheses at column 1"},
		{"a ( ) b", "query: empty parentheses at column 3"},
		{"OR a", "query: OR needs a term before it at column 1"},
		{"a OR", "query: OR needs a term after it at column 3"},
		{"a OR OR b", "query: OR needs a term after it at column 3"},
		{"(a OR)", "query: OR needs a term after it at column 4"},
		{"AND a", "query: AND needs a term before it at column 1"},
		{"a AND", "query: AND needs a term after it at column 3"},
		{"from:", "query: from: needs a value at column 1"},
		{"x from: y", "query: from: needs a value at column 3"},
		{"after:yesterday", `query: after: wants a date like 2024-03-01, not "yesterday" at column 7`},
		{"before:2024-13-01", `query: before: wants a date like 2024-03-01, not "2024-13-01" at column 8`},
		{"has:pdf", `query: has: knows only attachment, not "pdf" at column 5`},
		{"is:important", `query: is: knows unread, read, flagged, unflagged, answered and draft, not "important" at column 4`},
		{"id:abc", "query: id: wants at least 8 hex digits of a message id, or a Message-ID at column 4"},
		{"id:<>", "query: id: needs a value at column 4"},
		{"in:(a b)", "query: in: takes one value, not a group at column 4"},
		{"larger:big", `query: larger: wants a size like 500k or 2M, not "big" at column 8`},
		{"report m*", `query: "m*": give at least 2 letters before the * at column 8`},
		{"from:*", `query: "*": give at least 2 letters before the * at column 6`},
		{"-é*", `query: "é*": give at least 2 letters before the * at column 2`},
		{"ελληνικά \"x", "query: unclosed quote at column 10"},
		{strings.Repeat("(", 40) + "a" + strings.Repeat(")", 40), "query: query nested deeper than 32 levels at column 33"},
		{strings.Repeat("a ", 300), "query: more than 256 terms at column 513"},
	} {
		_, err := Parse(c.in, time.UTC)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want *SyntaxError %q", c.in, err, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("Parse(%q) error = %q, want %q", c.in, err, c.want)
		}
	}
}

// TestQueryDates checks the day bounds of after: and before: in the
// index's time zone.
func TestQueryDates(t *testing.T) {
	a := newTestArchive(t)
	addMails(t, a,
		testMail{raw: mail("x@example.com", "y@example.com", "late", "Sun, 31 Mar 2024 23:30:00 +0000", "late")},
		testMail{raw: mail("x@example.com", "y@example.com", "early", "Mon, 01 Apr 2024 00:30:00 +0000", "early")},
	)
	x := openTestIndex(t, a, Options{})
	for _, c := range []struct {
		q    string
		want string
	}{
		{"after:2024-04-01", "early"},
		{"before:2024-04-01", "late"},
		{"after:2024-03-31 before:2024-04-01", "late"},
		{"after:2024-04", "early"},
		{"before:2024-04", "late"},
	} {
		r := find(t, x, Request{Query: c.q})
		if r.Total != 1 || r.Hits[0].Subject != c.want {
			t.Errorf("Search(%q) = %d hits %v, want only %q", c.q, r.Total, r.Hits, c.want)
		}
	}
	// In UTC+2 the early one is on 1 April, the late one too.
	x.opts.Location = time.FixedZone("UTC+2", 2*3600)
	if n := count(t, x, "after:2024-04-01"); n != 2 {
		t.Errorf("in UTC+2, after:2024-04-01 = %d, want 2", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "hello", `"big cat"`, "a OR b", "-(a OR b) c", "from:(alice OR bob)", `in:"My Folder"`,
		"after:2024-03-01", "id:<x@y>", "is:unread has:attachment", "((((", `"`, "a)", "OR", "-",
		"larger:10k", "ΔΙΑΒΑΣΜΕΝΟ 東京", "subject:", "\xff\xfe", "meet* *", "from:e-ma*", "東*",
	} {
		f.Add(s)
	}
	x := &Index{an: newTextAnalyzer(true), opts: Options{Location: time.UTC}}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := Parse(q, time.UTC)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", q, err, err)
			}
			if se.Pos < 1 || se.Pos > utf8.RuneCountInString(q)+1 {
				t.Fatalf("Parse(%q) error position %d out of range", q, se.Pos)
			}
			return
		}
		if n != nil {
			_ = n.String()
		}
		bq := x.translate(n)
		if v, ok := bq.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				t.Fatalf("Parse(%q) gives an invalid Bleve query: %v", q, err)
			}
		}
		_ = x.highlightTerms(n)
		_, _ = x.snippet("some text with "+q+" inside it", x.highlightTerms(n))
	})
}

// TestSearchNeverPanics runs odd queries against a real index.
func TestSearchNeverPanics(t *testing.T) {
	a := newTestArchive(t)
	addMails(t, a, testMail{raw: mail("x@example.com", "y@example.com", "s", "Mon, 02 Jan 2006 15:04:05 +0000", "b")})
	x := openTestIndex(t, a, Options{})
	for _, q := range []string{"-", "- -", "&&&", "-&", "\"\"", "from:\"\"", "a OR -b", "after:1000-01-01", "before:9999", "id:<x>", "中", "-中 OR -x", "in:\"\""} {
		if _, err := x.Search(context.Background(), Request{Query: q}); err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("Search(%q) error %v", q, err)
			}
		}
	}
}
