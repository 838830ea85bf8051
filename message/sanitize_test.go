package message

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func cidURL(cid string) string { return "/message/abc/cid/" + url.PathEscape(cid) }

func TestSanitizeHTML(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    SanitizeOptions
		want    []string // substrings of the output
		notWant []string // case-insensitive
		blocked bool
	}{
		{name: "script", in: `<p>hi</p><script>alert(1)</script><SCRIPT src="http://evil/x.js"></SCRIPT>`,
			want: []string{"<p>hi</p>"}, notWant: []string{"<script", "alert", "evil"}},
		{name: "event handlers", in: `<img src="cid:a" onerror="alert(1)"><div onclick=alert(1) onmouseover='x()'>t</div><body onload=alert(1)>`,
			opts: SanitizeOptions{CIDURL: cidURL}, want: []string{"<div>t</div>"}, notWant: []string{"onerror", "onclick", "onmouseover", "onload", "alert"}},
		{name: "javascript links", in: `<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a><a href="jav&#x09;ascript:alert(1)">c</a><a href="vbscript:x">d</a>`,
			notWant: []string{"javascript", "vbscript", "href"}},
		{name: "links get rel and target", in: `<a href="https://example.com/x?a=1&b=2" target="_self" rel="opener">x</a>`,
			want: []string{`href="https://example.com/x?a&#61;1&amp;b&#61;2"`, `rel="noopener noreferrer"`, `target="_blank"`}, notWant: []string{"_self", `"opener"`}},
		{name: "mailto", in: `<a href="mailto:a@example.com">mail</a>`, want: []string{`href="mailto:a@example.com"`}},
		{name: "meta refresh", in: `<meta http-equiv="refresh" content="0;url=http://evil/"><p>x</p>`,
			want: []string{"<p>x</p>"}, notWant: []string{"<meta", "refresh", "evil"}},
		{name: "style url to remote", in: `<div style="background: url(http://evil/track.gif) no-repeat; color: red">x</div>`,
			want: []string{"color: red"}, notWant: []string{"evil", "url("}, blocked: true},
		{name: "style element with remote url and import", in: `<style>@import url(http://evil/a.css); p{color:red}</style><p>x</p>`,
			notWant: []string{"evil", "@import"}, blocked: true},
		{name: "style element kept and filtered", in: `<style>p { color: red; background: url('https://evil/bg.png') } td > b {}</style><p>x</p>`,
			want: []string{"<style>", "color: red", "td > b"}, notWant: []string{"evil"}, blocked: true},
		{name: "style element cannot close itself", in: `<style>p{}</style ><style>a{}</sTyLe><img src=x onerror=alert(1)>`,
			notWant: []string{"onerror", "alert"}},
		{name: "css expression", in: `<div style="width: expression(alert(1))">x</div><style>p{behavior:url(x.htc)}</style>`,
			notWant: []string{"expression", "behavior", "alert"}},
		{name: "css escapes hiding url", in: `<div style="background: \75 rl(http://evil/x)">x</div><style>p{background:u\72l(http://evil/y)}</style>`,
			notWant: []string{"evil"}, blocked: true},
		{name: "svg script", in: `<svg><script>alert(1)</script><image href="http://evil/x.png"/></svg><svg onload=alert(1)>`,
			notWant: []string{"<svg", "<script", "alert", "evil"}},
		{name: "form", in: `<form action="http://evil/post"><input name=q value=secret><button>go</button></form>`,
			notWant: []string{"<form", "<input", "action", "evil"}},
		{name: "iframe", in: `<iframe src="http://evil/"></iframe><frameset><frame src="http://evil/"></frameset>`,
			notWant: []string{"<iframe", "<frame", "evil"}},
		{name: "object and embed", in: `<object data="http://evil/x.swf"><param name=movie value=x></object><embed src="http://evil/y">`,
			notWant: []string{"<object", "<embed", "<param", "evil"}},
		{name: "base", in: `<base href="http://evil/"><a href="https://ok.example/">x</a>`,
			want: []string{"https://ok.example/"}, notWant: []string{"<base", "evil"}},
		{name: "link stylesheet", in: `<link rel="stylesheet" href="http://evil/a.css"><p>x</p>`,
			notWant: []string{"<link", "evil"}},
		{name: "remote image blocked", in: `<img src="http://tracker.example/p.gif" width="1" height="1" alt="pixel"><img src="//cdn.example/a.png">`,
			want: []string{`alt="pixel"`, `data-blocked="remote"`}, notWant: []string{"tracker", "cdn.example", "src="}, blocked: true},
		{name: "remote image allowed", in: `<img src="https://cdn.example/a.png" srcset="https://cdn.example/a2.png 2x">`,
			opts: SanitizeOptions{AllowRemote: true}, want: []string{`src="https://cdn.example/a.png"`, `srcset="https://cdn.example/a2.png 2x"`}},
		{name: "remote srcset and background blocked", in: `<img srcset="https://cdn.example/a.png 1x, cid:b 2x"><table background="http://evil/bg.gif"><tr><td background="https://evil/c.gif">x</td></tr></table>`,
			opts: SanitizeOptions{CIDURL: cidURL}, want: []string{`srcset="/message/abc/cid/b 2x"`, "<td>x</td>"}, notWant: []string{"evil", "cdn.example"}, blocked: true},
		{name: "cid images rewritten", in: `<img src="cid:logo@x.example"><div style="background-image: url(cid:bg%40x)">x</div>`,
			opts: SanitizeOptions{CIDURL: cidURL}, want: []string{`src="/message/abc/cid/logo@x.example"`, `url(&#34;/message/abc/cid/bg@x&#34;)`}},
		{name: "cid without mapping removed", in: `<img src="cid:logo@x" alt="logo">`, want: []string{`<img alt="logo">`}, notWant: []string{"cid:"}},
		{name: "data image kept", in: `<img src="data:image/png;base64,iVBORw0KGgo=">`, want: []string{`src="data:image/png;base64,iVBORw0KGgo&#61;"`}},
		{name: "data html removed", in: `<a href="data:text/html;base64,PHNjcmlwdD4=">x</a><img src="data:text/html,<script>alert(1)</script>">`,
			notWant: []string{"data:", "script"}},
		{name: "formatting and tables kept", in: `<table border="1" cellpadding="2"><tr><td bgcolor="#fff" colspan="2"><b>bold</b> <i>it</i> <font color="red" face="Arial">f</font></td></tr></table><ul><li>one</li></ul><blockquote>q</blockquote>`,
			want: []string{`<table border="1" cellpadding="2">`, `<td bgcolor="#fff" colspan="2">`, "<b>bold</b>", `<font color="red" face="Arial">`, "<li>one</li>", "<blockquote>q</blockquote>"}},
		{name: "comments and conditional comments", in: `<!--[if mso]><script>alert(1)</script><![endif]--><p>x</p>`,
			want: []string{"<p>x</p>"}, notWant: []string{"<!--", "alert"}},
		{name: "noscript mXSS", in: `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
			notWant: []string{"onerror", "alert("}},
		{name: "entities survive", in: `<p>Gr&uuml;&szlig;e &lt;script&gt;</p>`, want: []string{"<p>Grüße &lt;script&gt;</p>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := SanitizeHTML(tt.in, tt.opts)
			for _, w := range tt.want {
				if !strings.Contains(res.HTML, w) {
					t.Errorf("SanitizeHTML(%q) = %q, want %q in it", tt.in, res.HTML, w)
				}
			}
			low := strings.ToLower(res.HTML)
			for _, w := range tt.notWant {
				if strings.Contains(low, strings.ToLower(w)) {
					t.Errorf("SanitizeHTML(%q) = %q, want no %q in it", tt.in, res.HTML, w)
				}
			}
			if res.RemoteBlocked != tt.blocked {
				t.Errorf("SanitizeHTML(%q).RemoteBlocked = %v, want %v", tt.in, res.RemoteBlocked, tt.blocked)
			}
			if problem := unsafeHTML(res.HTML, tt.opts.AllowRemote); problem != "" {
				t.Errorf("SanitizeHTML(%q) = %q: %s", tt.in, res.HTML, problem)
			}
		})
	}
}

var handlerRE = regexp.MustCompile(`(?i)[\s"'/]on[a-z]+\s*=`)

// unsafeHTML returns what is unsafe in sanitized HTML, or "". It checks
// the raw text (no "<script", no "javascript:", no " on...=" anywhere) and
// the tokens: no dangerous element, no event handler, no URL with a
// scheme other than http, https, mailto or data:image, no CSS that loads
// from http.
func unsafeHTML(s string, allowRemote bool) string {
	low := strings.ToLower(s)
	for _, bad := range []string{"<script", "javascript:", "vbscript:"} {
		if strings.Contains(low, bad) {
			return "contains " + bad
		}
	}
	if m := handlerRE.FindString(s); m != "" {
		return "contains " + m
	}
	z := html.NewTokenizer(strings.NewReader(s))
	inStyle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return ""
		case html.TextToken:
			if inStyle {
				css := strings.ToLower(string(z.Text()))
				for _, bad := range []string{"expression(", "@import", "url(\"http", "url(http", "</"} {
					if strings.Contains(css, bad) && !(allowRemote && strings.Contains(bad, "http")) {
						return "style element with " + bad
					}
				}
			}
		case html.EndTagToken:
			inStyle = false
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			switch t.Data {
			case "script", "iframe", "frame", "frameset", "object", "embed", "form", "input", "button", "textarea",
				"meta", "base", "link", "svg", "math", "applet", "param", "video", "audio", "source", "noscript":
				return "element " + t.Data
			case "style":
				inStyle = tt == html.StartTagToken
			}
			for _, a := range t.Attr {
				v := strings.ToLower(strings.Map(func(r rune) rune {
					if r <= ' ' {
						return -1
					}
					return r
				}, a.Val))
				switch {
				case strings.HasPrefix(a.Key, "on"):
					return "attribute " + a.Key
				case a.Key == "href" || a.Key == "src" || a.Key == "background" || a.Key == "cite" || a.Key == "srcset":
					if strings.HasPrefix(v, "http") && a.Key != "href" && a.Key != "cite" && !allowRemote {
						return "remote " + a.Key
					}
					if !(strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:") || strings.HasPrefix(v, "mailto:") ||
						strings.HasPrefix(v, "data:image/") || strings.HasPrefix(v, "/message/")) {
						return "URL " + a.Key + "=" + a.Val
					}
				case a.Key == "style":
					for _, bad := range []string{"expression(", "url(\"http", "url(http", "url('http"} {
						if strings.Contains(v, bad) && !(allowRemote && strings.Contains(bad, "http")) {
							return "style attribute with " + bad
						}
					}
				}
			}
		}
	}
}
