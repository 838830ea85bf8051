package index

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSearchBasics(t *testing.T) {
	a := newTestArchive(t)
	ids := addMails(t, a,
		testMail{raw: mail(`"Alice Smith" <alice.smith@example.com>`, "bob@example.org", "Quarterly report", "Mon, 02 Jan 2006 15:04:05 +0000", "Please find the numbers attached.\nThe big cat sat on the mat."), flags: []string{`\Seen`}},
		testMail{raw: mail("bob@example.org", "alice.smith@example.com", "Re: Quarterly report", "Tue, 03 Jan 2006 10:00:00 +0000", "Thanks, the cat is big."), mailbox: "Sent", flags: []string{`\Seen`, `\Flagged`}},
		testMail{raw: mail("carol@example.net", "alice.smith@example.com", "Lunch?", "Wed, 04 Jan 2012 12:00:00 +0000", "Shall we meet at noon?"), account: "work"},
	)
	x := openTestIndex(t, a, Options{})
	if n, _ := x.DocCount(); n != 3 {
		t.Fatalf("DocCount = %d, want 3", n)
	}
	for _, c := range []struct {
		q    string
		want int
	}{
		{"", 3},
		{"report", 2},
		{"REPORT", 2},
		{`"big cat"`, 1},
		{`"cat big"`, 0},
		{"cat big", 2},
		{"from:alice", 1},
		{"from:alice.smith@example.com", 1},
		{"from:example.com", 1},
		{"from:example", 3},
		{`from:"alice smith"`, 1},
		{`"alice.smith@example.com"`, 3},
		{`to:"alice smith example"`, 2},
		{"to:alice", 2},
		{"subject:re", 1},
		{"subject:noon", 0},
		{"body:noon", 1},
		{"noon OR mat", 2},
		{"-report", 1},
		{"-from:bob", 2},
		{"report -re", 1},
		{"in:inbox", 2},
		{"in:sent", 1},
		{"in:home/Sent", 1},
		{"in:work/INBOX", 1},
		{"account:work", 1},
		{"is:unread", 1},
		{"is:read", 2},
		{"is:flagged", 1},
		{"is:unflagged", 2},
		{"after:2006-01-03", 2},
		{"before:2006-01-03", 1},
		{"after:2006-01-01 before:2007", 2},
		{"after:2010", 1},
		{"id:" + ids[0].String(), 1},
		{"id:" + ids[0].String()[:10], 1},
		{"(report OR lunch) -in:sent", 2},
		{"subject:(quarterly OR lunch)", 3},
		{"&", 0},
		{"report &", 2},
		{"-&", 0},
		{"larger:1 smaller:10M", 3},
		{"*", 3},
		{"* report", 2},
		{"-*", 0},
		{"quart*", 2},
		{"QUART*", 2},
		{"subject:quart*", 2},
		{"body:quart*", 0},
		{"numb*", 1},
		{"number*", 1}, // numbers
		{"numbers*", 1},
		{"numbersx*", 0},
		{"from:ali*", 1},
		{"from:alice.smi*", 1}, // not the whole address: words
		{"to:ali* -quart*", 1},
		{"at*", 2}, // attached, and at: not sat or mat
		{"lunch* OR noo*", 1},
	} {
		if got := count(t, x, c.q); got != c.want {
			t.Errorf("Search(%q).Total = %d, want %d", c.q, got, c.want)
		}
	}

	r := find(t, x, Request{Query: "cat"})
	if len(r.Hits) != 2 || r.Hits[0].Subject != "Re: Quarterly report" {
		t.Fatalf("Search(cat) hits = %+v, want newest first", r.Hits)
	}
	h := r.Hits[1]
	if h.ID != ids[0].String() || h.From != "Alice Smith <alice.smith@example.com>" || len(h.Mailboxes) != 1 || h.Mailboxes[0] != "home/INBOX" {
		t.Errorf("hit = %+v", h)
	}
	if !strings.Contains(h.Snippet, "big cat") || len(h.Highlights) != 1 || h.Snippet[h.Highlights[0][0]:h.Highlights[0][1]] != "cat" {
		t.Errorf("snippet = %q %v", h.Snippet, h.Highlights)
	}
	r = find(t, x, Request{Query: "cat", Sort: "date"})
	if r.Hits[0].ID != ids[0].String() {
		t.Errorf("Sort date: first = %s, want the oldest", r.Hits[0].Subject)
	}
	r = find(t, x, Request{Query: "", Facets: true})
	b, _ := json.Marshal(r.Facets)
	if want := `{"years":[{"value":"2012","count":1},{"value":"2006","count":2}],"mailboxes":[{"value":"home/INBOX","count":1},{"value":"home/Sent","count":1},{"value":"work/INBOX","count":1}],"senders":[{"value":"alice.smith@example.com","count":1},{"value":"bob@example.org","count":1},{"value":"carol@example.net","count":1}]}`; string(b) != want {
		t.Errorf("facets = %s\nwant %s", b, want)
	}
	if _, err := x.Search(context.Background(), Request{Query: `"open`}); err == nil || err.Error() != "query: unclosed quote at column 1" {
		t.Errorf("Search(unclosed) err = %v", err)
	}
}

func TestSnippets(t *testing.T) {
	a := newTestArchive(t)
	long := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 40) + "The Δοκιμή word is here, far in.\n" + strings.Repeat("More filler text follows. ", 20)
	addMails(t, a,
		testMail{raw: mail("x@example.com", "y@example.com", "far", "Mon, 02 Jan 2006 15:04:05 +0000", long)},
		testMail{raw: mail("x@example.com", "y@example.com", "subjectonly", "Tue, 03 Jan 2006 15:04:05 +0000", "Short body.")},
		testMail{raw: mail("x@example.com", "y@example.com", "東京", "Wed, 04 Jan 2006 15:04:05 +0000", "今日は東京都に行きました。")},
	)
	x := openTestIndex(t, a, Options{})
	for _, c := range []struct {
		q, want, mark string
	}{
		{"δοκιμη", "…", "Δοκιμή"},
		{`"far in"`, "far in", "far"},
		{"subjectonly", "Short body.", ""},
		{"from:x@example.com subject:far", "Lorem ipsum", ""},
		{"京都", "東京都", "京都"},
		{"δοκι*", "…", "Δοκιμή"},
		{"subjecto*", "Short body.", ""},
	} {
		r := find(t, x, Request{Query: c.q})
		if r.Total != 1 {
			t.Errorf("Search(%q) = %d hits", c.q, r.Total)
			continue
		}
		h := r.Hits[0]
		if !strings.Contains(h.Snippet, c.want) || len([]rune(h.Snippet)) > snippetLen+2 {
			t.Errorf("Search(%q) snippet = %q, want it to contain %q", c.q, h.Snippet, c.want)
		}
		if c.mark == "" {
			if len(h.Highlights) != 0 {
				t.Errorf("Search(%q) highlights %v, want none", c.q, h.Highlights)
			}
			continue
		}
		if len(h.Highlights) == 0 || h.Snippet[h.Highlights[0][0]:h.Highlights[0][1]] != c.mark {
			t.Errorf("Search(%q) snippet %q highlights %v, want %q marked", c.q, h.Snippet, h.Highlights, c.mark)
		}
		// Without snippets: the same hit, nothing read for it.
		r2 := find(t, x, Request{Query: c.q, NoSnippets: true})
		if r2.Total != 1 || r2.Hits[0].ID != h.ID || r2.Hits[0].Snippet != "" || r2.Hits[0].Highlights != nil {
			t.Errorf("Search(%q, NoSnippets) = %+v, want the same hit without snippet", c.q, r2.Hits)
		}
	}
}

// TestSnippetSkipsRead: a message whose body the index says cannot match
// (the word is in its subject only) is not read for its snippet, which is
// then the beginning of the stored preview, as reading it would give. Its
// object is removed to prove it: a read would fail and leave the whole
// stored preview as the snippet.
func TestSnippetSkipsRead(t *testing.T) {
	a := newTestArchive(t)
	long := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 40)
	ids := addMails(t, a,
		testMail{raw: mail("x@example.com", "y@example.com", "Budgetreview", "Mon, 02 Jan 2006 15:04:05 +0000", long)},
		testMail{raw: mail("x@example.com", "y@example.com", "other", "Tue, 03 Jan 2006 15:04:05 +0000", long+" budgetreview at the end")},
	)
	x := openTestIndex(t, a, Options{})
	for _, id := range ids {
		h := id.String()
		if err := os.Remove(filepath.Join(a.Dir(), "objects", h[:2], h[2:4], h)); err != nil {
			t.Fatal(err)
		}
	}
	r := find(t, x, Request{Query: "budgetreview"})
	if r.Total != 2 {
		t.Fatalf("Search(budgetreview) = %d hits, want 2", r.Total)
	}
	for _, h := range r.Hits {
		short := len([]rune(h.Snippet)) <= snippetLen+2 && strings.HasPrefix(h.Snippet, "Lorem ipsum") && strings.HasSuffix(h.Snippet, "…")
		switch h.Subject {
		case "Budgetreview": // not read
			if !short || len(h.Highlights) != 0 {
				t.Errorf("subject-only match: snippet %q (%d characters), highlights %v; want the preview's beginning, unmarked", h.Snippet, len([]rune(h.Snippet)), h.Highlights)
			}
		case "other": // read, and its object is gone: the stored preview
			if short {
				t.Errorf("body match: snippet %q: the message was not read", h.Snippet)
			}
		}
	}
}

func TestConversation(t *testing.T) {
	a := newTestArchive(t)
	msg := func(mid, date, refs string) testMail {
		h := "From: a@example.com\r\nSubject: s\r\nDate: " + date + "\r\nMessage-ID: <" + mid + ">\r\n"
		if refs != "" {
			h += "References: " + refs + "\r\n"
		}
		return testMail{raw: h + "\r\nbody\r\n"}
	}
	ids := addMails(t, a,
		msg("root@x", "Mon, 02 Jan 2006 10:00:00 +0000", ""),
		msg("child@x", "Mon, 02 Jan 2006 11:00:00 +0000", "<root@x>"),
		msg("grandchild@x", "Mon, 02 Jan 2006 12:00:00 +0000", "<root@x> <child@x>"),
		msg("stranger@x", "Mon, 02 Jan 2006 09:00:00 +0000", "<elsewhere@x>"),
	)
	x := openTestIndex(t, a, Options{})
	for _, c := range []struct {
		mids []string
		want []int
	}{
		{[]string{"root@x"}, []int{0, 1, 2}},
		{[]string{"<child@x>"}, []int{1, 2}},
		{[]string{"grandchild@x", "root@x", "child@x"}, []int{0, 1, 2}},
		{[]string{"elsewhere@x"}, []int{3}},
		{[]string{"nobody@x", ""}, nil},
	} {
		hits, err := x.Conversation(context.Background(), c.mids, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, h := range hits {
			for i, id := range ids {
				if h.ID == id.String() {
					got = append(got, i)
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Conversation(%q) = messages %v, want %v (oldest first)", c.mids, got, c.want)
		}
	}
}

func TestFirstMatch(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
		at   int // byte offset, -1 for none
	}{
		{"a quick Report, quarterly", []string{"report"}, 8},
		{"reporter report", []string{"report"}, 9},
		{"Rapport, REPORT.", []string{"report"}, 9},
		{"über Éclair", []string{"eclair"}, 6},
		{"x Über", []string{"uber"}, 2},
		{"ο ΔΙΑΒΑΣΜΕΝΟ", []string{"διαβασμενο"}, 3},
		{"is straße here", []string{"strasse"}, 3},
		{"2019 report_2019", []string{"2019"}, 0},
		{"今日は東京都に", []string{"京都"}, 12},
		{"東京 and report", []string{"report", "東京"}, 0},
		{"nothing here", []string{"report"}, -1},
		{"only 東京", []string{"京都"}, -1},
		{"a quick Reporter", []string{"report*"}, 8},
		{"rapport Reportage", []string{"xyz", "report*"}, 8},
		{"re report", []string{"rep*"}, 3},
		{"ο ΔΙΑΒΑΣΜΕΝΟ", []string{"διαβ*"}, 3},
		{"Übersicht", []string{"uber*"}, 0},
		{"今日は東京都に", []string{"京都*"}, 12}, // a bigram is a whole token
		{"nothing here", []string{"here*", "not*"}, 0},
		{"reporter", []string{"reporters*"}, -1},
	} {
		w := newWords([][]string{c.want})
		if got := firstMatch(c.text, &w); got != c.at {
			t.Errorf("firstMatch(%q, %v) = %d, want %d", c.text, c.want, got, c.at)
		}
	}
}

// TestMatchRanges: the words a snippet highlights, found by scanning, are
// the ones the analyzer finds, in every script, for words, prefixes,
// numbers and ideograph bigrams.
func TestMatchRanges(t *testing.T) {
	an := newTextAnalyzer(false)
	texts := []string{
		"A quick Report, quarterly: the report_2019.pdf is at alice.smith@example.com.",
		"Ο ΔΙΑΒΑΣΜΕΝΟΣ φάκελος, διαβασμένο μήνυμα; διαβασμενο!",
		"Die Straße, STRASSE und strasse. Grüße aus Köln, 3,14 und 1'000 Euro (v1.2).",
		"今日は東京都に行きました。東京、京都と東京都。信息信息。",
		"Привет, ПРИВЕТ мир! Ещё раз: привет.",
		"mixed 東京abc report東京 3.14.15 done",
	}
	wants := [][]string{
		{"report"}, {"report*"}, {"quart*", "alice"}, {"2019", "pdf"},
		{"διαβασμενο"}, {"διαβασμεν*"}, {"φακελ*", "μηνυμα"},
		{"strasse"}, {"grusse", "koln"}, {"3,14", "1'000", "euro"}, {"v1"},
		{"東京"}, {"京都", "信息"}, {"東京*"},
		{"привет"}, {"прив*", "еще"}, {"3.14.15", "abc", "done"},
	}
	for _, text := range texts {
		for _, w := range wants {
			want := newWords([][]string{w})
			var ref [][2]int
			for _, tok := range an.Analyze([]byte(text)) {
				if want.match(tok.Term) {
					ref = append(ref, [2]int{tok.Start, tok.End})
				}
			}
			got := mergeRanges(matchRanges(text, &want))
			ref = mergeRanges(ref)
			if fmt.Sprint(got) != fmt.Sprint(ref) {
				t.Errorf("matchRanges(%q, %v) = %v, the analyzer gives %v", text, w, got, ref)
			}
		}
	}
}
