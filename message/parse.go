package message

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	if len(p.m.Problems) > MaxProblems {
		return
	}
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
