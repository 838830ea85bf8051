package message

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockElements end a line before and after.
var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Caption: true, atom.Center: true, atom.Dd: true, atom.Details: true, atom.Div: true,
	atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hr: true,
	atom.Li: true, atom.Main: true, atom.Nav: true, atom.Ol: true, atom.P: true, atom.Pre: true,
	atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true, atom.Tfoot: true,
	atom.Thead: true, atom.Tr: true, atom.Ul: true, atom.Body: true, atom.Html: true,
}

// hiddenElements have content that is not text for a reader.
var hiddenElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Title: true, atom.Template: true,
	atom.Iframe: true, atom.Svg: true, atom.Textarea: true, atom.Noembed: true, atom.Noframes: true,
}

// htmlToText extracts the readable text of an HTML document: no scripts,
// styles or head, entities decoded, block elements and <br> as line
// breaks, cells separated by spaces, white space collapsed outside <pre>,
// image alt text kept. It stops after about limit bytes. The tokenizer
// keeps no tree, so deeply nested HTML costs nothing extra.
func htmlToText(s string, limit int) string {
	z := html.NewTokenizer(strings.NewReader(s))
	z.SetMaxBuf(0)
	var b strings.Builder
	hidden := 0 // depth inside hidden elements
	pre := 0
	space := false // a collapsed space is pending
	newline := func() {
		b.WriteByte('\n')
		space = false
	}
	for b.Len() < limit {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if hidden > 0 {
				continue
			}
			t := z.Text()
			if pre > 0 {
				b.Write(t)
				continue
			}
			for _, c := range string(t) {
				switch c {
				case ' ', '\t', '\n', '\r', '\f':
					space = true
					continue
				}
				if space && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
					b.WriteByte(' ')
				}
				space = false
				b.WriteRune(c)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if a == 0 {
				continue
			}
			if hiddenElements[a] {
				switch {
				case tt == html.StartTagToken:
					hidden++
				case tt == html.EndTagToken && hidden > 0:
					hidden--
				}
				continue
			}
			if hidden > 0 {
				continue
			}
			switch {
			case a == atom.Br:
				newline()
			case a == atom.Pre:
				if tt == html.StartTagToken {
					pre++
				} else if tt == html.EndTagToken && pre > 0 {
					pre--
				}
				newline()
			case blockElements[a]:
				newline()
			case a == atom.Td || a == atom.Th:
				space = true
			case a == atom.Img && hasAttr:
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" && strings.TrimSpace(string(v)) != "" {
						if b.Len() > 0 {
							b.WriteByte(' ')
						}
						b.Write(v)
						space = true
					}
					if !more {
						break
					}
				}
			}
		}
	}
	return b.String()
}
