package message

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	htmlcharset "golang.org/x/net/html/charset"
)

// Parse reads a raw message and returns its decoded view. It never fails:
// problems, including a read error, are recorded in the result.
func Parse(r io.Reader) *Message {
	p := newParser(r)
	p.run()
	p.lr.release()
	return p.m
}

// hit is how a run of lines ended: at a boundary line of an open multipart
// (level indexes parser.bounds) or at the end of the input (level -1).
type hit struct {
	level int
	close bool  // a close delimiter ("--b--")
	end   int64 // where the content before the boundary line ends
}

var eof = hit{level: -1}

var crlf = []byte("\r\n")

// entityCtx says where an entity sits in the MIME tree.
type entityCtx struct {
	path        string // IMAP section of this entity as a leaf
	childPrefix string // prefix of the sections of its children
	depth       int
	dflt        string // default Content-Type
	top         bool   // the message itself
	message     bool   // has message headers (top or enclosed)
	enclosed    bool   // inside an enclosed message
}

// location is where a part's body is in its source.
type location struct {
	src        []byte // nil: the input; else the decoded enclosing message
	start, end int64
	ctype      string
	charset    string
	filename   string
	cte        string
}

type parser struct {
	lr      *lineReader
	m       *Message
	bounds  []string // boundaries of the open multiparts, outermost first
	nparts  int
	stopped bool
	hint    string // first non-ASCII charset declared in the message
	topHdr  header
	segs    []segment
	textLen int
	htmlSet bool
	seen    map[string]bool

	// Part mode: find target instead of decoding.
	target string
	src    []byte // what the current line reader reads, in Part mode
	found  *location
}

func newParser(r io.Reader) *parser {
	return &parser{lr: newLineReader(r), m: &Message{}, seen: map[string]bool{}}
}

func (p *parser) run() {
	defer func() {
		if v := recover(); v != nil {
			p.problem("internal error: %v", v)
		}
	}()
	p.entity(entityCtx{path: "1", dflt: "text/plain", top: true, message: true})
	if err := p.lr.readErr(); err != nil {
		p.problem("read: %v", err)
	}
	if p.target != "" {
		return
	}
	// Count what was not parsed.
	if p.lr.err == nil {
		n, err := io.Copy(io.Discard, p.lr.br)
		p.lr.off += n
		if err != nil {
			p.problem("read: %v", err)
		}
	}
	p.m.Size = p.lr.off
	p.finish()
}

// problem records a parse problem, once, up to MaxProblems.
func (p *parser) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if p.seen[msg] {
		return
	}
	p.seen[msg] = true
	switch n := len(p.m.Problems); {
	case n < MaxProblems:
		p.m.Problems = append(p.m.Problems, msg)
	case n == MaxProblems:
		p.m.Problems = append(p.m.Problems, "more problems not listed")
	}
}

func (p *parser) truncate(format string, args ...any) {
	p.m.Truncated = true
	p.problem(format, args...)
}

// nextLine returns the next line and, when it is a boundary line of an
// open multipart, the hit (else level -1). False at the end of input.
func (p *parser) nextLine() (line, hit, bool) {
	if p.stopped {
		return line{}, eof, false
	}
	l, ok := p.lr.next()
	if !ok {
		return l, eof, false
	}
	if l.cont || l.frag || len(l.b) < 2 || l.b[0] != '-' || l.b[1] != '-' || len(p.bounds) == 0 {
		return l, eof, true
	}
	rest := l.b[2:]
	for i := len(p.bounds) - 1; i >= 0; i-- {
		bd := p.bounds[i]
		if len(rest) < len(bd) || string(rest[:len(bd)]) != bd {
			continue
		}
		r := rest[len(bd):]
		h := hit{level: i, end: l.start - int64(l.prevEOL)}
		if len(r) >= 2 && r[0] == '-' && r[1] == '-' {
			h.close = true
			return l, h, true
		}
		if len(bytes.Trim(r, " \t")) == 0 {
			return l, h, true
		}
	}
	return l, eof, true
}

// endAtEOF is the hit at the end of the input.
func (p *parser) endAtEOF() hit {
	return hit{level: -1, end: p.lr.off}
}

// readHeader reads a header block. It returns the header, and either the
// hit that ended the entity before any body (done) or nothing, the body
// following at bodyStart.
func (p *parser) readHeader(top bool) (h header, end hit, done bool, bodyStart int64) {
	var hb headerBuilder
	first := top
	defer func() {
		if hb.truncated {
			p.truncate("header block over %d bytes cut", MaxHeaderBytes)
		}
		if hb.cutField {
			p.truncate("header field over %d bytes cut", MaxFieldBytes)
		}
	}()
	for {
		l, bh, ok := p.nextLine()
		if !ok {
			hb.finish()
			return hb.h, p.endAtEOF(), true, 0
		}
		if bh.level >= 0 {
			hb.finish()
			return hb.h, bh, true, 0
		}
		if l.cont {
			hb.cont(l.b)
			continue
		}
		b := l.b
		if first {
			first = false
			b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
			if bytes.HasPrefix(b, []byte("From ")) || (len(b) > 0 && len(b) < 12 && allDigits(b)) {
				// An mbox From_ line or the byte count of an Apple .emlx.
				continue
			}
		}
		if len(b) == 0 && !l.frag {
			hb.finish()
			return hb.h, hit{}, false, p.lr.off
		}
		if b[0] == ' ' || b[0] == '\t' {
			if !hb.open && len(hb.h) == 0 && !hb.truncated {
				// White space before the first field: nothing to continue.
				continue
			}
			hb.cont(b)
			continue
		}
		if name, val, ok := fieldName(b); ok {
			if name == "" {
				hb.finish()
				continue
			}
			hb.start(name, val)
			continue
		}
		// Not a header line: the header ends without its blank line and
		// this line starts the body.
		hb.finish()
		if len(hb.h) > 0 || !top {
			p.problem("header not ended by an empty line")
		} else {
			p.problem("no header")
		}
		p.lr.unread(l)
		return hb.h, hit{}, false, l.start
	}
}

func allDigits(b []byte) bool {
	for _, c := range bytes.TrimSpace(b) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// entity parses one entity (the message, a part, or an enclosed message)
// and returns how it ended.
func (p *parser) entity(c entityCtx) hit {
	p.nparts++
	if p.nparts > MaxParts {
		p.truncate("more than %d MIME parts; the rest is not parsed", MaxParts)
		p.stopped = true
		return eof
	}
	h, end, done, bodyStart := p.readHeader(c.top)
	if c.top {
		p.topHdr = h
	}
	ct, prm, dup := mediaType(h, c.dflt)
	for _, d := range dup {
		p.problem("part %s: duplicate %s parameter (first used)", c.path, d)
	}
	for _, name := range []string{"content-type", "content-transfer-encoding", "content-disposition", "content-id"} {
		if h.count(name) > 1 {
			p.problem("part %s: %d %s fields (first used)", c.path, h.count(name), name)
		}
	}
	if cs := prm["charset"]; p.hint == "" && cs != "" {
		switch l := normalizeLabel(cs); l {
		case "utf-8", "us-ascii", "ascii", "utf-16":
		default:
			if knownCharset(cs) {
				p.hint = cs
			}
		}
	}
	if c.message && !c.top && p.target == "" {
		p.summary(h)
	}
	cte := transferEncoding(h.get("content-transfer-encoding"))
	if done {
		// No body at all.
		if !strings.HasPrefix(ct, "multipart/") && !strings.HasPrefix(ct, "message/") {
			p.leafDone(c, h, ct, prm, end.end, end.end, nil, 0)
		}
		return end
	}
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		bd := prm["boundary"]
		switch {
		case bd == "":
			p.problem("part %s: %s without boundary, read as text", c.path, ct)
			return p.leaf(c, h, "text/plain", prm, cte, bodyStart)
		case c.depth >= MaxDepth:
			p.truncate("MIME nesting deeper than %d levels not parsed", MaxDepth)
			return p.skip()
		}
		return p.multipart(c, ct, bd)
	case ct == "message/rfc822" || ct == "message/global" || ct == "message/news":
		if c.depth >= MaxDepth {
			p.truncate("MIME nesting deeper than %d levels not parsed", MaxDepth)
			return p.leaf(c, h, ct, prm, cte, bodyStart)
		}
		if cte == "" {
			return p.enclosed(c, h, ct, bodyStart)
		}
	}
	return p.leaf(c, h, ct, prm, cte, bodyStart)
}

// skip reads lines up to the next boundary of an open multipart.
func (p *parser) skip() hit {
	for {
		_, h, ok := p.nextLine()
		if !ok {
			return p.endAtEOF()
		}
		if h.level >= 0 {
			return h
		}
	}
}

func (p *parser) multipart(c entityCtx, ct, boundary string) hit {
	lvl := len(p.bounds)
	p.bounds = append(p.bounds, boundary)
	pre := collector{max: 64 << 10}
	// Preamble.
	var h hit
	for {
		l, bh, ok := p.nextLine()
		if !ok {
			h = p.endAtEOF()
			break
		}
		if bh.level >= 0 {
			h = bh
			break
		}
		if p.target == "" {
			pre.Write(l.b)
			if l.eol > 0 {
				pre.Write(crlf[1:])
			}
		}
	}
	dflt := "text/plain"
	if ct == "multipart/digest" {
		dflt = "message/rfc822"
	}
	segStart := len(p.segs)
	var childStarts []int
	n := 0
	for h.level == lvl && !h.close {
		n++
		childStarts = append(childStarts, len(p.segs))
		path := strconv.Itoa(n)
		if c.childPrefix != "" {
			path = c.childPrefix + "." + path
		}
		h = p.entity(entityCtx{path: path, childPrefix: path, depth: c.depth + 1, dflt: dflt, enclosed: c.enclosed})
	}
	p.bounds = p.bounds[:lvl]
	if h.level == lvl {
		// Closed: the epilogue runs to an outer boundary.
		h = p.skip()
	} else if h.level < 0 && !p.stopped {
		p.problem("part %s: %s not closed", c.path, ct)
	}
	if n == 0 && p.target == "" {
		p.problem("part %s: %s without parts", c.path, ct)
		if len(bytes.TrimSpace(pre.b)) > 0 {
			s, prob := toUTF8(pre.b, "", p.hint)
			if prob != "" {
				p.problem("part %s: %s", c.path, prob)
			}
			p.addText(s, false)
		}
	}
	if ct == "multipart/alternative" && p.target == "" {
		p.pickAlternative(segStart, childStarts)
	}
	return h
}

// pickAlternative keeps the text of one alternative: the first with plain
// text, unless it is a stub next to a much longer HTML one, or else the
// last with any text.
func (p *parser) pickAlternative(start int, childStarts []int) {
	if len(childStarts) < 2 {
		return
	}
	type alt struct {
		from, to   int
		plain, all int
	}
	alts := make([]alt, len(childStarts))
	for i, from := range childStarts {
		to := len(p.segs)
		if i+1 < len(childStarts) {
			to = childStarts[i+1]
		}
		a := alt{from: from, to: to}
		for _, s := range p.segs[from:to] {
			n := len(strings.TrimSpace(s.text))
			a.all += n
			if !s.html {
				a.plain += n
			}
		}
		alts[i] = a
	}
	pick, richest := -1, -1
	for i, a := range alts {
		if pick < 0 && a.plain > 0 {
			pick = i
		}
		if a.all > 0 && (richest < 0 || a.all >= alts[richest].all) {
			richest = i
		}
	}
	switch {
	case pick < 0:
		pick = richest
	case richest >= 0 && alts[pick].all < 200 && alts[richest].all > 4*alts[pick].all:
		pick = richest
	}
	if pick < 0 {
		return
	}
	kept := append([]segment(nil), p.segs[alts[pick].from:alts[pick].to]...)
	p.segs = append(p.segs[:start], kept...)
	p.textLen = 0
	for _, s := range p.segs {
		p.textLen += len(s.text) + 2
	}
}

// enclosed parses a message/rfc822 part in place: its header and body are
// read from the same lines.
func (p *parser) enclosed(c entityCtx, h header, ct string, bodyStart int64) hit {
	idx := -1
	if p.target == "" {
		a := p.attachment(c, h, ct, nil)
		p.m.Attachments = append(p.m.Attachments, a)
		idx = len(p.m.Attachments) - 1
	}
	end := p.entity(entityCtx{path: c.path + ".1", childPrefix: c.path, depth: c.depth + 1, dflt: "text/plain", message: true, enclosed: true})
	if end.level < 0 && !p.stopped {
		end = p.endAtEOF()
	}
	if idx >= 0 && end.end >= bodyStart {
		p.m.Attachments[idx].Size = end.end - bodyStart
	}
	if p.target == c.path && p.found == nil {
		p.found = &location{src: p.src, start: bodyStart, end: max(end.end, bodyStart), ctype: ct}
		p.stopped = true
	}
	return end
}

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
	if col != nil {
		sink = io.MultiWriter(cnt, col)
	}
	if p.target != "" && !wantInner {
		sink = io.Discard
	}
	switch cte {
	case "", "base64", "quoted-printable":
	default:
		p.problem("part %s: unknown Content-Transfer-Encoding %q read as is", c.path, cutUTF8(strings.ToValidUTF8(cte, "?"), 40))
	}
	dec := newTransferDecoder(cte, sink)
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

// addText appends text to Message.Text within MaxTextBytes.
func (p *parser) addText(s string, html bool) {
	s = strings.TrimSpace(cleanText(s))
	if s == "" {
		return
	}
	room := MaxTextBytes - p.textLen - 2
	if room <= 0 {
		p.truncate("text over %d bytes cut", MaxTextBytes)
		return
	}
	if len(s) > room {
		s = cutUTF8(s, room)
		p.truncate("text over %d bytes cut", MaxTextBytes)
	}
	p.segs = append(p.segs, segment{text: s, html: html})
	p.textLen += len(s) + 2
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

// summary adds the header of an enclosed message to the text.
func (p *parser) summary(h header) {
	var b strings.Builder
	for _, f := range []struct{ name, label string }{
		{"from", "From"}, {"to", "To"}, {"cc", "Cc"}, {"date", "Date"}, {"subject", "Subject"},
	} {
		v := h.get(f.name)
		if v == "" {
			continue
		}
		var s string
		switch f.name {
		case "from", "to", "cc":
			var parts []string
			for _, a := range parseAddressList(v, p.hint) {
				parts = append(parts, a.String())
			}
			s = strings.Join(parts, ", ")
		default:
			s = cleanLine(decodeHeader(v, p.hint))
		}
		if s != "" {
			b.WriteString(f.label + ": " + cutUTF8(s, 4096) + "\n")
		}
	}
	if b.Len() > 0 {
		p.addText(b.String(), false)
	}
}

// finish decodes the top-level header and assembles the text.
func (p *parser) finish() {
	m, h := p.m, p.topHdr
	m.Subject = cleanLine(decodeHeader(h.get("subject"), p.hint))
	m.From = p.addresses(h, "from")
	m.Sender = p.addresses(h, "sender")
	m.To = p.addresses(h, "to")
	m.Cc = p.addresses(h, "cc")
	m.Bcc = p.addresses(h, "bcc")
	m.ReplyTo = p.addresses(h, "reply-to")
	if v := h.get("date"); v != "" {
		if t, ok := parseDate(v); ok {
			m.Date = t
		} else {
			p.problem("unparseable Date %q", cutUTF8(cleanLine(rawToUTF8(v, p.hint)), 80))
		}
	}
	m.MessageID = firstMsgID(h.get("message-id"))
	m.InReplyTo = msgIDs(h.get("in-reply-to"), MaxReferences)
	m.References = msgIDs(strings.Join(h.all("references"), " "), MaxReferences)
	for _, a := range m.Attachments {
		if !(a.Inline && a.ContentID != "") {
			m.HasAttachment = true
		}
	}
	var b strings.Builder
	for i, s := range p.segs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(s.text)
	}
	m.Text = cutUTF8(b.String(), MaxTextBytes)
}

func (p *parser) addresses(h header, name string) []Address {
	vs := h.all(name)
	if len(vs) == 0 {
		return nil
	}
	return parseAddressList(strings.Join(vs, ", "), p.hint)
}
