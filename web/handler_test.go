package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mailkeep/mailkeep/index"
)

// checkSecurityHeaders asserts what every response carries.
func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if csp == "" {
		t.Errorf("%s: no Content-Security-Policy", what)
	}
	if strings.Contains(csp, "script-src") && strings.Contains(csp, "unsafe-inline") && strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("%s: CSP allows inline script: %s", what, csp)
	}
	if !strings.Contains(csp, "frame-ancestors 'none'") && !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("%s: CSP without frame-ancestors: %s", what, csp)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", what, got)
	}
	if got := h.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("%s: Referrer-Policy = %q, want no-referrer", what, got)
	}
	if h.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", what)
	}
}

func TestRoutes(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	greek := f.ids["greek"].String()
	hostile := f.ids["hostile"].String()
	unknown := strings.Repeat("ab", 32)
	cases := []struct {
		name, method, path string
		status             int
		ctype              string // prefix
		csp                string // exact, "" for pageCSP
	}{
		{"search empty", "GET", "/", 200, "text/html; charset=utf-8", ""},
		{"search", "GET", "/?q=trip&sort=relevance&page=1", 200, "text/html; charset=utf-8", ""},
		{"search bad page and sort", "GET", "/?q=trip&page=abc&sort=nonsense", 200, "text/html; charset=utf-8", ""},
		{"search syntax error", "GET", "/?q=" + url.QueryEscape(`from:"unclosed`), 400, "text/html; charset=utf-8", ""},
		{"search too long", "GET", "/?q=" + strings.Repeat("a", maxQueryLen+1), 400, "text/html; charset=utf-8", ""},
		{"message", "GET", "/message/" + greek, 200, "text/html; charset=utf-8", ""},
		{"message html view", "GET", "/message/" + hostile + "?view=html&q=x&page=2", 200, "text/html; charset=utf-8", ""},
		{"message remote view", "GET", "/message/" + hostile + "?view=html&remote=1", 200, "text/html; charset=utf-8", ""},
		{"message bad id", "GET", "/message/zzz", 404, "text/html; charset=utf-8", ""},
		{"message unknown id", "GET", "/message/" + unknown, 404, "text/html; charset=utf-8", ""},
		{"html", "GET", "/message/" + hostile + "/html", 200, "text/html; charset=utf-8", htmlCSP},
		{"html remote", "GET", "/message/" + hostile + "/html?remote=1", 200, "text/html; charset=utf-8", htmlCSPRemote},
		{"html unknown", "GET", "/message/" + unknown + "/html", 404, "text/html; charset=utf-8", ""},
		{"raw", "GET", "/message/" + greek + "/raw", 200, "message/rfc822", downloadCSP},
		{"raw view", "GET", "/message/" + greek + "/raw?view=1", 200, "text/plain; charset=utf-8", downloadCSP},
		{"raw unknown", "GET", "/message/" + unknown + "/raw", 404, "text/html; charset=utf-8", ""},
		{"part image", "GET", "/message/" + hostile + "/part/2", 200, "image/png", downloadCSP},
		{"part svg", "GET", "/message/" + hostile + "/part/3", 200, "image/svg+xml", downloadCSP},
		{"part missing", "GET", "/message/" + hostile + "/part/9", 404, "text/html; charset=utf-8", ""},
		{"part bad path", "GET", "/message/" + hostile + "/part/0", 404, "text/html; charset=utf-8", ""},
		{"part bad path 2", "GET", "/message/" + hostile + "/part/1.x", 404, "text/html; charset=utf-8", ""},
		{"status", "GET", "/status", 200, "text/html; charset=utf-8", ""},
		{"status notice", "GET", "/status?fetch=running", 200, "text/html; charset=utf-8", ""},
		{"api search", "GET", "/api/search?q=trip&limit=2&offset=1&sort=date", 200, "application/json; charset=utf-8", ""},
		{"api search syntax", "GET", "/api/search?q=" + url.QueryEscape("(a"), 400, "application/json; charset=utf-8", ""},
		{"api search limit", "GET", "/api/search?limit=5000", 400, "application/json; charset=utf-8", ""},
		{"api search offset", "GET", "/api/search?offset=-1", 400, "application/json; charset=utf-8", ""},
		{"api search sort", "GET", "/api/search?sort=size", 400, "application/json; charset=utf-8", ""},
		{"api message", "GET", "/api/message/" + greek, 200, "application/json; charset=utf-8", ""},
		{"api message unknown", "GET", "/api/message/" + unknown, 404, "application/json; charset=utf-8", ""},
		{"api status", "GET", "/api/status", 200, "application/json; charset=utf-8", ""},
		{"api fetch", "POST", "/api/fetch", 202, "application/json; charset=utf-8", ""},
		{"api fetch running", "POST", "/api/fetch", 409, "application/json; charset=utf-8", ""},
		{"fetch form", "POST", "/fetch", 303, "", ""},
		{"static css", "GET", "/static/style.css", 200, "text/css; charset=utf-8", ""},
		{"static js", "GET", "/static/app.js", 200, "text/javascript; charset=utf-8", ""},
		{"static missing", "GET", "/static/nope.js", 404, "text/html; charset=utf-8", ""},
		{"favicon", "GET", "/favicon.ico", 200, "image/svg+xml", ""},
		{"unknown page", "GET", "/nope", 404, "text/html; charset=utf-8", ""},
		{"api unknown", "GET", "/api/nope", 404, "application/json; charset=utf-8", ""},
		{"wrong method", "DELETE", "/status", 405, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := do(t, s, c.method, c.path)
			if rec.Code != c.status {
				t.Errorf("%s %s: status %d, want %d; body: %.300s", c.method, c.path, rec.Code, c.status, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, c.ctype) {
				t.Errorf("%s %s: Content-Type %q, want %q", c.method, c.path, got, c.ctype)
			}
			checkSecurityHeaders(t, c.method+" "+c.path, rec.Header())
			want := c.csp
			if want == "" {
				want = pageCSP
			}
			if got := rec.Header().Get("Content-Security-Policy"); got != want {
				t.Errorf("%s %s: CSP %q, want %q", c.method, c.path, got, want)
			}
			if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") && rec.Code != 421 {
				if !strings.Contains(rec.Body.String(), "<meta charset=\"utf-8\">") {
					t.Errorf("%s %s: HTML without <meta charset>", c.method, c.path)
				}
			}
		})
	}
}

func TestHostCheck(t *testing.T) {
	f := getFixture(t)
	def := newServer(t, f, nil)
	listen := newServer(t, f, func(o *Options) { o.Listen = "127.0.0.1:8025" })
	explicit := newServer(t, f, func(o *Options) { o.AllowedHosts = []string{"mail.home.arpa:8443"} })
	cases := []struct {
		name string
		h    http.Handler
		host string
		want int
	}{
		{"default loopback", def, "127.0.0.1:1234", 200},
		{"default localhost", def, "localhost:8025", 200},
		{"default ipv6", def, "[::1]:8025", 200},
		{"default rebinding", def, "evil.example:8025", 421},
		{"default lan", def, "192.168.1.10:8025", 421},
		{"listen port", listen, "127.0.0.1:8025", 200},
		{"listen localhost upper", listen, "LocalHost:8025", 200},
		{"listen other port", listen, "127.0.0.1:9999", 421},
		{"listen rebinding", listen, "attacker.example:8025", 421},
		{"listen no port", listen, "localhost", 421},
		{"explicit", explicit, "mail.home.arpa:8443", 200},
		{"explicit loopback not listed", explicit, "127.0.0.1:8443", 421},
	}
	for _, c := range cases {
		rec := do(t, c.h, "GET", "/status", "Host", c.host)
		if rec.Code != c.want {
			t.Errorf("%s: Host %s: status %d, want %d", c.name, c.host, rec.Code, c.want)
		}
		checkSecurityHeaders(t, c.name, rec.Header())
	}
}

func TestHostsFor(t *testing.T) {
	hosts, err := HostsFor("127.0.0.1:8025")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1:8025", "localhost:8025", "[::1]:8025"}
	if strings.Join(hosts, " ") != strings.Join(want, " ") {
		t.Errorf("HostsFor(127.0.0.1:8025) = %v, want %v", hosts, want)
	}
	hosts, _ = HostsFor("192.168.1.5:80")
	if !contains(hosts, "192.168.1.5:80") || !contains(hosts, "localhost:80") {
		t.Errorf("HostsFor(192.168.1.5:80) = %v", hosts)
	}
	if _, err := HostsFor("nonsense"); err == nil {
		t.Errorf("HostsFor(nonsense): no error")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestCheckListen(t *testing.T) {
	cases := []struct {
		addr   string
		pw, ok bool
	}{
		{"127.0.0.1:8025", false, true},
		{"localhost:8025", false, true},
		{"[::1]:8025", false, true},
		{"127.0.0.2:8025", false, true},
		{"0.0.0.0:8025", false, false},
		{":8025", false, false},
		{"[::]:8025", false, false},
		{"192.168.1.5:8025", false, false},
		{"192.168.1.5:8025", true, true},
		{":8025", true, true},
		{"nonsense", true, false},
	}
	for _, c := range cases {
		err := CheckListen(c.addr, c.pw)
		if (err == nil) != c.ok {
			t.Errorf("CheckListen(%q, %v) = %v, want ok %v", c.addr, c.pw, err, c.ok)
		}
	}
}

func TestCrossOriginPost(t *testing.T) {
	f := getFixture(t)
	r := &fakeRunner{}
	s := newServer(t, f, func(o *Options) { o.Runner = r })
	for _, path := range []string{"/api/fetch", "/fetch"} {
		for _, hdr := range [][]string{
			{"Origin", "http://evil.example"},
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site", "Origin", "http://other.127.0.0.1.nip.io:8025"},
		} {
			rec := do(t, s, "POST", path, hdr...)
			if rec.Code != http.StatusForbidden {
				t.Errorf("POST %s with %v: status %d, want 403", path, hdr, rec.Code)
			}
			checkSecurityHeaders(t, "cross-origin POST", rec.Header())
		}
	}
	if r.calls != 0 {
		t.Errorf("cross-origin POSTs started %d runs", r.calls)
	}
	if rec := do(t, s, "POST", "/api/fetch", "Origin", "http://127.0.0.1:8025", "Sec-Fetch-Site", "same-origin"); rec.Code != http.StatusAccepted {
		t.Errorf("same-origin POST: status %d, want 202", rec.Code)
	}
	if rec := do(t, s, "POST", "/fetch", "Origin", "http://127.0.0.1:8025"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/status?fetch=running" {
		t.Errorf("same-origin POST /fetch while running: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	// A client that is not a browser (curl, the CLI) sends neither header.
	if rec := do(t, s, "POST", "/api/fetch"); rec.Code != http.StatusConflict {
		t.Errorf("POST without Origin while running: status %d, want 409", rec.Code)
	}
}

func TestFetchWithoutRunner(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, func(o *Options) { o.Runner = nil })
	if rec := do(t, s, "POST", "/api/fetch"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("POST /api/fetch without Runner: %d, want 503", rec.Code)
	}
	if rec := do(t, s, "POST", "/fetch"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("POST /fetch without Runner: %d, want 503", rec.Code)
	}
	rec := do(t, s, "GET", "/status")
	if strings.Contains(rec.Body.String(), "Fetch now") {
		t.Errorf("status page without Runner offers Fetch now")
	}
	var st status
	if err := json.Unmarshal(do(t, s, "GET", "/api/status").Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.CanFetch || st.NextRun != nil {
		t.Errorf("status without Runner: can_fetch %v, next_run %v", st.CanFetch, st.NextRun)
	}
	failing := newServer(t, f, func(o *Options) { o.Runner = &fakeRunner{err: errors.New("scheduler stopped")} })
	if rec := do(t, failing, "POST", "/fetch"); rec.Header().Get("Location") != "/status?fetch=failed" {
		t.Errorf("failed FetchNow: redirect to %q", rec.Header().Get("Location"))
	}
	if rec := do(t, failing, "POST", "/api/fetch"); rec.Code != 500 || strings.Contains(rec.Body.String(), "scheduler") {
		t.Errorf("failed FetchNow: API %d %s", rec.Code, rec.Body)
	}
}

func TestPassword(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, func(o *Options) { o.Password = "correct horse ☃" })
	auth := func(user, pw string) string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(user, pw)
		return req.Header.Get("Authorization")
	}
	for _, path := range []string{"/", "/status", "/api/search?q=x", "/static/style.css", "/message/" + f.ids["greek"].String() + "/raw"} {
		rec := do(t, s, "GET", path)
		if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Basic ") {
			t.Errorf("GET %s without password: %d %q", path, rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
		checkSecurityHeaders(t, "401", rec.Header())
		if rec := do(t, s, "GET", path, "Authorization", auth("me", "wrong")); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong password: %d", path, rec.Code)
		}
		if rec := do(t, s, "GET", path, "Authorization", auth("anyone", "correct horse ☃")); rec.Code != http.StatusOK {
			t.Errorf("GET %s with the password: %d", path, rec.Code)
		}
	}
	if rec := do(t, s, "POST", "/api/fetch"); rec.Code != http.StatusUnauthorized {
		t.Errorf("POST /api/fetch without password: %d", rec.Code)
	}
}

// failingSearcher fails every search with an error holding internal
// details, or panics.
type failingSearcher struct{ panic bool }

func (f failingSearcher) Search(context.Context, index.Request) (*index.Result, error) {
	if f.panic {
		panic("index exploded at /var/secret/index")
	}
	return nil, errors.New("read /var/secret/index/segment: input/output error")
}

func (f failingSearcher) Conversation(ctx context.Context, _ []string, _ int) ([]index.Hit, error) {
	_, err := f.Search(ctx, index.Request{})
	return nil, err
}

// syncBuffer is a log destination for tests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestInternalErrorsHidden(t *testing.T) {
	f := getFixture(t)
	for _, panics := range []bool{false, true} {
		var logs syncBuffer
		s := newServer(t, f, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
		s.idx = failingSearcher{panic: panics}
		for _, path := range []string{"/?q=x", "/api/search?q=x", "/message/" + f.ids["thread-reply"].String()} {
			rec := do(t, s, "GET", path)
			body := rec.Body.String()
			id := rec.Header().Get("X-Request-Id")
			if path == "/message/"+f.ids["thread-reply"].String() {
				// The thread is an extra: the page still works without it.
				if rec.Code != 200 && !panics {
					t.Errorf("GET %s with a failing index: %d, want 200", path, rec.Code)
				}
				continue
			}
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("GET %s (panic %v): status %d, want 500", path, panics, rec.Code)
			}
			if strings.Contains(body, "secret") || strings.Contains(body, "input/output") || strings.Contains(body, "exploded") {
				t.Errorf("GET %s: internal detail reaches the browser: %s", path, body)
			}
			if !strings.Contains(body, "Internal error") || id == "" || !strings.Contains(body, id) {
				t.Errorf("GET %s: body %q lacks \"Internal error\" and request id %s", path, body, id)
			}
			checkSecurityHeaders(t, path, rec.Header())
			if l := logs.String(); !strings.Contains(l, "request_id="+id) || !(strings.Contains(l, "input/output error") || strings.Contains(l, "exploded")) {
				t.Errorf("GET %s: the log lacks the error and request id: %s", path, l)
			}
		}
	}
}

func TestRawBytes(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	check := func(name string, id string, want []byte) {
		rec := do(t, s, "GET", "/message/"+id+"/raw")
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("%s: raw bytes differ from the archive (%d vs %d bytes)", name, rec.Body.Len(), len(want))
		}
		disp, params, err := mime.ParseMediaType(rec.Header().Get("Content-Disposition"))
		if err != nil || disp != "attachment" || !strings.HasSuffix(params["filename"], ".eml") || strings.ContainsAny(params["filename"], "/\\\r\n") {
			t.Errorf("%s: Content-Disposition %q", name, rec.Header().Get("Content-Disposition"))
		}
		if rec.Header().Get("Content-Length") != itoa(len(want)) {
			t.Errorf("%s: Content-Length %s, want %d", name, rec.Header().Get("Content-Length"), len(want))
		}
		view := do(t, s, "GET", "/message/"+id+"/raw?view=1")
		if !bytes.Equal(view.Body.Bytes(), want) {
			t.Errorf("%s: view source differs from the archive", name)
		}
		etag := rec.Header().Get("ETag")
		if again := do(t, s, "GET", "/message/"+id+"/raw", "If-None-Match", etag); again.Code != http.StatusNotModified {
			t.Errorf("%s: If-None-Match: %d, want 304", name, again.Code)
		}
	}
	for name, id := range f.ids {
		check(name, id.String(), f.raw[name])
	}
	for _, id := range f.gen[:20] {
		raw, err := f.arc.ReadAll(id)
		if err != nil {
			t.Fatal(err)
		}
		check(id.Short(), id.String(), raw)
	}
}

func itoa(n int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + jsonNum(n)) }

func jsonNum(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSafeFilename(t *testing.T) {
	cases := []struct{ in, want string }{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\cmd.exe`, "cmd.exe"},
		{"a\r\nb.txt", "ab.txt"},
		{`my "quoted" name.txt`, "my _quoted_ name.txt"},
		{"it's.txt", "it_s.txt"},
		{"Привет мир.pdf", "Привет мир.pdf"},
		{"报告.docx", "报告.docx"},
		{"\u202egnp.exe", "gnp.exe"},
		{"...hidden", "hidden"},
		{"name. . .", "name"},
		{"  spaced \t out  ", "spaced out"},
		{"con:tent*?.txt", "con_tent__.txt"},
		{"/", ""},
		{"..", ""},
		{"\x00\x01", ""},
		{"bad\xffutf8.txt", "bad_utf8.txt"},
		{strings.Repeat("я", 200) + ".pdf", strings.Repeat("я", 88) + ".pdf"},
	}
	for _, c := range cases {
		if got := safeFilename(c.in); got != c.want {
			t.Errorf("safeFilename(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	cases := []struct{ disp, name, want string }{
		{"attachment", "report.pdf", `attachment; filename="report.pdf"`},
		{"attachment", "Привет.pdf", `attachment; filename="______.pdf"; filename*=UTF-8''%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82.pdf`},
		{"inline", "50% off.png", `inline; filename="50_ off.png"; filename*=UTF-8''50%25%20off.png`},
		{"attachment", `a"b\c`, `attachment; filename="a_b_c"; filename*=UTF-8''a%22b%5Cc`},
	}
	for _, c := range cases {
		got := contentDisposition(c.disp, c.name)
		if got != c.want {
			t.Errorf("contentDisposition(%q, %q) = %s, want %s", c.disp, c.name, got, c.want)
		}
		if _, params, err := mime.ParseMediaType(got); err != nil || params["filename"] == "" {
			t.Errorf("contentDisposition(%q, %q) = %s: does not parse: %v", c.disp, c.name, got, err)
		}
	}
}

func TestAttachmentDownloads(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	id := f.ids["attachments"].String()
	cases := []struct {
		part, name, ctype, disp string
	}{
		{"2", "passwd", "text/plain", "attachment"},
		{"3", "a b.txt", "text/plain", "attachment"},
		{"4", `Привет _quoted_ 你好.pdf`, "application/pdf", "attachment"},
		{"5", "gnp.exe", "application/octet-stream", "attachment"},
		{"6", "x__ evil=1", "text/html; charset=utf-8", "attachment"},
	}
	for _, c := range cases {
		rec := do(t, s, "GET", "/message/"+id+"/part/"+c.part)
		if rec.Code != 200 {
			t.Errorf("part %s: status %d", c.part, rec.Code)
			continue
		}
		checkSecurityHeaders(t, "part "+c.part, rec.Header())
		h := rec.Header().Get("Content-Disposition")
		if strings.ContainsAny(h, "\r\n") || strings.Contains(h, "/") || strings.Contains(h, "..") {
			t.Errorf("part %s: unsafe Content-Disposition %q", c.part, h)
		}
		disp, params, err := mime.ParseMediaType(h)
		if err != nil {
			t.Errorf("part %s: Content-Disposition %q: %v", c.part, h, err)
			continue
		}
		if disp != c.disp {
			t.Errorf("part %s: disposition %s, want %s", c.part, disp, c.disp)
		}
		// mime decodes filename* into filename.
		if c.name != "" && params["filename"] != c.name {
			t.Errorf("part %s: filename %q, want %q", c.part, params["filename"], c.name)
		}
		if got := rec.Header().Get("Content-Type"); got != c.ctype {
			t.Errorf("part %s: Content-Type %q, want %q", c.part, got, c.ctype)
		}
	}
	// Of the hostile message: the PNG inline, SVG and HTML as downloads.
	hid := f.ids["hostile"].String()
	for part, want := range map[string]string{"2": "inline", "3": "attachment", "4": "attachment"} {
		rec := do(t, s, "GET", "/message/"+hid+"/part/"+part)
		if disp, _, _ := mime.ParseMediaType(rec.Header().Get("Content-Disposition")); disp != want {
			t.Errorf("hostile part %s: %s, want %s", part, disp, want)
		}
	}
	// The message page lists the attachments by their safe names.
	page := do(t, s, "GET", "/message/"+id).Body.String()
	for _, name := range []string{"passwd", "a b.txt", "Привет _quoted_ 你好.pdf", "gnp.exe", "x__ evil=1"} {
		if !strings.Contains(page, ">"+htmlEscape(name)+"<") {
			t.Errorf("message page does not list %q", name)
		}
	}
	if strings.Contains(page, "../") || strings.Contains(page, "\u202e") {
		t.Errorf("message page shows an unsafe attachment name")
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func TestHTMLRouteSanitized(t *testing.T) {
	f := getFixture(t)
	s := newServer(t, f, nil)
	id := f.ids["hostile"].String()
	for _, remote := range []bool{false, true} {
		path := "/message/" + id + "/html"
		want := htmlCSP
		if remote {
			path += "?remote=1"
			want = htmlCSPRemote
		}
		rec := do(t, s, "GET", path)
		if got := rec.Header().Get("Content-Security-Policy"); got != want {
			t.Errorf("%s: CSP %q, want %q", path, got, want)
		}
		for _, directive := range []string{"default-src 'none'", "frame-ancestors 'self'", "sandbox", "form-action 'none'", "base-uri 'none'"} {
			if !strings.Contains(want, directive) {
				t.Errorf("%s: CSP lacks %s", path, directive)
			}
		}
		if strings.Contains(want, "script-src") || strings.Contains(want, "allow-scripts") || strings.Contains(want, "allow-same-origin") {
			t.Errorf("%s: CSP allows script: %s", path, want)
		}
		if got := rec.Header().Get("X-Frame-Options"); got != "SAMEORIGIN" {
			t.Errorf("%s: X-Frame-Options %q", path, got)
		}
		body := strings.ToLower(rec.Body.String())
		for _, bad := range []string{"<script", "javascript:", "<meta http-equiv", "<base", "<link", "<form", "<iframe", "<object", "<embed", "<svg", "<math", "srcdoc", "expression(", "@import", "<video", "<audio"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: sanitized HTML holds %q", path, bad)
			}
		}
		if m := regexp.MustCompile(`\son[a-z]+\s*=`).FindString(body); m != "" {
			t.Errorf("%s: sanitized HTML holds an event handler %q", path, m)
		}
		if !remote && strings.Contains(body, "evil.example") {
			t.Errorf("%s: remote reference kept with remote images blocked", path)
		}
		if remote && !strings.Contains(body, "http://evil.example/table.png") {
			t.Errorf("%s: remote image removed with remote images allowed", path)
		}
		if !strings.Contains(body, `src="data:image/png;base64,`) {
			t.Errorf("%s: the cid: image is not inlined as data:", path)
		}
		if !strings.Contains(body, "hostile message body ελληνικα") {
			t.Errorf("%s: body text missing", path)
		}
	}
	// The message page frames it in a sandbox without scripts.
	page := do(t, s, "GET", "/message/"+id+"?view=html").Body.String()
	if !strings.Contains(page, `sandbox="allow-popups allow-popups-to-escape-sandbox"`) || !strings.Contains(page, `src="/message/`+id+`/html"`) {
		t.Errorf("message page: no sandboxed frame: %s", page)
	}
	if !strings.Contains(page, "Show remote images") {
		t.Errorf("message page: no \"Show remote images\" for a message with remote images")
	}
	// The page shows hostile headers as text.
	if strings.Contains(page, "<script>window") || strings.Contains(page, "<img src=x") {
		t.Errorf("message page: hostile header not escaped")
	}
}

func TestViewsRegistered(t *testing.T) {
	files, err := templateFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name != "layout" && !contains(viewNames, name) {
			t.Errorf("template %s is not a registered view", f)
		}
	}
	fx := getFixture(t)
	var logs syncBuffer
	s := newServer(t, fx, func(o *Options) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	for _, name := range viewNames {
		if s.views[name] == nil {
			t.Errorf("view %s not parsed", name)
		}
	}
	rec := httptestRecorder()
	req := newRequest("GET", "/")
	s.render(rec, req, 200, "nonexistent", nil)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "Internal error") {
		t.Errorf("render of an unregistered view: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), `unregistered view \"nonexistent\"`) {
		t.Errorf("render of an unregistered view not logged: %s", logs.String())
	}
}

func TestHTTPServer(t *testing.T) {
	s := newServer(t, getFixture(t), nil)
	hs := s.HTTPServer("127.0.0.1:0")
	if hs.Handler != s || hs.ReadHeaderTimeout == 0 || hs.MaxHeaderBytes == 0 || hs.ErrorLog == nil {
		t.Errorf("HTTPServer: %+v", hs)
	}
}
