package message

import (
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// SanitizeOptions says how SanitizeHTML treats external resources.
type SanitizeOptions struct {
	// AllowRemote keeps http and https images and CSS backgrounds. Off,
	// they are removed and SanitizeResult.RemoteBlocked reports it.
	AllowRemote bool
	// CIDURL maps the Content-ID of a cid: reference (without "cid:" and
	// angle brackets, URL-unescaped) to the URL that serves that part. Nil
	// removes cid: references.
	CIDURL func(cid string) string
}

// SanitizeResult is sanitized HTML and what was taken out.
type SanitizeResult struct {
	HTML string
	// RemoteBlocked reports that remote images or styles were removed,
	// so that the UI can offer to show them.
	RemoteBlocked bool
}

// urlKind is how a resource URL is treated.
type urlKind int

const (
	urlDrop   urlKind = iota // remove: a scheme that is never loaded
	urlRemote                // http(s), blocked
	urlOK                    // keep (the returned URL may be rewritten)
)

// classifyURL decides about a resource (image, background) URL.
func classifyURL(raw string, opts SanitizeOptions) (string, urlKind) {
	s := strings.TrimSpace(raw)
	low := strings.ToLower(s)
	switch {
	case strings.HasPrefix(low, "cid:"):
		if opts.CIDURL == nil {
			return "", urlDrop
		}
		cid := s[4:]
		if u, err := url.PathUnescape(cid); err == nil {
			cid = u
		}
		cid = strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">")
		u := opts.CIDURL(cid)
		if u == "" {
			return "", urlDrop
		}
		return u, urlOK
	case strings.HasPrefix(low, "data:image/") && !strings.ContainsAny(s, "\"'()\\<>"):
		return s, urlOK
	case strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://") || strings.HasPrefix(low, "//"):
		if !opts.AllowRemote {
			return "", urlRemote
		}
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", urlDrop
		}
		if u.Scheme == "" {
			u.Scheme = "https"
		}
		return u.String(), urlOK
	}
	return "", urlDrop
}

// cssProperties are the CSS properties kept in style attributes.
var cssProperties = []string{
	"color", "background", "background-color", "background-image", "background-position",
	"background-repeat", "background-size", "background-attachment", "background-clip", "background-origin",
	"border", "border-top", "border-right", "border-bottom", "border-left", "border-color",
	"border-style", "border-width", "border-top-color", "border-right-color", "border-bottom-color",
	"border-left-color", "border-top-style", "border-right-style", "border-bottom-style",
	"border-left-style", "border-top-width", "border-right-width", "border-bottom-width",
	"border-left-width", "border-radius", "border-top-left-radius", "border-top-right-radius",
	"border-bottom-left-radius", "border-bottom-right-radius", "border-collapse", "border-spacing",
	"margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
	"padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
	"font", "font-family", "font-size", "font-style", "font-variant", "font-weight",
	"text-align", "text-decoration", "text-indent", "text-transform", "text-shadow", "text-overflow",
	"line-height", "letter-spacing", "word-spacing", "white-space", "word-wrap", "word-break",
	"overflow-wrap", "vertical-align", "direction", "unicode-bidi",
	"width", "height", "max-width", "min-width", "max-height", "min-height",
	"display", "float", "clear", "overflow", "overflow-x", "overflow-y", "visibility", "opacity",
	"list-style", "list-style-type", "list-style-position", "table-layout", "caption-side",
	"empty-cells", "box-sizing", "outline", "box-shadow",
}

// safeCSSValue accepts a declaration value unless it holds a hazard;
// url()s are rewritten afterwards.
func safeCSSValue(v string) bool {
	squeezed := strings.ToLower(strings.Join(strings.Fields(v), ""))
	for _, h := range cssHazards {
		if strings.Contains(squeezed, h) {
			return false
		}
	}
	return !strings.ContainsAny(v, `\<`)
}

var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardAttributes()
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).Globally()
	p.AllowAttrs("style").Globally()
	p.AllowStyles(cssProperties...).MatchingHandler(safeCSSValue).Globally()
	p.AllowAttrs("align").Globally()
	p.AllowElements(
		"a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote",
		"br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn",
		"div", "dl", "dt", "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5",
		"h6", "header", "hr", "i", "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "pre",
		"q", "s", "samp", "section", "small", "span", "strike", "strong", "sub", "summary", "sup",
		"table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var", "wbr", "style",
	)
	// <style> elements are kept so that newsletters look right; their
	// content is filtered by sanitizeCSS afterwards. bluemonday keeps
	// style content only in this mode; <script> stays disallowed.
	p.AllowUnsafe(true)
	p.AllowAttrs("href").OnElements("a", "area")
	p.AllowAttrs("name").Matching(bluemonday.SpaceSeparatedTokens).OnElements("a")
	p.AllowAttrs("src", "srcset", "alt", "width", "height", "border", "hspace", "vspace").OnElements("img")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowAttrs("type", "start", "value").OnElements("ol", "ul", "li")
	p.AllowAttrs("bgcolor", "background", "width", "height", "border", "cellpadding", "cellspacing",
		"valign", "colspan", "rowspan", "nowrap", "span", "frame", "rules", "summary").
		OnElements("table", "tr", "td", "th", "tbody", "thead", "tfoot", "col", "colgroup")
	p.AllowAttrs("color", "face", "size").OnElements("font")
	p.AllowAttrs("dir").OnElements("bdo")
	p.AllowAttrs("open").OnElements("details")
	p.AllowAttrs("width", "size", "noshade", "color").OnElements("hr")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.AllowDataURIImages()
	return p
})

// SanitizeHTML makes mail HTML safe to show in a sandboxed frame. An
// allowlist (bluemonday) keeps formatting, tables, links and images and
// drops scripts, event handlers, forms, frames, objects, SVG, <meta>,
// <base> and <link>, and URLs other than http, https, mailto, cid and
// data images. Then every resource is checked: cid: references go
// through opts.CIDURL; remote images (src, srcset, background) and CSS
// url()s are removed unless opts.AllowRemote; CSS in style attributes and
// elements is filtered (no @import, expression(), javascript:). Links get
// rel="noopener noreferrer" and target="_blank". The result is meant for
// a sandboxed iframe under a Content-Security-Policy, which remains the
// second line of defence.
func SanitizeHTML(s string, opts SanitizeOptions) (res SanitizeResult) {
	defer func() {
		if recover() != nil {
			res = SanitizeResult{HTML: html.EscapeString(s)}
		}
	}()
	clean := policy().Sanitize(s)
	var b strings.Builder
	b.Grow(len(clean))
	z := html.NewTokenizer(strings.NewReader(clean))
	inStyle := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		t := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			t.Attr = filterAttrs(t.Data, t.Attr, opts, &res)
			if t.Data == "style" && tt == html.StartTagToken {
				inStyle = true
			}
			writeTag(&b, t)
		case html.EndTagToken:
			if t.Data == "style" {
				inStyle = false
			}
			b.WriteString("</" + t.Data + ">")
		case html.TextToken:
			if inStyle {
				b.WriteString(cssHandlerLike().ReplaceAllString(sanitizeCSS(t.Data, opts, &res), `$1\3d `))
				continue
			}
			b.WriteString(escapeHTML(t.Data))
		}
	}
	res.HTML = b.String()
	return res
}

// cssHandlerLike matches what would read as an event handler attribute
// (" onload=") in CSS text, where '=' can only be an attribute selector.
var cssHandlerLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)([\s"'/]on[a-z]+\s*)=`) })

// writeTag writes a start tag with its attribute values escaped.
func writeTag(b *strings.Builder, t html.Token) {
	b.WriteString("<" + t.Data)
	for _, a := range t.Attr {
		b.WriteString(" " + a.Key + `="` + escapeHTML(a.Val) + `"`)
	}
	if t.Type == html.SelfClosingTagToken {
		b.WriteString("/")
	}
	b.WriteString(">")
}

// htmlEscaper escapes text and attribute values. Beyond the HTML specials
// it writes '=' and the ':' of "script:" as references, so the output never
// holds "javascript:" or "onclick=" even as harmless text: simple checks
// on the sanitized HTML (tests, a reviewer's grep) then mean something.
var htmlEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "=", "&#61;",
	"\x00", "\uFFFD",
)

func escapeHTML(s string) string {
	s = htmlEscaper.Replace(s)
	if i := indexFold(s, "script:"); i >= 0 {
		var b strings.Builder
		for i >= 0 {
			b.WriteString(s[:i+6])
			b.WriteString("&#58;")
			s = s[i+7:]
			i = indexFold(s, "script:")
		}
		b.WriteString(s)
		s = b.String()
	}
	return s
}

// indexFold is strings.Index ignoring ASCII case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// filterAttrs checks the URLs and styles of one element's attributes.
func filterAttrs(tag string, attrs []html.Attribute, opts SanitizeOptions, res *SanitizeResult) []html.Attribute {
	out := attrs[:0]
	blocked := false
	for _, a := range attrs {
		switch {
		case strings.HasPrefix(a.Key, "on"):
			continue
		case a.Key == "style":
			a.Val = sanitizeCSS(a.Val, opts, res)
			if a.Val == "" {
				continue
			}
		case a.Key == "src" || a.Key == "background":
			u, kind := classifyURL(a.Val, opts)
			if kind != urlOK {
				if kind == urlRemote {
					res.RemoteBlocked, blocked = true, true
				}
				continue
			}
			a.Val = u
		case a.Key == "srcset":
			v, remote := filterSrcset(a.Val, opts)
			if remote {
				res.RemoteBlocked, blocked = true, true
			}
			if v == "" {
				continue
			}
			a.Val = v
		case a.Key == "href" || a.Key == "cite":
			low := strings.ToLower(strings.TrimSpace(a.Val))
			if !(strings.HasPrefix(low, "http://") || strings.HasPrefix(low, "https://") || strings.HasPrefix(low, "mailto:")) {
				continue
			}
		case a.Key == "rel" || a.Key == "target":
			continue
		}
		out = append(out, a)
	}
	if tag == "a" || tag == "area" {
		out = append(out, html.Attribute{Key: "rel", Val: "noopener noreferrer"}, html.Attribute{Key: "target", Val: "_blank"})
	}
	if blocked && tag == "img" {
		out = append(out, html.Attribute{Key: "data-blocked", Val: "remote"})
	}
	return out
}

// filterSrcset keeps the candidates of a srcset that classifyURL allows.
func filterSrcset(v string, opts SanitizeOptions) (string, bool) {
	var keep []string
	remote := false
	for _, c := range strings.Split(v, ",") {
		f := strings.Fields(c)
		if len(f) == 0 {
			continue
		}
		u, kind := classifyURL(f[0], opts)
		switch kind {
		case urlRemote:
			remote = true
		case urlOK:
			if !strings.ContainsAny(u, ", ") {
				f[0] = u
				keep = append(keep, strings.Join(f, " "))
			}
		}
	}
	return strings.Join(keep, ", "), remote
}
