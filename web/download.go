package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailkeep/mailkeep/message"
)

// downloadCSP is the policy of raw messages and attachments: whatever a
// browser makes of them, it runs nothing and loads nothing.
const downloadCSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"

// Limits of inline (cid:) images, which the HTML view embeds as data: URLs.
const (
	maxInlineImage  = 2 << 20
	maxInlineTotal  = 8 << 20
	maxInlineImages = 50
	maxFilenameLen  = 180 // bytes of a download's file name
)

// imageTypes are the attachment types shown in the browser rather than
// downloaded. SVG is not one of them: it can hold script.
var imageTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/avif": true, "image/bmp": true,
}

// handleRaw serves the archived bytes exactly: as a .eml download, or with
// ?view=1 as plain text for "view source".
func (s *Server) handleRaw(w http.ResponseWriter, r *http.Request) {
	id, ok := parseID(r)
	if !ok {
		s.notFound(w, r, "There is no message with this id.")
		return
	}
	info, err := s.arc.Info(r.Context(), id)
	if s.failed(w, r, err) {
		return
	}
	rc, err := s.arc.Open(id)
	if s.failed(w, r, err) {
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Security-Policy", downloadCSP)
	etag := `"` + id.String() + `"` // the id is the hash of the bytes
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=86400")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.URL.Query().Get("view") == "1" {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Disposition", "inline")
	} else {
		name := safeFilename(info.Subject)
		if name == "" {
			name = id.Short()
		}
		h.Set("Content-Type", "message/rfc822")
		h.Set("Content-Disposition", contentDisposition("attachment", truncateName(name, maxFilenameLen-4)+".eml"))
	}
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	if _, err := io.Copy(w, rc); err != nil {
		// The bytes did not verify or could not be read: cut the
		// response rather than end a wrong download cleanly.
		s.log.Error("serve raw message", "id", id.String(), "err", err, "request_id", requestID(r))
		panic(http.ErrAbortHandler)
	}
}

// handlePart serves one attachment: images inline, anything else as a
// download, always under nosniff and downloadCSP.
func (s *Server) handlePart(w http.ResponseWriter, r *http.Request) {
	id, raw, ok := s.readMessage(w, r)
	if !ok {
		return
	}
	path := r.PathValue("path")
	ctype, filename, body, err := message.Part(raw, path)
	if errors.Is(err, message.ErrNoPart) {
		s.notFound(w, r, "This message has no such part.")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	mt, ctype := cleanType(ctype)
	name := safeFilename(filename)
	if name == "" {
		name = "part-" + path + extensionFor(mt)
	}
	disp := "attachment"
	if imageTypes[mt] {
		disp = "inline"
	}
	h := w.Header()
	h.Set("Content-Security-Policy", downloadCSP)
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", contentDisposition(disp, name))
	h.Set("Cache-Control", "private, max-age=86400")
	if _, err := io.Copy(w, body); err != nil {
		s.log.Error("serve part", "id", id.String(), "part", path, "err", err, "request_id", requestID(r))
		panic(http.ErrAbortHandler)
	}
}

// cleanType re-formats a part's media type from its parts, so that what
// reaches the header is well-formed; anything unreadable is
// application/octet-stream.
func cleanType(ctype string) (mediaType, header string) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || !strings.Contains(mt, "/") {
		return "application/octet-stream", "application/octet-stream"
	}
	keep := map[string]string{}
	if cs, ok := params["charset"]; ok && strings.HasPrefix(mt, "text/") {
		keep["charset"] = cs
	}
	h := mime.FormatMediaType(mt, keep)
	if h == "" {
		return "application/octet-stream", "application/octet-stream"
	}
	return mt, h
}

func extensionFor(mt string) string {
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

// safeFilename makes a name from a message safe to offer as a file name:
// only its last path component, no control, format (bidi overrides) or
// quote characters, no leading dots or trailing dots and spaces, at most
// maxFilenameLen bytes. It returns "" when nothing is left.
func safeFilename(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '"' || r == '\'' || r == '`' || r == ':' || r == '*' || r == '?' || r == '<' || r == '>' || r == '|' || r == ';':
			return '_'
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	name = strings.TrimLeft(name, ". ")
	name = strings.TrimRight(name, ". ")
	return truncateName(name, maxFilenameLen)
}

// truncateName cuts a name to n bytes at a character boundary, keeping a
// short extension.
func truncateName(name string, n int) string {
	if len(name) <= n {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 10 {
		ext = name[i:]
		name = name[:i]
	}
	cut := n - len(ext)
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return strings.TrimRight(name[:cut], ". ") + ext
}

// contentDisposition writes a Content-Disposition header value with an
// ASCII filename= for old clients and the UTF-8 name in filename*
// (RFC 6266, RFC 5987).
func contentDisposition(disp, name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	v := disp + `; filename="` + ascii + `"`
	if ascii != name {
		v += "; filename*=UTF-8''" + url.PathEscape(name)
	}
	return v
}

// cidImages returns the message's cid: resolver for SanitizeHTML: an
// inline image the message holds becomes a data: URL (within the limits
// above), so the HTML view needs no request at all.
func cidImages(raw []byte, m *message.Message) func(string) string {
	byCID := map[string]message.Attachment{}
	for _, a := range m.Attachments {
		if a.ContentID != "" && a.Size <= maxInlineImage {
			if _, dup := byCID[a.ContentID]; !dup {
				byCID[a.ContentID] = a
			}
		}
	}
	done := map[string]string{}
	total, n := 0, 0
	return func(cid string) string {
		if u, ok := done[cid]; ok {
			return u
		}
		a, ok := byCID[cid]
		if !ok || n >= maxInlineImages {
			return ""
		}
		n++
		ctype, _, body, err := message.Part(raw, a.Path)
		mt, _ := cleanType(ctype)
		if err != nil || !imageTypes[mt] {
			done[cid] = ""
			return ""
		}
		data, err := io.ReadAll(io.LimitReader(body, maxInlineImage+1))
		if err != nil || len(data) > maxInlineImage || total+len(data) > maxInlineTotal {
			done[cid] = ""
			return ""
		}
		total += len(data)
		u := fmt.Sprintf("data:%s;base64,%s", mt, base64.StdEncoding.EncodeToString(data))
		done[cid] = u
		return u
	}
}
