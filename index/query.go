package index

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The search language (DESIGN.md, "Search language"):
//
//	word  "a phrase"       search subject, from, to, cc, body and filenames
//	wor*                   words that begin with "wor" (at least 2 letters)
//	*                      every message
//	a b                    both (AND is implied; the word AND is allowed)
//	a OR b                 either (OR in capitals binds tighter than AND)
//	-word  -field:x        without
//	( … )  field:( … )     grouping; a field before a group applies inside
//	from: to: cc: subject: body: filename:   words or phrases in one field
//	in:MAILBOX             "account/mailbox" or the bare mailbox name
//	account:NAME
//	after:DATE before:DATE DATE is YYYY-MM-DD (or YYYY-MM, YYYY); after
//	                       includes the day, before excludes it
//	has:attachment  is:unread is:read is:flagged is:unflagged is:answered is:draft
//	id:HEX                 a message id (sha256) or a prefix of 8+ digits,
//	id:<message-id>        or a Message-ID, with or without <>
//	larger:SIZE smaller:SIZE   raw size, like 100k or 5M
//
// Case and accents never matter (see textAnalyzer). Parse turns a query into
// a tree of Nodes; translate (bleve.go) turns the tree into a Bleve query.

// Limits of a query.
const (
	maxQueryBytes = 4096
	maxQueryTerms = 256
	maxQueryDepth = 32
	// minPrefix is the fewest characters before a * : a shorter prefix
	// would stand for too many words to search quickly.
	minPrefix = 2
)

// SyntaxError is a query the parser rejects. Pos is the 1-based column (in
// characters) where the problem is.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("query: %s at column %d", e.Msg, e.Pos)
}

// Node is a parsed query: *Term, *And, *Or or *Not. String gives a compact
// form for tests and debugging.
type Node interface {
	String() string
	node()
}

// Term is one word or phrase, in a field or ("" Field) in the default
// fields. Value is as typed (without the quotes of a phrase); fields with a
// fixed vocabulary (is:, has:) hold the canonical value.
type Term struct {
	Field  string
	Value  string
	Phrase bool
	Prefix bool // word*: words that begin with Value (without the *)
	All    bool // a lone *: every message
	Pos    int  // 1-based column where the term starts

	from time.Time // after:/before: the first instant of the day
	size int64     // larger:/smaller:
}

// And matches what all its nodes match.
type And struct{ Nodes []Node }

// Or matches what any of its nodes matches.
type Or struct{ Nodes []Node }

// Not matches what its node does not.
type Not struct{ Node Node }

func (*Term) node() {}
func (*And) node()  {}
func (*Or) node()   {}
func (*Not) node()  {}

func (t *Term) String() string {
	v := t.Value
	if t.Phrase || v == "" && !t.All || strings.ContainsAny(v, " \t\"()") {
		v = strconv.Quote(v)
	}
	if t.Prefix || t.All {
		v += "*"
	}
	if t.Field == "" {
		return v
	}
	return t.Field + ":" + v
}

func (a *And) String() string { return "(AND " + joinNodes(a.Nodes) + ")" }
func (o *Or) String() string  { return "(OR " + joinNodes(o.Nodes) + ")" }
func (n *Not) String() string { return "-" + n.Node.String() }

func joinNodes(ns []Node) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = n.String()
	}
	return strings.Join(s, " ")
}

// Fields of the search language.
var queryFields = map[string]bool{
	"from": true, "to": true, "cc": true, "subject": true, "body": true, "filename": true,
	"in": true, "account": true, "after": true, "before": true, "has": true, "is": true,
	"id": true, "larger": true, "smaller": true,
}

// textFields are the fields whose value is text (words, phrases, groups).
var textFields = map[string]bool{
	"from": true, "to": true, "cc": true, "subject": true, "body": true, "filename": true,
}

// isValues are the values is: accepts and the canonical one for each.
var isValues = map[string]string{
	"unread": "unread", "unseen": "unread", "new": "unread",
	"read": "read", "seen": "read",
	"flagged": "flagged", "starred": "flagged",
	"unflagged": "unflagged", "unstarred": "unflagged",
	"answered": "answered", "replied": "answered",
	"draft": "draft",
}

// Parse parses a query of the search language. An empty query (or one of
// only spaces) gives nil: everything. A query it rejects gives a
// *SyntaxError; it never panics.
func Parse(q string, loc *time.Location) (Node, error) {
	if loc == nil {
		loc = time.Local
	}
	if len(q) > maxQueryBytes {
		return nil, &SyntaxError{Pos: utf8.RuneCountInString(q[:maxQueryBytes]), Msg: fmt.Sprintf("query longer than %d bytes", maxQueryBytes)}
	}
	if !utf8.ValidString(q) {
		q = strings.ToValidUTF8(q, "\uFFFD")
	}
	p := &parser{src: []rune(q), loc: loc}
	nodes, err := p.sequence("")
	if err != nil {
		return nil, err
	}
	if p.peek() == ')' {
		return nil, p.errAt(p.pos, "unmatched )")
	}
	return andOf(nodes), nil
}

func andOf(nodes []Node) Node {
	switch len(nodes) {
	case 0:
		return nil
	case 1:
		return nodes[0]
	}
	return &And{Nodes: nodes}
}

type parser struct {
	src   []rune
	pos   int // index into src
	depth int
	terms int
	loc   *time.Location
}

func (p *parser) errAt(pos int, format string, args ...any) error {
	return &SyntaxError{Pos: pos + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) peek() rune {
	if p.pos >= len(p.src) {
		return 0
	}
	return p.src[p.pos]
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && unicode.IsSpace(p.src[p.pos]) {
		p.pos++
	}
}

// atWord reports whether the input at p.pos is the operator word w
// standing alone.
func (p *parser) atWord(w string) bool {
	n := len(w)
	if p.pos+n > len(p.src) || string(p.src[p.pos:p.pos+n]) != w {
		return false
	}
	return p.pos+n == len(p.src) || unicode.IsSpace(p.src[p.pos+n]) || p.src[p.pos+n] == '(' || p.src[p.pos+n] == ')' || p.src[p.pos+n] == '"'
}

// sequence parses terms joined by (implicit) AND up to the end or a ")".
// field is the field of an enclosing field:( … ) group.
func (p *parser) sequence(field string) ([]Node, error) {
	var nodes []Node
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || p.peek() == ')' {
			return nodes, nil
		}
		if p.atWord("AND") {
			if len(nodes) == 0 {
				return nil, p.errAt(p.pos, "AND needs a term before it")
			}
			start := p.pos
			p.pos += 3
			p.skipSpace()
			if p.pos >= len(p.src) || p.peek() == ')' || p.atWord("OR") || p.atWord("AND") {
				return nil, p.errAt(start, "AND needs a term after it")
			}
			continue
		}
		if p.atWord("OR") {
			return nil, p.errAt(p.pos, "OR needs a term before it")
		}
		n, err := p.or(field)
		if err != nil {
			return nil, err
		}
		if n != nil {
			nodes = append(nodes, n)
		}
	}
}

// or parses unary ("OR" unary)*.
func (p *parser) or(field string) (Node, error) {
	first, err := p.unary(field)
	if err != nil {
		return nil, err
	}
	nodes := []Node{first}
	for {
		save := p.pos
		p.skipSpace()
		if !p.atWord("OR") {
			p.pos = save
			break
		}
		opPos := p.pos
		p.pos += 2
		p.skipSpace()
		if p.pos >= len(p.src) || p.peek() == ')' || p.atWord("OR") || p.atWord("AND") {
			return nil, p.errAt(opPos, "OR needs a term after it")
		}
		n, err := p.unary(field)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	var kept []Node
	for _, n := range nodes {
		if n != nil {
			kept = append(kept, n)
		}
	}
	switch len(kept) {
	case 0:
		return nil, nil
	case 1:
		return kept[0], nil
	}
	return &Or{Nodes: kept}, nil
}

// unary parses "-" unary | primary. A "-" followed by a space is not an
// operator: it is punctuation and is skipped.
func (p *parser) unary(field string) (Node, error) {
	if p.peek() == '-' {
		start := p.pos
		p.pos++
		if p.pos >= len(p.src) || unicode.IsSpace(p.peek()) || p.peek() == ')' {
			return nil, nil
		}
		if err := p.enter(start); err != nil {
			return nil, err
		}
		defer p.leave()
		n, err := p.unary(field)
		if err != nil || n == nil {
			return nil, err
		}
		if inner, ok := n.(*Not); ok {
			return inner.Node, nil
		}
		return &Not{Node: n}, nil
	}
	return p.primary(field)
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > maxQueryDepth {
		return p.errAt(pos, "query nested deeper than %d levels", maxQueryDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// group parses "(" sequence ")" with p.pos at "(".
func (p *parser) group(field string) (Node, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer p.leave()
	p.pos++
	nodes, err := p.sequence(field)
	if err != nil {
		return nil, err
	}
	if p.peek() != ')' {
		return nil, p.errAt(open, "unclosed (")
	}
	p.pos++
	if len(nodes) == 0 {
		return nil, p.errAt(open, "empty parentheses")
	}
	return andOf(nodes), nil
}

// primary parses a group, a phrase, a field:value or a word.
func (p *parser) primary(field string) (Node, error) {
	start := p.pos
	switch p.peek() {
	case '(':
		return p.group(field)
	case '"':
		v, err := p.phrase()
		if err != nil {
			return nil, err
		}
		return p.term(field, v, true, start, start)
	}
	// A field name, when the word starts with one and a colon.
	if name, ok := p.fieldPrefix(); ok {
		p.pos += utf8.RuneCountInString(name) + 1
		valPos := p.pos
		switch {
		case p.pos >= len(p.src) || unicode.IsSpace(p.peek()) || p.peek() == ')':
			return nil, p.errAt(start, "%s: needs a value", name)
		case p.peek() == '(':
			if !textFields[name] {
				return nil, p.errAt(valPos, "%s: takes one value, not a group", name)
			}
			return p.group(name)
		case p.peek() == '"':
			v, err := p.phrase()
			if err != nil {
				return nil, err
			}
			return p.term(name, v, true, start, valPos)
		}
		return p.term(name, p.word(), false, start, valPos)
	}
	return p.term(field, p.word(), false, start, start)
}

// fieldPrefix reports a known field name followed by ":" at p.pos.
func (p *parser) fieldPrefix() (string, bool) {
	i := p.pos
	for i < len(p.src) && i-p.pos < 10 && (unicode.IsLetter(p.src[i])) {
		i++
	}
	if i == p.pos || i >= len(p.src) || p.src[i] != ':' {
		return "", false
	}
	name := strings.ToLower(string(p.src[p.pos:i]))
	return name, queryFields[name]
}

// word reads up to a space, a quote or a parenthesis. A "(" inside a word
// belongs to it; a ")" ends it.
func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.src) {
		r := p.src[p.pos]
		if unicode.IsSpace(r) || r == ')' || r == '"' || (r == '(' && p.pos == start) {
			break
		}
		p.pos++
	}
	return string(p.src[start:p.pos])
}

// phrase reads "…" with p.pos at the opening quote.
func (p *parser) phrase() (string, error) {
	open := p.pos
	p.pos++
	for i := p.pos; i < len(p.src); i++ {
		if p.src[i] == '"' {
			v := string(p.src[p.pos:i])
			p.pos = i + 1
			return v, nil
		}
	}
	return "", p.errAt(open, "unclosed quote")
}

// term checks a field's value and makes the Term.
func (p *parser) term(field, value string, phrase bool, start, valPos int) (Node, error) {
	p.terms++
	if p.terms > maxQueryTerms {
		return nil, p.errAt(start, "more than %d terms", maxQueryTerms)
	}
	t := &Term{Field: field, Value: value, Phrase: phrase, Pos: start + 1}
	if !phrase && (field == "" || textFields[field]) && strings.HasSuffix(value, "*") {
		t.Value = strings.TrimRight(value, "*")
		n := 0 // letters and digits; an ideograph, a word of its own, counts two
		for _, r := range t.Value {
			switch {
			case isIdeo(r):
				n += 2
			case isWordRune(r):
				n++
			}
		}
		switch {
		case t.Value == "" && field == "":
			t.All = true
		case n < minPrefix:
			return nil, p.errAt(valPos, "%q: give at least %d letters before the *", shorten(value), minPrefix)
		default:
			t.Prefix = true
		}
	}
	switch field {
	case "after", "before":
		from, ok := parseDay(strings.TrimSpace(value), p.loc)
		if !ok {
			return nil, p.errAt(valPos, "%s: wants a date like 2024-03-01, not %q", field, shorten(value))
		}
		t.from = from
	case "has":
		v := strings.ToLower(strings.TrimSpace(value))
		if v != "attachment" && v != "attachments" {
			return nil, p.errAt(valPos, "has: knows only attachment, not %q", shorten(value))
		}
		t.Value, t.Phrase = "attachment", false
	case "is":
		v, ok := isValues[strings.ToLower(strings.TrimSpace(value))]
		if !ok {
			return nil, p.errAt(valPos, "is: knows unread, read, flagged, unflagged, answered and draft, not %q", shorten(value))
		}
		t.Value, t.Phrase = v, false
	case "id":
		v := strings.Trim(strings.TrimSpace(value), "<>")
		if v == "" {
			return nil, p.errAt(valPos, "id: needs a value")
		}
		if isHex(v) && len(v) < 8 {
			return nil, p.errAt(valPos, "id: wants at least 8 hex digits of a message id, or a Message-ID")
		}
		t.Value = v
	case "larger", "smaller":
		n, ok := parseSize(value)
		if !ok {
			return nil, p.errAt(valPos, "%s: wants a size like 500k or 2M, not %q", field, shorten(value))
		}
		t.size = n
	case "in", "account":
		if strings.TrimSpace(value) == "" {
			return nil, p.errAt(valPos, "%s: needs a value", field)
		}
	}
	return t, nil
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// parseDay parses YYYY-MM-DD (or with slashes), YYYY-MM or YYYY as the
// first instant of that day (month, year) in loc.
func parseDay(s string, loc *time.Location) (time.Time, bool) {
	s = strings.ReplaceAll(s, "/", "-")
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006-01", "2006-1", "2006"} {
		t, err := time.ParseInLocation(layout, s, loc)
		if err == nil && t.Year() >= 1000 {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseSize parses 1234, 10k, 5M, 1G (binary multiples, case-insensitive,
// an optional trailing "b").
func parseSize(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, "b")
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "g"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || n < 0 || n > 1<<40 {
		return 0, false
	}
	return int64(n * float64(mult)), true
}
