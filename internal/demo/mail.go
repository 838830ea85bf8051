package demo

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"github.com/mailkeep/mailkeep/internal/mailgen"
)

// Account names of the demo, as the archive records them.
const (
	IMAPAccount = "home"
	POP3Account = "old-isp"
)

// Mailboxes of the IMAP account. Räkningar (Swedish: bills) is there to
// show a mailbox name outside ASCII, which IMAP sends in modified UTF-7.
const (
	Inbox     = "INBOX"
	Sent      = "Sent"
	Archive   = "Archive"
	ListsGo   = "Lists/golang"
	Bills     = "Räkningar"
	pop3Box   = "INBOX" // the POP3 maildrop, as locations record it
	genToPOP3 = "(pop3)"
)

// Message is one message of the demo and where the servers hold it.
type Message struct {
	Account string // IMAPAccount or POP3Account
	Mailbox string
	Raw     []byte // CRLF line endings: what the server sends
	Date    time.Time
	Flags   []string // IMAP flags
}

// Mail returns the demo's sample mail, the same every time for the same
// Options: o.Generated messages from mailgen (English, Greek, Bulgarian,
// Swedish and Chinese, some in legacy charsets, with attachments and HTML)
// spread over the IMAP mailboxes and the POP3 maildrop, a few of them in
// both (the archive stores those once), and the handcrafted messages that
// the example searches find: a thread, an HTML newsletter with a tracking
// pixel, an invoice with a PDF attachment and a letter in windows-1251.
func Mail(o Options) []Message {
	o = o.withDefaults()
	gen := mailgen.Generate(mailgen.Options{
		Seed:      o.Seed,
		Mailboxes: []string{Inbox, Inbox, Inbox, Sent, Archive, ListsGo, Bills, genToPOP3, genToPOP3},
		BigEvery:  -1,
	}, o.Generated)
	var out []Message
	shared := 0
	for _, g := range gen {
		m := Message{Account: IMAPAccount, Mailbox: g.Mailbox, Raw: g.Raw, Date: g.Date, Flags: g.Flags}
		if g.Mailbox == genToPOP3 {
			m.Account, m.Mailbox, m.Flags = POP3Account, pop3Box, nil
		}
		out = append(out, m)
		// The first few INBOX messages were also downloaded over POP3
		// from the old provider: the archive keeps one copy, two places.
		if g.Mailbox == Inbox && shared < 10 {
			shared++
			out = append(out, Message{Account: POP3Account, Mailbox: pop3Box, Raw: g.Raw, Date: g.Date})
		}
	}
	return append(out, handcrafted()...)
}

// People of the handcrafted messages; the example searches use them.
const (
	me      = "Alex Demo <alex@demo.example>"
	giannis = "Γιάννης Κωνσταντίνου <giannis@example.gr>"
	sofia   = "Sofia Andersson <sofia.andersson@example.se>"
)

func handcrafted() []Message {
	day := func(m time.Month, d, h int) time.Time { return time.Date(2024, m, d, h, 12, 0, 0, time.UTC) }
	var out []Message
	add := func(account, mailbox string, date time.Time, flags []string, raw []byte) {
		out = append(out, Message{Account: account, Mailbox: mailbox, Raw: raw, Date: date, Flags: flags})
	}
	seen := []string{`\Seen`}

	// A thread across INBOX and Sent, in Greek and English; the last
	// message is in ISO-8859-7, as older Greek mail often is.
	subj := "Ταξίδι στη Θεσσαλονίκη τον Μάιο"
	t1, t2, t3, t4 := "<trip-1@example.gr>", "<trip-2@demo.example>", "<trip-3@example.se>", "<trip-4@example.gr>"
	add(IMAPAccount, Inbox, day(4, 2, 9), seen, plain(header{
		from: giannis, to: me, cc: sofia, subject: subj, date: day(4, 2, 9), id: t1,
	}, "utf-8", "Γεια σου Άλεξ,\n\nΈκλεισα τα εισιτήρια για τη Θεσσαλονίκη: φεύγουμε Παρασκευή 17 Μαΐου\nτο πρωί με το τρένο. Η Σοφία έρχεται κι αυτή.\n\nΦιλιά,\nΓιάννης\n"))
	add(IMAPAccount, Sent, day(4, 2, 18), seen, plain(header{
		from: me, to: giannis, cc: sofia, subject: "Re: " + subj, date: day(4, 2, 18), id: t2, replyTo: []string{t1},
	}, "utf-8", "Great news! I will book the hotel near the White Tower.\n\nΓιάννης wrote:\n> Έκλεισα τα εισιτήρια για τη Θεσσαλονίκη: φεύγουμε Παρασκευή 17 Μαΐου\n"))
	add(IMAPAccount, Inbox, day(4, 3, 8), seen, plain(header{
		from: sofia, to: me, cc: giannis, subject: "Re: " + subj, date: day(4, 3, 8), id: t3, replyTo: []string{t1, t2},
	}, "utf-8", "Hej båda!\n\nJag tar med mig kameran. Can we visit the Rotunda on Saturday?\nThessaloniki in May sounds perfect.\n\n/Sofia\n"))
	add(IMAPAccount, Inbox, day(4, 3, 20), nil, legacy(header{
		from: giannis, to: me, cc: sofia, subject: "Re: " + subj, date: day(4, 3, 20), id: t4, replyTo: []string{t1, t2, t3},
	}, "iso-8859-7", charmap.ISO8859_7, "Φυσικά! Η Ροτόντα είναι κοντά στο ξενοδοχείο.\nΘα φάμε μπουγάτσα στην Θεσσαλονίκη κάθε πρωί.\n"))

	// Another message from Sofia, in Swedish.
	add(IMAPAccount, Inbox, day(6, 14, 15), seen, plain(header{
		from: sofia, to: me, subject: "Fika på fredag?", date: day(6, 14, 15), id: "<fika@example.se>",
	}, "utf-8", "Hej!\n\nSka vi ta en fika på fredag? Jag bjuder på kanelbullar och kaffe.\n\nKram,\nSofia\n"))

	// An HTML newsletter with a tracking pixel and remote images: the web
	// UI shows it sanitized and blocks the remote content.
	add(IMAPAccount, ListsGo, day(9, 1, 7), nil, newsletter(day(9, 1, 7)))

	// An invoice with a PDF attachment, in the non-ASCII mailbox.
	add(IMAPAccount, Bills, day(10, 28, 11), seen, invoice(day(10, 28, 11)))

	// A letter in windows-1251 from the old POP3 provider.
	add(POP3Account, pop3Box, day(12, 20, 16), nil, legacy(header{
		from: "Димитър Колев <dimitar@example.bg>", to: me, subject: "Покана за концерт в София",
		date: day(12, 20, 16), id: "<koncert@example.bg>",
	}, "windows-1251", charmap.Windows1251, "Здравей, Алекс!\n\nКаним те на коледния концерт в зала „България“ на 22 декември.\nБилетите са при мен.\n\nПоздрави,\nДимитър\n"))
	return out
}

// header is the envelope of a handcrafted message.
type header struct {
	from, to, cc, subject string
	date                  time.Time
	id                    string
	replyTo               []string // message ids, oldest first
	contentType           string   // "" for text/plain
}

func (h header) write(b *bytes.Buffer, subjectCharset string) {
	fmt.Fprintf(b, "From: %s\r\nTo: %s\r\n", encodeAddress(h.from), encodeAddress(h.to))
	if h.cc != "" {
		fmt.Fprintf(b, "Cc: %s\r\n", encodeAddress(h.cc))
	}
	fmt.Fprintf(b, "Subject: %s\r\n", encodeWords(h.subject, subjectCharset))
	fmt.Fprintf(b, "Date: %s\r\nMessage-ID: %s\r\n", h.date.Format(time.RFC1123Z), h.id)
	if n := len(h.replyTo); n > 0 {
		fmt.Fprintf(b, "In-Reply-To: %s\r\nReferences: %s\r\n", h.replyTo[n-1], strings.Join(h.replyTo, " "))
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	if h.contentType != "" {
		fmt.Fprintf(b, "Content-Type: %s\r\n", h.contentType)
	}
}

// plain is a text/plain message in UTF-8 (8bit).
func plain(h header, charset, text string) []byte {
	var b bytes.Buffer
	h.write(&b, "utf-8")
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s", charset, crlf(text))
	return b.Bytes()
}

// legacy is a text/plain message in a legacy charset, quoted-printable,
// with its subject encoded in the same charset.
func legacy(h header, charset string, enc encoding.Encoding, text string) []byte {
	var b bytes.Buffer
	subj, err := enc.NewEncoder().String(h.subject)
	if err != nil {
		panic(err) // the handcrafted texts fit their charsets
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", encodeAddressIn(h.from, charset, enc), encodeAddress(h.to))
	if h.cc != "" {
		fmt.Fprintf(&b, "Cc: %s\r\n", encodeAddress(h.cc))
	}
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode(charset, subj))
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: %s\r\n", h.date.Format(time.RFC1123Z), h.id)
	if n := len(h.replyTo); n > 0 {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\n", h.replyTo[n-1], strings.Join(h.replyTo, " "))
	}
	body, err := enc.NewEncoder().String(crlf(text))
	if err != nil {
		panic(err)
	}
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", charset)
	b.WriteString(qp(body))
	return b.Bytes()
}

func newsletter(date time.Time) []byte {
	var b bytes.Buffer
	const boundary = "gazette-42"
	header{
		from: "The Archivist <news@archivist.example>", to: me, subject: "The Archivist #42: keeping mail for fifty years",
		date: date, id: "<issue-42@archivist.example>", contentType: `multipart/alternative; boundary="` + boundary + `"`,
	}.write(&b, "utf-8")
	b.WriteString("List-Unsubscribe: <https://archivist.example/unsubscribe?u=8f3a>\r\n\r\n")
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s", boundary, crlf(
		"THE ARCHIVIST #42\n\nKeeping mail for fifty years: formats that last, checksums, and why\nplain text ages well.\n\nRead online: https://archivist.example/42\n"))
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
	b.WriteString(qp(crlf(`<!DOCTYPE html>
<html><head><style>body{font-family:Georgia,serif} .hero{background:url(https://cdn.archivist.example/hero.jpg)}</style></head>
<body>
<h1 class="hero">The Archivist &mdash; issue 42</h1>
<p>Keeping mail for fifty years: formats that last, <b>checksums</b>, and why plain text ages well.</p>
<p><img src="https://cdn.archivist.example/shelves.jpg" alt="Archive shelves" width="600"></p>
<p><a href="https://archivist.example/42?utm_source=newsletter">Read the full issue</a></p>
<script>document.write('tracking')</script>
<img src="https://track.archivist.example/open.gif?u=8f3a&amp;issue=42" width="1" height="1" alt="">
</body></html>
`)))
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

func invoice(date time.Time) []byte {
	var b bytes.Buffer
	const boundary = "faktura-117"
	header{
		from: "Elsa Lindgren <elsa@rormokare.example.se>", to: me, subject: "Faktura 2024-117 för rörarbete",
		date: date, id: "<faktura-2024-117@rormokare.example.se>", contentType: `multipart/mixed; boundary="` + boundary + `"`,
	}.write(&b, "utf-8")
	b.WriteString("\r\n")
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s", boundary, crlf(
		"Hej,\n\nHär kommer fakturan för byte av blandare i köket. Betalas senast 30 november.\n\nMed vänliga hälsningar,\nElsa Lindgren, Rörmokare AB\n"))
	fmt.Fprintf(&b, "--%s\r\nContent-Type: application/pdf; name=\"faktura-2024-117.pdf\"\r\nContent-Disposition: attachment; filename=\"faktura-2024-117.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary)
	b.WriteString(base64Lines(minimalPDF("Faktura 2024-117: 2 450 kr")))
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// minimalPDF is a small valid one-page PDF showing text.
func minimalPDF(text string) []byte {
	stream := fmt.Sprintf("BT /F1 18 Tf 72 720 Td (%s) Tj ET", text)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// crlf turns the LF line ends of a handcrafted text into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func qp(s string) string {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	out := strings.ReplaceAll(b.String(), "\r\n", "\n")
	out = crlf(out)
	if !strings.HasSuffix(out, "\r\n") {
		out += "\r\n"
	}
	return out
}

func base64Lines(data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.String()
}

// encodeWords encodes a header text as RFC 2047 words when it is not ASCII.
func encodeWords(s, charset string) string {
	for _, r := range s {
		if r >= 0x80 {
			return mime.BEncoding.Encode(charset, s)
		}
	}
	return s
}

// encodeAddress encodes the display name of "Name <addr>".
func encodeAddress(a string) string {
	name, addr, ok := strings.Cut(a, " <")
	if !ok {
		return a
	}
	return encodeWords(name, "utf-8") + " <" + addr
}

func encodeAddressIn(a, charset string, enc encoding.Encoding) string {
	name, addr, ok := strings.Cut(a, " <")
	if !ok {
		return a
	}
	n, err := enc.NewEncoder().String(name)
	if err != nil {
		return encodeAddress(a)
	}
	return mime.QEncoding.Encode(charset, n) + " <" + addr
}
