package message

import "strings"

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
	if len(p.segs) == 1 {
		m.Text = cutUTF8(p.segs[0].text, MaxTextBytes)
		return
	}
	n := 0
	for _, s := range p.segs {
		n += len(s.text) + 2
	}
	var b strings.Builder
	b.Grow(n)
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
