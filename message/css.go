package message

import (
	"strings"
)

// maxCSS bounds a style attribute or element that is kept.
const maxCSS = 512 << 10

// cssHazards are constructs that run code, bind behaviour or fetch
// stylesheets. CSS holding one (also when hidden by escapes) is dropped.
var cssHazards = []string{"expression(", "javascript:", "vbscript:", "behavior:", "behaviour:", "-moz-binding", "@import", "image-set(", "-webkit-image-set(", "element(", "src(", "</"}

// sanitizeCSS filters the CSS of a style attribute or element: comments
// removed; every url() rewritten (cid: through opts.CIDURL, data:image
// kept, http(s) kept only with opts.AllowRemote, anything else removed);
// '<' escaped. It returns "" when the CSS must go as a whole: a hazard, an
// escape hiding a url(), or over maxCSS.
func sanitizeCSS(css string, opts SanitizeOptions, res *SanitizeResult) string {
	if len(css) > maxCSS {
		return ""
	}
	css = stripCSSComments(css)
	lower := strings.ToLower(css)
	plain := lower
	if strings.Contains(css, `\`) {
		plain = strings.ToLower(cssUnescape(css))
	}
	squeezed := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			return -1
		}
		return r
	}, plain)
	for _, h := range cssHazards {
		if strings.Contains(squeezed, h) {
			if h == "@import" || h == "image-set(" || h == "-webkit-image-set(" {
				res.RemoteBlocked = true
			}
			return ""
		}
	}
	if strings.Count(plain, "url(") != strings.Count(lower, "url(") {
		res.RemoteBlocked = true
		return ""
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, "url(")
		if i < 0 {
			break
		}
		b.WriteString(css[:i])
		arg, n := cssURLArg(css[i+4:])
		b.WriteString(rewriteCSSURL(arg, opts, res))
		css, lower = css[i+4+n:], lower[i+4+n:]
	}
	b.WriteString(css)
	return strings.ReplaceAll(b.String(), "<", `\3c `)
}

// cssURLArg reads the argument of url( up to and including the closing
// parenthesis; n is the bytes consumed.
func cssURLArg(s string) (arg string, n int) {
	i := 0
	for i < len(s) && isCSSSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		q := s[i]
		j := strings.IndexByte(s[i+1:], q)
		if j < 0 {
			return s[i+1:], len(s)
		}
		arg = s[i+1 : i+1+j]
		i += j + 2
		k := strings.IndexByte(s[i:], ')')
		if k < 0 {
			return arg, len(s)
		}
		return arg, i + k + 1
	}
	j := strings.IndexByte(s[i:], ')')
	if j < 0 {
		return strings.TrimSpace(s[i:]), len(s)
	}
	return strings.TrimSpace(s[i : i+j]), i + j + 1
}

func isCSSSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// rewriteCSSURL returns what replaces url(arg).
func rewriteCSSURL(arg string, opts SanitizeOptions, res *SanitizeResult) string {
	u, kind := classifyURL(arg, opts)
	switch kind {
	case urlRemote:
		res.RemoteBlocked = true
	case urlOK:
		return `url("` + cssQuote(u) + `")`
	}
	return "none"
}

func cssQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\a `, "\r", "", "<", `\3c `).Replace(s)
}

// stripCSSComments removes /* ... */ comments.
func stripCSSComments(s string) string {
	if !strings.Contains(s, "/*") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			return b.String()
		}
		s = s[i+2+j+2:]
	}
}

// cssUnescape resolves CSS escapes (\75 or \u), to see what the CSS says.
func cssUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		v := rune(0)
		n := 0
		for j < len(s) && n < 6 {
			h, ok := unhex(s[j])
			if !ok {
				break
			}
			v = v<<4 | rune(h)
			j++
			n++
		}
		if n == 0 {
			b.WriteByte(s[j])
			i = j
			continue
		}
		if j < len(s) && isCSSSpace(s[j]) {
			j++
		}
		if v == 0 || v > 0x10FFFF {
			v = '\uFFFD'
		}
		b.WriteRune(v)
		i = j - 1
	}
	return b.String()
}
