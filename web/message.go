package web

import (
	"bytes"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/index"
	"github.com/mailkeep/mailkeep/message"
)

// messagePage is the message view's data.
type messagePage struct {
	page
	D           *index.Detail
	M           *message.Message
	Date        time.Time
	Back        string // the search this message was opened from
	Text        template.HTML
	HTMLView    bool   // the HTML body is shown
	Remote      bool   // with remote images
	FrameURL    string // the sandboxed frame's src
	TextURL     string
	HTMLURL     string
	RemoteURL   string // "show remote images", when some were blocked
	Attachments []attachmentView
	Locations   []locationView
	Thread      []threadItem
}

type attachmentView struct {
	index.AttachmentInfo
	Name string
	URL  string
}

type locationView struct {
	index.LocationInfo
	Gone time.Time
}

// parseID reads the {id} path value: 64 hex digits, else not found.
func parseID(r *http.Request) (archive.ID, bool) {
	id, err := archive.ParseID(r.PathValue("id"))
	return id, err == nil
}

// missing reports whether err means the message is not in the archive.
func missing(err error) bool {
	return errors.Is(err, archive.ErrNotFound)
}

// failed answers a failed archive read and reports whether it did: 404
// for a message the archive does not hold, 500 for anything else.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case missing(err):
		s.notFound(w, r, "There is no message with this id in the archive.")
	default:
		s.internalError(w, r, err)
	}
	return true
}

// readMessage reads the archived bytes of the message the request names,
// or answers 404 (or 500) itself and returns false.
func (s *Server) readMessage(w http.ResponseWriter, r *http.Request) (archive.ID, []byte, bool) {
	id, ok := parseID(r)
	if !ok {
		s.notFound(w, r, "There is no message with this id.")
		return id, nil, false
	}
	raw, err := s.arc.ReadAll(id)
	if s.failed(w, r, err) {
		return id, nil, false
	}
	return id, raw, true
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(r)
	if !ok {
		s.notFound(w, r, "There is no message with this id.")
		return
	}
	d, err := index.LoadDetail(r.Context(), s.arc, id)
	if s.failed(w, r, err) {
		return
	}
	v := r.URL.Query()
	q, sort := v.Get("q"), v.Get("sort")
	if !validSort(sort) {
		sort = "-date"
	}
	pageNo, _ := strconv.Atoi(v.Get("page"))
	pageNo = min(max(pageNo, 1), maxPage)
	if len(q) > maxQueryLen {
		q = ""
	}
	base := "/message/" + d.ID
	keep := url.Values{}
	if q != "" || v.Has("page") || v.Has("sort") {
		keep = backValues(q, pageNo, sort)
	}
	with := func(extra ...string) string {
		u := url.Values{}
		for k, vs := range keep {
			u[k] = vs
		}
		for i := 0; i+1 < len(extra); i += 2 {
			u.Set(extra[i], extra[i+1])
		}
		if len(u) == 0 {
			return base
		}
		return base + "?" + u.Encode()
	}
	subject := d.Subject
	if subject == "" {
		subject = "(no subject)"
	}
	data := &messagePage{
		page:    page{Title: subject, Nav: "search", Query: q, Sort: sort},
		D:       d,
		M:       d.Message,
		Back:    searchURL(q, pageNo, sort),
		Text:    renderText(d.Text),
		TextURL: with(),
		HTMLURL: with("view", "html"),
	}
	if d.Date != nil {
		data.Date = *d.Date
	}
	if d.HasHTML && v.Get("view") == "html" {
		data.HTMLView = true
		data.Remote = v.Get("remote") == "1"
		data.FrameURL = base + "/html"
		if data.Remote {
			data.FrameURL += "?remote=1"
		} else if message.SanitizeHTML(d.Message.HTML, message.SanitizeOptions{}).RemoteBlocked {
			data.RemoteURL = with("view", "html", "remote", "1")
		}
	}
	for _, a := range d.Attachments {
		data.Attachments = append(data.Attachments, attachmentView{AttachmentInfo: a,
			Name: displayName(a), URL: base + "/part/" + a.Path})
	}
	for _, l := range d.Locations {
		lv := locationView{LocationInfo: l}
		if l.GoneSince != nil {
			lv.Gone = *l.GoneSince
		}
		data.Locations = append(data.Locations, lv)
	}
	data.Thread = s.thread(r.Context(), d, func(id string) string { return messageURL(id, q, pageNo, sort) })
	s.render(w, r, http.StatusOK, "message", data)
}

func backValues(q string, pageNo int, sort string) url.Values {
	u, _ := url.ParseQuery(strings.TrimPrefix(searchURL(q, pageNo, sort), "/?"))
	return u
}

func displayName(a index.AttachmentInfo) string {
	if n := safeFilename(a.Filename); n != "" {
		return n
	}
	return "part " + a.Path
}

// urlPattern finds links in plain text.
var urlPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`https?://[^\s<>"]+`) })

// renderText escapes a plain text body, links its http(s) URLs and marks
// quoted lines.
func renderText(text string) template.HTML {
	var b strings.Builder
	b.Grow(len(text) + len(text)/8)
	for line := range strings.Lines(text) {
		quoted := strings.HasPrefix(line, ">")
		if quoted {
			b.WriteString(`<span class="quote">`)
		}
		last := 0
		for _, m := range urlPattern().FindAllStringIndex(line, -1) {
			end := m[1]
			for end > m[0] && strings.ContainsRune(".,;:!?)]}'", rune(line[end-1])) {
				end--
			}
			b.WriteString(template.HTMLEscapeString(line[last:m[0]]))
			u := line[m[0]:end]
			b.WriteString(`<a href="` + template.HTMLEscapeString(u) + `" rel="noopener noreferrer" target="_blank">`)
			b.WriteString(template.HTMLEscapeString(u) + "</a>")
			last = end
		}
		if quoted {
			rest := strings.TrimRight(line[last:], "\n")
			b.WriteString(template.HTMLEscapeString(rest) + "</span>" + line[last+len(rest):])
			continue
		}
		b.WriteString(template.HTMLEscapeString(line[last:]))
	}
	return template.HTML(b.String())
}

// htmlCSP is the policy of the mail HTML route. The document may make no
// request at all: no script (there is no script-src, and the frame has no
// allow-scripts), no fonts, no forms, no <base>; styles only inline (the
// sanitizer has filtered them); images only data: URLs, which is how
// cid: images arrive (see cidImages). With remote images allowed for one
// view, img-src adds http: and https:. The CSP sandbox keeps the document
// scriptless and of an opaque origin even when opened outside its frame;
// allow-popups lets a link open in a new tab (links carry target=_blank
// and rel=noopener noreferrer). Only this origin may frame it.
const htmlCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; " +
	"frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"

const htmlCSPRemote = "default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:; form-action 'none'; base-uri 'none'; " +
	"frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"

// htmlHead starts the document the mail HTML is put in.
const htmlHead = `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
	`<meta name="color-scheme" content="light">` +
	`<style>body{margin:0;padding:12px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;` +
	`color:#111;background:#fff;overflow-wrap:anywhere}img{max-width:100%;height:auto}` +
	`img[data-blocked]{outline:1px dashed #bbb;min-width:16px;min-height:16px}</style></head><body>`

func (s *Server) handleHTML(w http.ResponseWriter, r *http.Request) {
	_, raw, ok := s.readMessage(w, r)
	if !ok {
		return
	}
	m := message.Parse(bytes.NewReader(raw))
	remote := r.URL.Query().Get("remote") == "1"
	res := message.SanitizeHTML(m.HTML, message.SanitizeOptions{AllowRemote: remote, CIDURL: cidImages(raw, m)})
	h := w.Header()
	if remote {
		h.Set("Content-Security-Policy", htmlCSPRemote)
	} else {
		h.Set("Content-Security-Policy", htmlCSP)
	}
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "private, no-cache")
	io.WriteString(w, htmlHead)
	io.WriteString(w, res.HTML)
	io.WriteString(w, "</body></html>")
}

// handleAPIMessage serves index.Detail as JSON, as "mailkeep show --json".
func (s *Server) handleAPIMessage(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(r)
	if !ok {
		s.notFound(w, r, "no message with this id")
		return
	}
	d, err := index.LoadDetail(r.Context(), s.arc, id)
	if missing(err) {
		s.notFound(w, r, "no message with this id in the archive")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, d)
}
