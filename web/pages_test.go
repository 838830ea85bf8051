package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/index"
)

func TestHighlight(t *testing.T) {
	cases := []struct {
		snippet string
		ranges  [][2]int
		want    template.HTML
	}{
		{"hello world", [][2]int{{6, 11}}, "hello <mark>world</mark>"},
		{"<b>a</b> & b", [][2]int{{3, 4}}, "&lt;b&gt;<mark>a</mark>&lt;/b&gt; &amp; b"},
		{"καλημέρα κόσμε", [][2]int{{0, 16}}, "<mark>καλημέρα</mark> κόσμε"},
		{"καλημέρα", [][2]int{{1, 4}}, "καλημέρα"},                                       // not on a character boundary
		{"abc", [][2]int{{2, 1}, {0, 9}, {-1, 2}}, "abc"},                                // backwards, beyond, negative
		{"abcdef", [][2]int{{0, 2}, {1, 3}, {4, 6}}, "<mark>ab</mark>cd<mark>ef</mark>"}, // overlapping
		{"", nil, ""},
	}
	for _, c := range cases {
		if got := highlight(c.snippet, c.ranges); got != c.want {
			t.Errorf("highlight(%q, %v) = %q, want %q", c.snippet, c.ranges, got, c.want)
		}
	}
}

func TestRenderText(t *testing.T) {
	got := renderText("Hi <you> & see https://example.com/a?b=1&c=2.\n> quoted https://x.example/\nend")
	want := template.HTML(`Hi &lt;you&gt; &amp; see <a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">https://example.com/a?b=1&amp;c=2</a>.` + "\n" +
		`<span class="quote">&gt; quoted <a href="https://x.example/" rel="noopener noreferrer" target="_blank">https://x.example/</a></span>` + "\nend")
	if got != want {
		t.Errorf("renderText:\n got %s\nwant %s", got, want)
	}
	if got := renderText(`javascript:alert(1) "><script>`); strings.Contains(string(got), "<script") || strings.Contains(string(got), "href") {
		t.Errorf("renderText of hostile text: %s", got)
	}
}

func TestSearchPage(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	body := do(t, s, "GET", "/?q=συνάντηση").Body.String()
	if !strings.Contains(body, "<mark>συνάντηση</mark>") && !strings.Contains(body, "<mark>Συνάντηση</mark>") {
		t.Errorf("search page: no highlighted term")
	}
	for _, want := range []string{`class="count"`, "Newest", "Oldest", "Relevance", `class="chip"`, "Years", "Mailboxes", "Senders", `value="συνάντηση"`} {
		if !strings.Contains(body, want) {
			t.Errorf("search page lacks %q", want)
		}
	}
	// Facet links refine the query.
	if !strings.Contains(body, `href="/?q=`+attrQuery("συνάντηση after:2026-01-01 before:2027-01-01")) {
		t.Errorf("search page: no year facet link that refines the query")
	}
	if !strings.Contains(body, attrQuery(`συνάντηση in:"home/INBOX"`)) {
		t.Errorf("search page: no mailbox facet link")
	}
	// An active facet removes itself.
	active := do(t, s, "GET", "/?q="+url.QueryEscape(`συνάντηση in:"home/INBOX"`)).Body.String()
	if !strings.Contains(active, `class="active"`) || !strings.Contains(active, `href="/?q=`+attrQuery("συνάντηση")+`" class="active"`) {
		t.Errorf("search page: an active facet does not link to the query without it")
	}

	// Empty state: recent mail and the syntax help.
	empty := do(t, s, "GET", "/").Body.String()
	if !strings.Contains(empty, "Recent mail") || !strings.Contains(empty, "Searching") || strings.Count(empty, `class="hit"`) != 15 {
		t.Errorf("empty search: no recent mail or help (%d hits)", strings.Count(empty, `class="hit"`))
	}

	// No results: suggestions to drop each filter.
	none := do(t, s, "GET", "/?q="+url.QueryEscape("mountain from:nobody@nowhere.example after:2020-01-01")).Body.String()
	if !strings.Contains(none, "Nothing found") || !strings.Contains(none, "without from:nobody@nowhere.example") ||
		!strings.Contains(none, `href="/?q=`+attrQuery("mountain after:2020-01-01")+`"`) {
		t.Errorf("no results: no useful suggestions: %s", none)
	}

	// A syntax error shows the parser's message and where.
	bad := do(t, s, "GET", "/?q="+url.QueryEscape(`budget from:"unclosed`))
	if bad.Code != 400 || !strings.Contains(bad.Body.String(), "unclosed quote") || !strings.Contains(bad.Body.String(), "column 13") ||
		!strings.Contains(bad.Body.String(), `budget from:<mark>&#34;</mark>unclosed`) {
		t.Errorf("syntax error page: %d %s", bad.Code, bad.Body)
	}

	// Pagination and sort keep each other.
	all := do(t, s, "GET", "/?q=the&sort=date&page=2").Body.String()
	for _, want := range []string{`rel="prev"`, `rel="next"`, `aria-current="page">2<`, `href="/?page=3&amp;q=the&amp;sort=date"`} {
		if !strings.Contains(all, want) {
			t.Errorf("page 2 lacks %s", want)
		}
	}
	// Hits link to the message with the search, for "back".
	if !regexp.MustCompile(`href="/message/[0-9a-f]{64}\?page=2&amp;q=the&amp;sort=date"`).MatchString(all) {
		t.Errorf("hits do not carry the search to the message page")
	}
	// Hostile subject and sender are escaped on the results.
	hostile := do(t, s, "GET", "/?q=hostile").Body.String()
	if strings.Contains(hostile, "<script>window") || strings.Contains(hostile, "<img src=x") {
		t.Errorf("search page: hostile subject or sender not escaped")
	}
	// A deep page is bounded.
	deep := do(t, s, "GET", "/?q=the&page=999999")
	if deep.Code != 200 {
		t.Errorf("deep page: %d", deep.Code)
	}
}

func TestAPISearchMatchesCLI(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	for _, q := range []string{"trip", "συνάντηση", "", "has:attachment"} {
		rec := do(t, s, "GET", "/api/search?limit=7&offset=1&sort=date&q="+url.QueryEscape(q))
		res, err := f.idx.Search(t.Context(), index.Request{Query: q, Limit: 7, Offset: 1, Sort: "date"})
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		json.NewEncoder(&want).Encode(res) // what "search --json" prints
		if rec.Body.String() != want.String() {
			t.Errorf("/api/search?q=%s:\n got %s\nwant %s", q, rec.Body, want.String())
		}
	}
	var e apiError
	rec := do(t, s, "GET", "/api/search?q="+url.QueryEscape("a OR"))
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || rec.Code != 400 || e.Position == 0 || !strings.Contains(e.Error, "column") {
		t.Errorf("/api/search syntax error: %d %s", rec.Code, rec.Body)
	}
	var d index.Detail
	rec = do(t, s, "GET", "/api/message/"+f.ids["cjk"].String())
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || d.Subject != "会议报告 和 预算" || d.ID != f.ids["cjk"].String() {
		t.Errorf("/api/message: %v %+v", err, d)
	}
}

func TestStatus(t *testing.T) {
	f := getFixture(t)
	r := &fakeRunner{}
	s := newServer(t, f, func(o *Options) { o.Runner = r })
	var st status
	if err := json.Unmarshal(do(t, s, "GET", "/api/status").Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Archive.Messages != int64(fixtureGenerated+len(handcrafted())) || st.Archive.Indexed != int(st.Archive.Messages) || st.Archive.BytesRaw == 0 {
		t.Errorf("archive: %+v", st.Archive)
	}
	if !st.Stale || !st.CanFetch || st.Running || st.NextRun == nil || st.Schedule != "0 3 * * *" || st.StaleAfter != 72*3600 {
		t.Errorf("status: stale %v can_fetch %v running %v next %v schedule %q", st.Stale, st.CanFetch, st.Running, st.NextRun, st.Schedule)
	}
	if st.LastRun == nil || st.LastRun.OK || st.LastRun.State != "failed" || len(st.Runs) != 2 {
		t.Errorf("last run: %+v (%d runs)", st.LastRun, len(st.Runs))
	}
	if len(st.Accounts) != 2 {
		t.Fatalf("accounts: %+v", st.Accounts)
	}
	home, old := st.Accounts[0], st.Accounts[1]
	if home.Name != "home" || !home.LastRunOK || home.Stale || home.Protocol != "imap" {
		t.Errorf("home: %+v", home)
	}
	var inbox *mailboxStatus
	for i := range home.Mailboxes {
		if home.Mailboxes[i].Mailbox == "INBOX" {
			inbox = &home.Mailboxes[i]
		}
	}
	if inbox == nil || inbox.OnServer == nil || *inbox.OnServer != 160 || *inbox.ArchivedOfServer != 158 || len(inbox.Failed) != 2 || inbox.Messages == 0 || inbox.Gone != 1 {
		t.Errorf("home/INBOX: %+v", inbox)
	}
	wantSuccess := time.Date(2026, 3, 10, 3, 1, 0, 0, time.UTC)
	if old.Name != "old-isp" || old.LastRunOK || !old.Stale || !old.Permanent || old.Error == "" || old.LastSuccess == nil || !old.LastSuccess.Equal(wantSuccess) {
		t.Errorf("old-isp: %+v", old)
	}
	page := do(t, s, "GET", "/status").Body.String()
	for _, want := range []string{"The archive is out of date", "Fetch now", "authentication failed: &lt;b&gt;bad password&lt;/b&gt;", "2 failed", "connection reset", "158 of 160", "renumbered", `class="account stale failed"`} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	// Fresh runs: not stale.
	fresh := newServer(t, f, func(o *Options) {
		o.Now = func() time.Time { return wantSuccess.Add(time.Hour) }
		o.Accounts = o.Accounts[:1]
	})
	if err := json.Unmarshal(do(t, fresh, "GET", "/api/status").Body.Bytes(), &st); err != nil || st.Stale {
		t.Errorf("status an hour after a successful run: stale %v (%v)", st.Stale, err)
	}
	// While running: no button, the progress instead.
	r.FetchNow()
	page = do(t, s, "GET", "/status").Body.String()
	if strings.Contains(page, `id="fetch-now"`) || !strings.Contains(page, "Fetching now") || !strings.Contains(page, "home/INBOX 3 of 10") {
		t.Errorf("status page while running: no progress")
	}
}

// TestThread: a conversation is found by Message-ID, whatever the
// subject: a reply that only names its parent in In-Reply-To and has a
// new subject belongs to it; a message of the same subject that names
// none of it does not.
func TestThread(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	order := []string{"thread-root", "thread-reply", "thread-reply2", "thread-offtopic"}
	for _, name := range order {
		body := do(t, s, "GET", "/message/"+f.ids[name].String()).Body.String()
		i := strings.Index(body, `class="thread"`)
		if i < 0 {
			t.Errorf("%s: no thread", name)
			continue
		}
		thread := body[i:]
		thread = thread[:strings.Index(thread, "</section>")]
		if n := strings.Count(thread, "<li"); n != len(order) {
			t.Errorf("%s: thread of %d, want %d", name, n, len(order))
		}
		last := -1
		for _, m := range order {
			if m == name {
				continue // the current message is not a link
			}
			at := strings.Index(thread, f.ids[m].String())
			if at < last {
				t.Errorf("%s: thread not in date order (%s at %d)", name, m, at)
			}
			last = at
		}
		if strings.Contains(thread, f.ids["thread-lookalike"].String()) {
			t.Errorf("%s: thread holds a message of the same subject that is not part of it", name)
		}
		if !strings.Contains(thread, `class="current" aria-current="true"`) {
			t.Errorf("%s: current message not marked", name)
		}
	}
	for _, name := range []string{"greek", "thread-lookalike"} {
		if body := do(t, s, "GET", "/message/"+f.ids[name].String()).Body.String(); strings.Contains(body, `class="thread"`) {
			t.Errorf("%s: a message alone shows a thread", name)
		}
	}
}

func TestThreadSubject(t *testing.T) {
	cases := map[string]string{
		"Re: Re: Plans":           "Plans",
		"AW: Fwd: Termin":         "Termin",
		"Σχετ: Απάντηση":          "Απάντηση",
		"回复：会议":                   "会议",
		`Re: "quoted" (parens)`:   "quoted parens",
		"":                        "",
		strings.Repeat("x ", 150): "",
	}
	for in, want := range cases {
		if got := threadSubject(in); got != want {
			t.Errorf("threadSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPageWeight keeps the search page (HTML, CSS and JS, uncompressed)
// under 100 KB.
func TestPageWeight(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	html := do(t, s, "GET", "/?q=the").Body.Len()
	css := do(t, s, "GET", "/static/style.css").Body.Len()
	js := do(t, s, "GET", "/static/app.js").Body.Len()
	icon := do(t, s, "GET", "/static/icon.svg").Body.Len()
	total := html + css + js + icon
	t.Logf("search page weight: %d bytes (HTML %d, CSS %d, JS %d, icon %d)", total, html, css, js, icon)
	if total > 100<<10 {
		t.Errorf("search page weighs %d bytes, want under 100 KB", total)
	}
}

// attrQuery is a query as html/template writes it in a URL attribute.
func attrQuery(q string) string {
	return strings.NewReplacer("&", "&amp;", "+", "&#43;").Replace(url.QueryEscape(q))
}

func TestMessagePage(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	body := do(t, s, "GET", "/message/"+f.ids["greek"].String()+"?q="+url.QueryEscape("συνάντηση")+"&sort=date").Body.String()
	for _, want := range []string{
		"<h1 class=\"msg-subject\">Συνάντηση της δευτέρας</h1>",
		"<b>Γιώργος Παπαδόπουλος</b>",
		"Mon, 2 Mar 2026 07:30 UTC",
		`>superseded</span>`,
		"gone from server since 13 Mar",
		`<a href="https://example.gr/πρόγραμμα" rel="noopener noreferrer" target="_blank">`,
		`<span class="quote">&gt; Παλιό μήνυμα σε παράθεση</span>`,
		`id="back" href="/?q=` + attrQuery("συνάντηση") + `&amp;sort=date"`,
		`href="/message/` + f.ids["greek"].String() + `/raw" download`,
		`href="/message/` + f.ids["greek"].String() + `/raw?view=1"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("greek message page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="show-html"`) || strings.Contains(body, "<iframe") {
		t.Errorf("a text-only message offers an HTML view")
	}
	cyr := do(t, s, "GET", "/message/"+f.ids["cyrillic"].String()).Body.String()
	if !strings.Contains(cyr, "Здравейте, срещата за бюджета е в четвъртък.") || !strings.Contains(cyr, "<b>Иван Петров</b>") {
		t.Errorf("windows-1251 message not decoded")
	}
	// The HTML view is off by default, and remote images stay blocked
	// until asked for.
	hostile := do(t, s, "GET", "/message/"+f.ids["hostile"].String()).Body.String()
	if strings.Contains(hostile, "<iframe") || !strings.Contains(hostile, `id="show-html"`) {
		t.Errorf("hostile message: HTML shown by default, or no way to show it")
	}
	remote := do(t, s, "GET", "/message/"+f.ids["hostile"].String()+"?view=html&remote=1").Body.String()
	if !strings.Contains(remote, `/html?remote=1"`) || !strings.Contains(remote, "Block them again") {
		t.Errorf("remote view does not load the frame with remote images")
	}
}
