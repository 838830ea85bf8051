package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/index"
	"github.com/mailkeep/mailkeep/internal/mailgen"
)

// fixture is an archive with generated and handcrafted mail, its index and
// a run history, shared by the tests of the package (building it costs a
// second or two).
type fixture struct {
	dir string
	arc *archive.Archive
	idx *index.Index
	ids map[string]archive.ID // handcrafted messages by name
	raw map[string][]byte
	gen []archive.ID // generated messages
}

// now is the fixed clock of the tests.
var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

var (
	fixtureOnce sync.Once
	theFixture  *fixture
	fixtureErr  error
)

const fixtureGenerated = 300

func TestMain(m *testing.M) {
	code := m.Run()
	if theFixture != nil {
		theFixture.idx.Close()
		theFixture.arc.Close()
		os.RemoveAll(theFixture.dir)
	}
	os.Exit(code)
}

// getFixture builds the shared fixture once.
func getFixture(tb testing.TB) *fixture {
	tb.Helper()
	fixtureOnce.Do(func() { theFixture, fixtureErr = buildFixture(fixtureGenerated) })
	if fixtureErr != nil {
		tb.Fatalf("build fixture: %v", fixtureErr)
	}
	return theFixture
}

func buildFixture(n int) (*fixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "mailkeep-web-test-")
	if err != nil {
		return nil, err
	}
	f := &fixture{dir: dir, ids: map[string]archive.ID{}, raw: map[string][]byte{}}
	clock := func() time.Time { return testNow }
	if f.arc, err = archive.Open(ctx, dir, archive.Options{Create: true, Now: clock}); err != nil {
		return nil, err
	}
	b := f.arc.NewBatch()
	for i, m := range mailgen.Generate(mailgen.Options{Seed: 1, BigEvery: -1}, n) {
		loc := archive.Location{LocationKey: archive.LocationKey{Account: "home", Mailbox: m.Mailbox, UIDValidity: 7, UID: uint32(i + 1)}, Flags: m.Flags}
		added, err := b.Add(bytes.NewReader(m.Raw), loc)
		if err != nil {
			return nil, err
		}
		f.gen = append(f.gen, added.ID)
	}
	for i, hm := range handcrafted() {
		loc := archive.Location{LocationKey: archive.LocationKey{Account: "home", Mailbox: "INBOX", UIDValidity: 7, UID: uint32(10000 + i)}}
		if hm.name == "cjk" {
			loc.LocationKey = archive.LocationKey{Account: "old-isp", Mailbox: "INBOX", UIDL: "uidl-cjk"}
		}
		added, err := b.Add(strings.NewReader(hm.raw), loc)
		if err != nil {
			return nil, err
		}
		f.ids[hm.name] = added.ID
		f.raw[hm.name] = []byte(hm.raw)
	}
	if _, err := b.Commit(ctx); err != nil {
		return nil, err
	}
	// The greek message is gone from the server, and also known under an
	// old UIDVALIDITY.
	b = f.arc.NewBatch()
	b.MarkGone(archive.LocationKey{Account: "home", Mailbox: "INBOX", UIDValidity: 7, UID: 10000}, testNow.Add(-48*time.Hour))
	b.AddLocation(f.ids["greek"], archive.Location{LocationKey: archive.LocationKey{Account: "home", Mailbox: "Archive", UIDValidity: 3, UID: 5}})
	if _, err := b.Commit(ctx); err != nil {
		return nil, err
	}
	b = f.arc.NewBatch()
	b.Supersede(archive.LocationKey{Account: "home", Mailbox: "Archive", UIDValidity: 4}) // the server renumbered Archive
	if _, err := b.Commit(ctx); err != nil {
		return nil, err
	}
	if err := addRuns(ctx, f.arc); err != nil {
		return nil, err
	}
	if f.idx, err = index.Open(ctx, f.arc, index.Options{Location: time.UTC}); err != nil {
		return nil, err
	}
	return f, nil
}

// addRuns records two fetch runs: an older one where both accounts
// succeeded, and the last one where old-isp failed.
func addRuns(ctx context.Context, a *archive.Archive) error {
	reports := []struct {
		ok     bool
		report string
	}{
		{true, `{"kind":"fetch","started":"2026-03-10T03:00:00Z","finished":"2026-03-10T03:01:00Z","accounts":[
			{"account":"home","mailboxes":[{"mailbox":"INBOX","on_server":150,"archived":150,"new":150}],"started":"2026-03-10T03:00:00Z","finished":"2026-03-10T03:00:30Z"},
			{"account":"old-isp","mailboxes":[{"mailbox":"INBOX","on_server":1,"archived":1,"new":1}],"started":"2026-03-10T03:00:30Z","finished":"2026-03-10T03:01:00Z"}]}`},
		{false, `{"kind":"fetch","started":"2026-03-15T03:00:00Z","finished":"2026-03-15T03:01:00Z","accounts":[
			{"account":"home","mailboxes":[{"mailbox":"INBOX","on_server":160,"archived":158,"new":3,"failed":[{"uid":99,"reason":"connection reset"},{"uid":100,"reason":"connection reset"}]},
				{"mailbox":"Sent","on_server":40,"archived":40,"new":0,"uidvalidity_changed":true}],"started":"2026-03-15T03:00:00Z","finished":"2026-03-15T03:00:30Z"},
			{"account":"old-isp","error":"authentication failed: <b>bad password</b>","permanent":true,"mailboxes":[],"started":"2026-03-15T03:00:30Z","finished":"2026-03-15T03:01:00Z"}]}`},
	}
	for i, r := range reports {
		id, err := a.StartRun(ctx, "fetch")
		if err != nil {
			return err
		}
		fin := time.Date(2026, 3, 10+5*i, 3, 1, 0, 0, time.UTC)
		if err := a.FinishRun(ctx, archive.Run{ID: id, Finished: fin, OK: r.ok, New: 3, Failed: 2 * i,
			Summary: fmt.Sprintf("run %d summary", i), Report: r.report}); err != nil {
			return err
		}
	}
	return nil
}

type handmade struct{ name, raw string }

// crlf turns LF into CRLF, as an IMAP server serves a message.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// hostileHTML tries every way known to run script, leave the page or load
// something remote. Any payload that runs sets window.__pwned; any request
// goes to evil.example (or the test's canary host).
const hostileHTML = `<html><head>
<meta http-equiv="refresh" content="0;url=http://evil.example/refresh">
<base href="http://evil.example/">
<link rel="stylesheet" href="http://evil.example/style.css">
<script>window.__pwned='script';parent.__pwned='script'</script>
<style>@import url(http://evil.example/import.css); body{background:url(http://evil.example/bg.png)} .x{behavior:url(x.htc)}</style>
</head><body onload="window.__pwned='onload'">
<p id="hostile-text">Hostile message body ΕΛΛΗΝΙΚΑ</p>
<img src="x" onerror="window.__pwned='onerror';parent.__pwned='onerror'">
<img src=x onerror=window.__pwned='onerror2'//
<img src="http://evil.example/pixel.gif" width="1" height="1">
<img srcset="http://evil.example/a.png 1x, http://evil.example/b.png 2x">
<a href="javascript:window.__pwned='jslink'" id="jslink">javascript link</a>
<a href="JaVaScRiPt&#58;window.__pwned='jslink2'">encoded javascript link</a>
<a href="data:text/html,<script>alert(1)</script>">data link</a>
<svg><script>window.__pwned='svg'</script><image href="http://evil.example/svg.png"/></svg>
<svg onload="window.__pwned='svgonload'"><animate onbegin="window.__pwned='animate'" attributeName="x" dur="1s"/></svg>
<form action="http://evil.example/post" method="post"><input name="a" value="b"><button id="evil-submit">Go</button></form>
<iframe src="http://evil.example/frame"></iframe>
<iframe srcdoc="&lt;script&gt;parent.__pwned='srcdoc'&lt;/script&gt;"></iframe>
<object data="http://evil.example/object"></object><embed src="http://evil.example/embed">
<div style="background-image:url('http://evil.example/inline-bg.png'); width:10px">styled</div>
<div style="width: expression(alert(1))">expr</div>
<video src="http://evil.example/v.mp4" poster="http://evil.example/poster.png"></video>
<audio src="http://evil.example/a.mp3"></audio>
<noscript><p title="</noscript><img src=x onerror=window.__pwned='mxss'>"></p></noscript>
<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned='mxss2'></style></mglyph></table></mtext></math>
<table background="http://evil.example/table.png"><tr><td>cell</td></tr></table>
<a href="https://example.com/fine" id="fine-link">a fine link</a>
<img src="cid:logo@example" alt="inline logo" id="cid-img">
</body></html>`

func handcrafted() []handmade {
	var pngBuf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(3, 3, color.RGBA{255, 0, 0, 255})
	png.Encode(&pngBuf, img)
	pngB64 := base64.StdEncoding.EncodeToString(pngBuf.Bytes())
	svgB64 := base64.StdEncoding.EncodeToString([]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`))

	return []handmade{
		{"greek", crlf(`From: =?UTF-8?B?zpPOuc+Oz4HOs86/z4IgzqDOsc+AzrHOtM+Mz4DOv8+FzrvOv8+C?= <giorgos@example.gr>
To: me@example.com
Subject: =?UTF-8?Q?=CE=A3=CF=85=CE=BD=CE=AC=CE=BD=CF=84=CE=B7=CF=83=CE=B7_=CF=84=CE=B7=CF=82_=CE=B4=CE=B5=CF=85=CF=84=CE=AD=CF=81=CE=B1=CF=82?=
Date: Mon, 02 Mar 2026 09:30:00 +0200
Message-ID: <greek-1@example.gr>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Καλημέρα σας,

Η συνάντηση της Δευτέρας μεταφέρεται στις δέκα. Ευχαριστώ πολύ!
Δείτε https://example.gr/πρόγραμμα για το πρόγραμμα.

> Παλιό μήνυμα σε παράθεση
`)},
		{"cyrillic", crlf(`From: =?UTF-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan@example.bg>
To: me@example.com
Subject: =?UTF-8?B?0KHRgNC10YnQsCDQt9CwINCx0Y7QtNC20LXRgtCw?=
Date: Tue, 03 Mar 2026 10:00:00 +0200
Message-ID: <cyr-1@example.bg>
MIME-Version: 1.0
Content-Type: text/plain; charset=windows-1251
Content-Transfer-Encoding: 8bit

` + "\xc7\xe4\xf0\xe0\xe2\xe5\xe9\xf2\xe5, \xf1\xf0\xe5\xf9\xe0\xf2\xe0 \xe7\xe0 \xe1\xfe\xe4\xe6\xe5\xf2\xe0 \xe5 \xe2 \xf7\xe5\xf2\xe2\xfa\xf0\xf2\xfa\xea." + `
`)},
		{"cjk", crlf(`From: =?UTF-8?B?546L5Lyf?= <wang@example.cn>
To: me@example.com
Subject: =?UTF-8?B?5Lya6K6u5oql5ZGKIOWSjCDpooTnrpc=?=
Date: Wed, 04 Mar 2026 08:00:00 +0800
Message-ID: <cjk-1@example.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

` + base64.StdEncoding.EncodeToString([]byte("你好，\n\n这是会议报告和预算。日本語のテキストも少し。한국어도 조금.\n")) + `
`)},
		{"hostile", crlf(`From: "<img src=x onerror=window.__pwned='from'>" <evil@evil.example>
To: me@example.com
Subject: <script>window.__pwned='subject'</script> hostile newsletter
Date: Thu, 05 Mar 2026 12:00:00 +0000
Message-ID: <hostile-1@evil.example>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Hostile plain text <script>window.__pwned='text'</script> javascript:alert(1)
--alt
Content-Type: text/html; charset=utf-8

` + hostileHTML + `
--alt--
--rel
Content-Type: image/png
Content-ID: <logo@example>
Content-Transfer-Encoding: base64
Content-Disposition: inline; filename="logo.png"

` + pngB64 + `
--rel
Content-Type: image/svg+xml
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename="evil.svg"

` + svgB64 + `
--rel
Content-Type: text/html; charset=utf-8
Content-Disposition: attachment; filename="page.html"

<script>window.__pwned='attachment'</script>
--rel--
`)},
		{"attachments", crlf(`From: Files <files@example.com>
To: me@example.com
Subject: Tricky attachment names
Date: Fri, 06 Mar 2026 12:00:00 +0000
Message-ID: <files-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

See attached.
--b
Content-Type: text/plain
Content-Disposition: attachment; filename="../../etc/passwd"

root:x:0:0
--b
Content-Type: text/plain
Content-Disposition: attachment; filename*=UTF-8''a%0D%0Ab.txt

crlf
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename*=UTF-8''%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%20%22quoted%22%20%E4%BD%A0%E5%A5%BD.pdf

%PDF-1.4
--b
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=UTF-8''%E2%80%AEgnp.exe

MZ
--b
Content-Type: text/html; charset=utf-8; name="x\"; evil=1"
Content-Disposition: attachment

<b>html attachment</b>
--b--
`)},
		{"thread-root", crlf(`From: Alice Walker <alice@example.com>
To: me@example.com
Subject: Plans for the mountain trip
Date: Sat, 07 Mar 2026 09:00:00 +0000
Message-ID: <trip-root@example.com>
Content-Type: text/plain; charset=utf-8

Shall we go to the mountains next weekend?
`)},
		{"thread-reply", crlf(`From: Bob Stone <bob@example.com>
To: alice@example.com
Subject: Re: Plans for the mountain trip
Date: Sat, 07 Mar 2026 10:00:00 +0000
Message-ID: <trip-reply@example.com>
In-Reply-To: <trip-root@example.com>
References: <trip-root@example.com>
Content-Type: text/plain; charset=utf-8

Yes! I'll bring the tent.

> Shall we go to the mountains next weekend?
`)},
		{"thread-reply2", crlf(`From: Alice Walker <alice@example.com>
To: bob@example.com
Subject: Re: Re: Plans for the mountain trip
Date: Sat, 07 Mar 2026 11:00:00 +0000
Message-ID: <trip-reply2@example.com>
In-Reply-To: <trip-reply@example.com>
References: <trip-root@example.com> <trip-reply@example.com>
Content-Type: text/plain; charset=utf-8

Great, see you at the station.
`)},
		{"thread-offtopic", crlf(`From: Carol Hill <carol@example.com>
To: alice@example.com
Subject: Train times
Date: Sat, 07 Mar 2026 12:00:00 +0000
Message-ID: <trip-offtopic@example.com>
In-Reply-To: <trip-reply2@example.com>
Content-Type: text/plain; charset=utf-8

The 8:15 is the fastest one.
`)},
		{"thread-lookalike", crlf(`From: Dan Moss <dan@example.com>
To: me@example.com
Subject: Re: Plans for the mountain trip
Date: Sun, 08 Mar 2026 09:00:00 +0000
Message-ID: <other-plans@example.com>
Content-Type: text/plain; charset=utf-8

Another trip, another group.
`)},
	}
}

// fakeRunner is a Runner for tests.
type fakeRunner struct {
	mu      sync.Mutex
	running bool
	calls   int
	err     error
}

func (r *fakeRunner) FetchNow() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.err != nil {
		return r.err
	}
	if r.running {
		return ErrRunning
	}
	r.running = true
	return nil
}

func (r *fakeRunner) State() RunnerState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return RunnerState{Running: r.running, Schedule: "0 3 * * *", Next: time.Date(2026, 3, 16, 3, 0, 0, 0, time.UTC), Current: "home/INBOX 3 of 10"}
}

// newServer makes a Server on the fixture.
func newServer(tb testing.TB, f *fixture, mod func(*Options)) *Server {
	tb.Helper()
	opts := Options{
		Archive: f.arc, Index: f.idx,
		Logger:   slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Accounts: []AccountInfo{{Name: "home", Protocol: "imap", Host: "imap.example.com"}, {Name: "old-isp", Protocol: "pop3", Host: "pop.example.net"}},
		Runner:   &fakeRunner{},
		Now:      func() time.Time { return testNow },
		Location: time.UTC,
	}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s
}

// testWriter sends log output to the test log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Helper()
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// do runs one request against h with a Host the server accepts.
func do(tb testing.TB, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Host = "127.0.0.1:8025"
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func httptestRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func newRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Host = "127.0.0.1:8025"
	return r
}
