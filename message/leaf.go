package message

import (
	"bytes"
	"io"
	"strings"

	htmlcharset "golang.org/x/net/html/charset"
)

// textual reports the media types whose text goes into Message.Text.
func textual(ct string) bool {
	switch ct {
	case "text/plain", "text/html", "text/enriched", "text/richtext", "text/rfc822-headers",
		"message/delivery-status", "message/disposition-notification", "text/x-vcard", "text/vcard", "text/calendar":
		return true
	}
	return false
}

// leaf reads the body of a non-multipart entity up to its end.
func (p *parser) leaf(c entityCtx, h header, ct string, prm params, cte string, bodyStart int64) hit {
	enclosedEncoded := ct == "message/rfc822" || ct == "message/global" || ct == "message/news"
	var col *collector
	cnt := &counter{}
	var sink io.Writer = cnt
	wantInner := enclosedEncoded && c.depth < MaxDepth && (p.target == "" || strings.HasPrefix(p.target, c.path+"."))
	switch {
	case wantInner:
		col = &collector{max: maxEncodedMessage}
	case p.target != "":
	case ct == "text/html":
		col = &collector{max: MaxHTMLBytes}
	case textual(ct):
		col = &collector{max: 2*max(MaxTextBytes-p.textLen, 0) + 16}
	}
	if col != nil && !wantInner {
		// The bytes live only until leafDone has decoded them.
		buf := textBufs.Get().(*[]byte)
		col.b = (*buf)[:0]
		defer func() {
			if cap(col.b) <= maxPooledText {
				*buf = col.b[:0]
				textBufs.Put(buf)
			}
		}()
	}
	if col != nil {
		sink = io.MultiWriter(cnt, col)
	}
	switch cte {
	case "", "base64", "quoted-printable":
	default:
		p.problem("part %s: unknown Content-Transfer-Encoding %q read as is", c.path, cutUTF8(strings.ToValidUTF8(cte, "?"), 40))
	}
	dec := newTransferDecoder(cte, sink)
	if p.target != "" && !wantInner {
		// Finding a part needs only where its body is.
		dec = identity{io.Discard}
	}
	var end hit
	eol := 0
	for {
		l, bh, ok := p.nextLine()
		if !ok {
			if eol > 0 {
				dec.Write(crlf[2-eol:])
			}
			end = p.endAtEOF()
			break
		}
		if bh.level >= 0 {
			end = bh
			break
		}
		if eol > 0 {
			dec.Write(crlf[2-eol:])
		}
		dec.Write(l.b)
		eol = l.eol
	}
	dec.Close()
	if n := dec.bad(); n > 0 && p.target == "" {
		p.problem("part %s: %d bytes of bad %s skipped", c.path, n, cte)
	}
	if p.target == c.path && p.found == nil {
		p.found = &location{src: p.src, start: bodyStart, end: max(end.end, bodyStart), ctype: ct, charset: prm["charset"], cte: cte}
		p.found.filename = p.filenameOf(h, prm)
		p.stopped = true
		return end
	}
	var data []byte
	if col != nil {
		data = col.b
		switch {
		case !col.over || wantInner:
		case ct == "text/html":
			p.truncate("part %s: HTML over %d bytes cut", c.path, MaxHTMLBytes)
		default:
			p.truncate("text over %d bytes cut", MaxTextBytes)
		}
	}
	if wantInner {
		if col.over {
			p.truncate("part %s: encoded message over %d bytes cut", c.path, maxEncodedMessage)
		}
		p.encodedMessage(c, h, ct, data, cnt.n)
		return end
	}
	p.leafDone(c, h, ct, prm, bodyStart, end.end, data, cnt.n)
	return end
}

// encodedMessage parses a base64 or quoted-printable message/rfc822 part
// from its decoded bytes.
func (p *parser) encodedMessage(c entityCtx, h header, ct string, data []byte, size int64) {
	if p.target == "" {
		a := p.attachment(c, h, ct, nil)
		a.Size = size
		p.m.Attachments = append(p.m.Attachments, a)
	}
	saveLR, saveBounds, saveSrc := p.lr, p.bounds, p.src
	p.lr, p.bounds, p.src = newLineReader(bytes.NewReader(data)), nil, data
	p.entity(entityCtx{path: c.path + ".1", childPrefix: c.path, depth: c.depth + 1, dflt: "text/plain", message: true, enclosed: true})
	p.lr.release()
	p.lr, p.bounds, p.src = saveLR, saveBounds, saveSrc
}

// leafDone files a leaf: its text, its HTML, its attachment entry.
func (p *parser) leafDone(c entityCtx, h header, ct string, prm params, start, end int64, data []byte, size int64) {
	if p.target != "" {
		if p.target == c.path && p.found == nil {
			p.found = &location{src: p.src, start: start, end: max(end, start), ctype: ct, charset: prm["charset"],
				cte: transferEncoding(h.get("content-transfer-encoding")), filename: p.filenameOf(h, prm)}
			p.stopped = true
		}
		return
	}
	disp, _, _ := parseStructured(h.get("content-disposition"))
	filename := p.filenameOf(h, prm)
	body := (ct == "text/plain" || ct == "text/html" || ct == "text/enriched") && disp != "attachment" && filename == ""
	if !body {
		a := p.attachment(c, h, ct, prm)
		a.Size = size
		p.m.Attachments = append(p.m.Attachments, a)
	}
	if data == nil || !textual(ct) {
		return
	}
	label := prm["charset"]
	if label == "" && ct == "text/html" {
		if _, name, certain := htmlcharset.DetermineEncoding(data, ""); certain || (name != "windows-1252" && name != "utf-8") {
			label = name
		}
	}
	s, prob := toUTF8(data, label, p.hint)
	if prob != "" {
		p.problem("part %s: %s", c.path, prob)
	}
	if ct == "text/html" {
		if body && !p.htmlSet && !c.enclosed {
			p.htmlSet = true
			p.m.HTML = s
		}
		p.addText(htmlToText(s, 2*MaxTextBytes), true)
		return
	}
	if ct == "text/enriched" || ct == "text/richtext" {
		s = stripEnriched(s)
	}
	p.addText(s, false)
}

// stripEnriched removes the formatting commands of text/enriched.
func stripEnriched(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		if strings.HasPrefix(s[i:], "<<") {
			b.WriteByte('<')
			s = s[i+2:]
			continue
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 || j > 64 {
			b.WriteByte('<')
			s = s[i+1:]
			continue
		}
		s = s[i+j+1:]
	}
}

func (p *parser) filenameOf(h header, prm params) string {
	_, dprm, _ := parseStructured(h.get("content-disposition"))
	name := dprm["filename"]
	if name == "" {
		name = prm["name"]
	}
	if name == "" {
		return ""
	}
	return cleanFilename(decodeHeader(name, p.hint))
}

// cleanFilename keeps the last path element of a name, without control
// characters, at most 255 bytes.
func cleanFilename(s string) string {
	s = cleanLine(s)
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		s = ""
	}
	return cutUTF8(s, 255)
}

func (p *parser) attachment(c entityCtx, h header, ct string, prm params) Attachment {
	if prm == nil {
		_, prm, _ = parseStructured(h.get("content-type"))
	}
	disp, _, _ := parseStructured(h.get("content-disposition"))
	cid := cleanLine(decodeHeader(h.get("content-id"), p.hint))
	cid = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">"))
	return Attachment{
		Path:        c.path,
		Filename:    p.filenameOf(h, prm),
		ContentType: ct,
		ContentID:   cutUTF8(cid, 998),
		Inline:      disp == "inline" || (disp == "" && cid != ""),
	}
}
