package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

//go:embed templates
var templateFS embed.FS

// viewNames are the pages; each is templates/NAME.html on top of
// templates/layout.html. render refuses any other name.
var viewNames = []string{"search", "message", "status", "error"}

// view is one parsed page.
type view struct {
	name string
	t    *template.Template
}

// parseViews parses every view with the layout, once, at startup.
func parseViews(funcs template.FuncMap) (map[string]*view, error) {
	views := map[string]*view{}
	for _, name := range viewNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse view %s: %w", name, err)
		}
		views[name] = &view{name: name, t: t}
	}
	return views, nil
}

// templateFiles lists the files under templates/, for the test that every
// one is a registered view or the layout.
func templateFiles() ([]string, error) {
	return fs.Glob(templateFS, "templates/*")
}

// page is what every view gets besides its own data.
type page struct {
	Title     string
	Nav       string // "search", "status": the current section
	Query     string // the search box's value
	Sort      string
	RequestID string
}

// render executes a view into a buffer (a template error never leaves a
// half page) and writes it with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	v, ok := s.views[name]
	if !ok {
		s.internalError(w, r, fmt.Errorf("render: unregistered view %q", name))
		return
	}
	var buf bytes.Buffer
	if err := v.t.ExecuteTemplate(&buf, "layout", data); err != nil {
		if name == "error" {
			s.log.Error("render error page", "err", err, "request_id", requestID(r))
			http.Error(w, "Internal error (request "+requestID(r)+")", http.StatusInternalServerError)
			return
		}
		s.internalError(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":      s.assets.url,
		"date":       s.shortDate,
		"datetime":   s.longDate,
		"isodate":    func(v any) string { return timeOf(v).UTC().Format(time.RFC3339) },
		"deref":      func(p *int) int { return *p },
		"size":       humanSize,
		"highlight":  highlight,
		"plural":     plural,
		"senderName": senderName,
		"join":       strings.Join,
		"num":        formatNum,
	}
}

// timeOf accepts a time.Time or a *time.Time (nil is the zero time), so
// templates can pass either.
func timeOf(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case *time.Time:
		if t != nil {
			return *t
		}
	}
	return time.Time{}
}

// shortDate is "15:04" today, "2 Jan" this year, "2 Jan 2006" before.
func (s *Server) shortDate(v any) string {
	t := timeOf(v)
	if t.IsZero() {
		return ""
	}
	t = t.In(s.loc)
	now := s.now().In(s.loc)
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("2 Jan")
	}
	return t.Format("2 Jan 2006")
}

func (s *Server) longDate(v any) string {
	t := timeOf(v)
	if t.IsZero() {
		return "unknown"
	}
	return t.In(s.loc).Format("Mon, 2 Jan 2006 15:04 MST")
}

func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(n)/float64(div), 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "B"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// senderName is the display name of "Name <addr>", or the address.
func senderName(from string) string {
	if i := strings.LastIndex(from, " <"); i > 0 && strings.HasSuffix(from, ">") {
		return strings.Trim(from[:i], `" `)
	}
	return from
}

// highlight escapes a snippet and marks the byte ranges of the words that
// matched. Ranges out of order, out of bounds or not on character
// boundaries are skipped.
func highlight(snippet string, ranges [][2]int) template.HTML {
	var b strings.Builder
	last := 0
	for _, rg := range ranges {
		start, end := rg[0], rg[1]
		if start < last || end <= start || end > len(snippet) ||
			!utf8.RuneStart(snippet[start]) || (end < len(snippet) && !utf8.RuneStart(snippet[end])) {
			continue
		}
		b.WriteString(template.HTMLEscapeString(snippet[last:start]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(snippet[start:end]))
		b.WriteString("</mark>")
		last = end
	}
	b.WriteString(template.HTMLEscapeString(snippet[last:]))
	return template.HTML(b.String())
}

// searchURL is the search page for q, page and sort; defaults are left out.
func searchURL(q string, pageNo int, sort string) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if pageNo > 1 {
		v.Set("page", strconv.Itoa(pageNo))
	}
	if sort != "" && sort != "-date" {
		v.Set("sort", sort)
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// refineURL adds a filter to q (keeping the sort, back to page 1).
func refineURL(q, filter, sort string) string {
	q = strings.TrimSpace(q)
	if q != "" {
		q += " "
	}
	return searchURL(q+filter, 1, sort)
}

// formatNum writes n with thousands separators: 12,345.
func formatNum(n any) string {
	var v int64
	switch x := n.(type) {
	case int:
		v = int64(x)
	case int64:
		v = x
	default:
		return fmt.Sprint(n)
	}
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
