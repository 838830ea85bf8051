package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mailkeep/mailkeep/index"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// browser is a headless Chromium on a test server of the fixture. Every
// request that leaves loopback goes to a recording proxy (and, through
// host-resolver-rules, resolves nowhere), so none reaches the internet
// and each is seen; the page's own network events are recorded too.
type browser struct {
	t       *testing.T
	ctx     context.Context
	srv     *httptest.Server
	f       *fixture
	mu      sync.Mutex
	reqs    []string // URLs of the page's network requests
	proxied []string // requests that reached the proxy
	ctxs    map[string]runtime.ExecutionContextID
}

func chromiumPath() (string, bool) {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, ok := testenv.LookPath(name); ok {
			return p, true
		}
	}
	return "", false
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, ok := chromiumPath()
	testenv.Require(t, ok, "MAILKEEP_REQUIRE_BROWSER", "chromium")
	f := getFixture(t)
	b := &browser{t: t, f: f, ctxs: map[string]runtime.ExecutionContextID{}}
	b.srv = httptest.NewServer(newServer(t, f, nil))
	t.Cleanup(b.srv.Close)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.proxied = append(b.proxied, r.Method+" "+r.Host+r.URL.RequestURI())
		b.mu.Unlock()
		http.Error(w, "blocked by the test proxy", http.StatusForbidden)
	}))
	t.Cleanup(proxy.Close)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,SigninInterceptBubble"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("proxy-server", "http://"+proxy.Listener.Addr().String()),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("font-render-hinting", "none"),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	t.Cleanup(func() { cancel2() })
	b.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A tab in the background gets no paint timings.
	if _, err := chromedp.Call(ctx, cdppage.BringToFront, cdp.Empty{}); err != nil {
		t.Fatalf("bring the tab to the front: %v", err)
	}
	return b
}

// listen records the page's requests and JavaScript contexts.
func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.reqs = append(b.reqs, ev.Request.URL)
	case *runtime.EventExecutionContextCreated:
		var aux struct {
			FrameID   string `json:"frameId"`
			IsDefault bool   `json:"isDefault"`
		}
		if err := jsonUnmarshal(ev.Context.AuxData, &aux); err == nil && aux.IsDefault {
			b.ctxs[aux.FrameID] = ev.Context.ID
		}
	}
}

// url is the test server's URL of path.
func (b *browser) url(path string) string { return b.srv.URL + path }

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	return run(b, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// checkLoopbackOnly fails on any request that left 127.0.0.1.
func (b *browser) checkLoopbackOnly() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, r := range b.reqs {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Scheme != "about" && u.Hostname() != "127.0.0.1") {
			b.t.Errorf("request left loopback: %s", r)
		}
	}
	for _, r := range b.proxied {
		if !browserBackground(r) {
			b.t.Errorf("request reached the proxy (left loopback): %s", r)
		}
	}
}

// artifacts is where screenshots go: $MAILKEEP_ARTIFACTS or a temporary
// directory.
func artifacts(t *testing.T) string {
	dir := os.Getenv("MAILKEEP_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *browser) screenshot(dir, name string) {
	b.t.Helper()
	png := run(b, chromedp.FullScreenshot(100))
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}

func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	f := b.f
	dir := artifacts(t)

	t.Run("search", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(b.url("/?q=trip")), chromedp.WaitVisible(chromedp.CSS(".hit")))
		n := eval[int](b, `document.querySelectorAll('.hit').length`)
		if n < 3 {
			t.Errorf("search trip: %d hits on the page, want at least 3", n)
		}
		t.Logf("first paint of the search page (first load): %s", b.firstPaint())
		b.do(chromedp.Navigate(b.url("/?q=trip&sort=date")), chromedp.WaitVisible(chromedp.CSS(".hit")))
		t.Logf("first paint of the search page: %s", b.firstPaint())
		b.do(chromedp.Navigate(b.url("/")), chromedp.WaitVisible(chromedp.CSS(".hit")))
		b.screenshot(dir, "search-recent.png")
		b.do(chromedp.Navigate(b.url("/?q=αναφορά OR доклад OR 报告")), chromedp.WaitVisible(chromedp.CSS(".hit")))
		b.screenshot(dir, "search-multilingual.png")
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".hit")))
		b.viewportShot(dir, "search-phone.png")
		b.do(chromedp.EmulateViewport(1280, 900))
	})

	t.Run("open and read", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(b.url("/?q=συνάντηση")), chromedp.WaitVisible(chromedp.CSS(".hit")))
		b.do(chromedp.Click(chromedp.CSS(".hit a.hit-link")), chromedp.WaitVisible(chromedp.CSS("h1.msg-subject")))
		subj := run(b, chromedp.Text(chromedp.CSS("h1.msg-subject")))
		if subj != "Συνάντηση της δευτέρας" {
			t.Errorf("subject = %q", subj)
		}
		text := run(b, chromedp.Text(chromedp.ID("text")))
		if !strings.Contains(text, "Η συνάντηση της Δευτέρας μεταφέρεται") {
			t.Errorf("text = %q", text)
		}
		b.screenshot(dir, "message-greek.png")
		b.do(chromedp.Navigate(b.url("/message/"+f.ids["greek"].String()+"?q=x")), chromedp.WaitVisible(chromedp.ID("text")))
		t.Logf("first paint of the message page: %s", b.firstPaint())
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("text")))
		b.viewportShot(dir, "message-phone.png")
		b.do(chromedp.EmulateViewport(1280, 900))
		for _, name := range []string{"cyrillic", "cjk", "thread-reply"} {
			b.do(chromedp.Navigate(b.url("/message/"+f.ids[name].String())), chromedp.WaitVisible(chromedp.CSS("h1.msg-subject")))
			b.screenshot(dir, "message-"+name+".png")
		}
		if n := eval[int](b, `document.querySelectorAll('.thread li').length`); n != 4 {
			t.Errorf("thread of the reply: %d messages, want 4", n)
		}
		for _, id := range f.gen {
			if d, err := index.LoadDetail(t.Context(), f.arc, id); err == nil && d.HasHTML && len(d.Attachments) == 0 {
				b.do(chromedp.Navigate(b.url("/message/"+id.String()+"?view=html")), chromedp.WaitVisible(chromedp.ID("mail-html")), chromedp.Sleep(300*time.Millisecond))
				b.screenshot(dir, "message-newsletter-html.png")
				break
			}
		}
		b.do(chromedp.Navigate(b.url("/status")), chromedp.WaitVisible(chromedp.CSS("h1")))
		b.screenshot(dir, "status.png")
	})

	t.Run("download eml", func(t *testing.T) {
		b.t = t
		for _, name := range []string{"greek", "cyrillic", "hostile"} {
			b.do(chromedp.Navigate(b.url("/message/"+f.ids[name].String())), chromedp.WaitVisible(chromedp.ID("download-eml")))
			got := eval[string](b, `fetch(document.getElementById('download-eml').href).then(r => r.arrayBuffer()).then(buf => {
				let s = ''; const u = new Uint8Array(buf); for (let i = 0; i < u.length; i++) s += String.fromCharCode(u[i]); return btoa(s); })`)
			raw, err := base64.StdEncoding.DecodeString(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, f.raw[name]) {
				t.Errorf("%s: downloaded .eml (%d bytes) differs from the archived bytes (%d)", name, len(raw), len(f.raw[name]))
			}
		}
	})

	t.Run("hostile", func(t *testing.T) {
		b.t = t
		id := f.ids["hostile"].String()
		b.do(chromedp.Navigate(b.url("/message/"+id)), chromedp.WaitVisible(chromedp.ID("text")))
		b.do(chromedp.Click(chromedp.ID("show-html")), chromedp.WaitVisible(chromedp.ID("mail-html")))
		// Let every payload have its chance: the frame's load, timers.
		eval[bool](b, `new Promise(ok => { const f = document.getElementById('mail-html'); const done = () => setTimeout(() => ok(true), 700); if (f.dataset.loaded) done(); else f.addEventListener('load', done); setTimeout(done, 1500); })`)
		if v := eval[string](b, `String(window.__pwned)`); v != "undefined" {
			t.Errorf("page: window.__pwned = %s", v)
		}
		b.checkFrame(id)
		b.screenshot(dir, "message-hostile-html.png")
		// Opened on its own, the HTML route is inert too (its CSP
		// sandboxes it: no script runs, not even a timer, so wait here).
		b.do(chromedp.Navigate(b.url("/message/"+id+"/html")), chromedp.Sleep(500*time.Millisecond))
		b.checkLoopbackOnly()

		// With remote images allowed for one view, the remote images
		// (and only they) are requested.
		b.do(chromedp.Navigate(b.url("/message/"+id+"?view=html")), chromedp.WaitVisible(chromedp.ID("show-remote")))
		b.do(chromedp.Click(chromedp.ID("show-remote")), chromedp.WaitVisible(chromedp.ID("mail-html")), chromedp.Sleep(700*time.Millisecond))
		if v := eval[string](b, `String(window.__pwned)`); v != "undefined" {
			t.Errorf("page with remote images: window.__pwned = %s", v)
		}
		b.screenshot(dir, "message-hostile-remote.png")
		b.mu.Lock()
		proxied := b.proxied
		b.proxied, b.reqs = nil, nil
		b.mu.Unlock()
		images := 0
		for _, p := range proxied {
			switch {
			case browserBackground(p):
			case strings.HasPrefix(p, "GET evil.example/") && (strings.HasSuffix(p, ".png") || strings.HasSuffix(p, ".gif")):
				images++
			default:
				t.Errorf("with remote images, a request that is not an image: %s", p)
			}
		}
		if images == 0 {
			t.Errorf("with remote images, no remote image was requested")
		}
		// The page itself: hostile subject and sender are text.
		b.do(chromedp.Navigate(b.url("/?q=hostile")), chromedp.WaitVisible(chromedp.CSS(".hit")))
		if v := eval[string](b, `String(window.__pwned)`); v != "undefined" {
			t.Errorf("search page: window.__pwned = %s", v)
		}
		b.checkLoopbackOnly()
	})

	t.Run("keyboard", func(t *testing.T) {
		b.t = t
		b.do(chromedp.Navigate(b.url("/?q=trip")), chromedp.WaitVisible(chromedp.CSS(".hit")))
		b.do(chromedp.KeyEvent("/"))
		if id := eval[string](b, `document.activeElement.id`); id != "q" {
			t.Errorf("after /: focus on %q, want the search box", id)
		}
		b.do(chromedp.KeyEvent(kb.Escape))
		selected := func() int {
			return eval[int](b, `[...document.querySelectorAll('.hit')].findIndex(h => h.classList.contains('selected'))`)
		}
		b.do(chromedp.KeyEvent("j"))
		if i := selected(); i != 0 {
			t.Errorf("after j: selected %d, want 0", i)
		}
		b.do(chromedp.KeyEvent("j"), chromedp.KeyEvent("j"))
		if i := selected(); i != 2 {
			t.Errorf("after j j j: selected %d, want 2", i)
		}
		b.do(chromedp.KeyEvent("k"))
		if i := selected(); i != 1 {
			t.Errorf("after k: selected %d, want 1", i)
		}
		want := eval[string](b, `document.querySelectorAll('.hit a.hit-link')[1].href`)
		b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS("h1.msg-subject")))
		if loc := run(b, chromedp.Location()); loc != want {
			t.Errorf("after Enter: at %s, want %s", loc, want)
		}
		b.do(chromedp.KeyEvent("u"), chromedp.WaitVisible(chromedp.CSS(".hit")))
		loc := run(b, chromedp.Location())
		if u, _ := url.Parse(loc); u.Path != "/" || u.Query().Get("q") != "trip" {
			t.Errorf("after u: at %s, want the results of trip", loc)
		}
		if i := selected(); i != 1 {
			t.Errorf("back at the results: selected %d, want 1 (the one opened)", i)
		}
	})
}

func (b *browser) viewportShot(dir, name string) {
	b.t.Helper()
	png := run(b, chromedp.CaptureScreenshot())
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}

// firstPaint reads the navigation and paint timings of the current page,
// waiting up to two seconds for the first contentful paint to be reported.
func (b *browser) firstPaint() string {
	b.t.Helper()
	return eval[string](b, `new Promise(ok => {
		const report = () => {
			const n = performance.getEntriesByType('navigation')[0];
			ok((n ? 'response end ' + n.responseEnd.toFixed(0) + ' ms, DOM loaded ' + n.domContentLoadedEventEnd.toFixed(0) + ' ms, ' : '') +
				(performance.getEntriesByType('paint').map(e => e.name + ' ' + e.startTime.toFixed(0) + ' ms').join(', ') || 'no paint reported'));
		};
		if (performance.getEntriesByName('first-contentful-paint').length) return report();
		new PerformanceObserver(l => { if (l.getEntriesByName('first-contentful-paint').length) report(); }).observe({type: 'paint', buffered: true});
		setTimeout(report, 2000);
	})`)
}

// checkFrame asserts that the sandboxed frame of message id ran nothing:
// window.__pwned is unset in the frame's own JavaScript context (in the
// page's process, or in its own process when Chromium isolates sandboxed
// frames), and nothing left loopback.
func (b *browser) checkFrame(id string) {
	b.t.Helper()
	checked := false
	infos, err := chromedp.Targets(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, info := range infos {
		if info.Type == "iframe" && strings.Contains(info.URL, "/message/"+id+"/html") {
			fctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
			v, err := chromedp.Run(fctx, chromedp.Evaluate[string](`String(window.__pwned) + ' ' + document.querySelectorAll('script,[onerror],[onload]').length`))
			cancel()
			if err != nil {
				b.t.Fatalf("evaluate in the frame: %v", err)
			}
			if v != "undefined 0" {
				b.t.Errorf("frame (own process): __pwned and script/handler count = %s", v)
			}
			checked = true
		}
	}
	if !checked {
		frameID := eval[string](b, `(() => { const f = document.getElementById('mail-html'); return f ? '' : 'none'; })()`)
		_ = frameID
		b.mu.Lock()
		ctxs := make([]runtime.ExecutionContextID, 0, len(b.ctxs))
		for _, c := range b.ctxs {
			ctxs = append(ctxs, c)
		}
		b.mu.Unlock()
		for _, c := range ctxs {
			v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.pathname.endsWith('/html') ? String(window.__pwned) + ' ' + document.querySelectorAll('script,[onerror],[onload]').length : 'other'`,
				func(p *runtime.EvaluateParams) { p.ContextID = c }))
			if err != nil || v == "other" {
				continue
			}
			checked = true
			if v != "undefined 0" {
				b.t.Errorf("frame: __pwned and script/handler count = %s", v)
			}
		}
	}
	if !checked {
		b.t.Errorf("found no JavaScript context of the HTML frame to check")
	}
	b.checkLoopbackOnly()
}

// browserBackground reports a request Chromium makes by itself (updates,
// autofill, sign-in), which the flags do not all turn off: it reaches the
// proxy, not the internet, and no page caused it. Everything a mail could
// cause in this test goes to evil.example.
func browserBackground(req string) bool {
	f := strings.Fields(req)
	if len(f) < 2 {
		return false
	}
	host := f[1]
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	for _, suffix := range []string{".google.com", ".googleapis.com", ".gvt1.com", ".gstatic.com"} {
		if strings.HasSuffix(host, suffix) {
			return true
		}
	}
	return false
}
