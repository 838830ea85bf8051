// Package mailgen generates realistic, deterministic sample mail: several
// languages (English, Greek, Bulgarian, Swedish, Chinese) in UTF-8 and
// legacy charsets, quoted-printable and base64 bodies, attachments, HTML
// newsletters, threads, and a size mix with a median near 6 KB and a few
// multi-megabyte messages. Benchmarks, tests and the demo use it.
package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Message is one generated message.
type Message struct {
	Raw       []byte // CRLF line endings
	Mailbox   string
	Flags     []string
	Date      time.Time
	Lang      string
	Subject   string
	From      string
	MessageID string
}

// Options shape a generated mailbox.
type Options struct {
	Seed      uint64
	Mailboxes []string  // default INBOX, Sent, Archive, Lists/golang
	Start     time.Time // first date (default 2011-01-01)
	Years     int       // spread of dates (default 15)
	// BigEvery puts a multi-megabyte attachment in every Nth message
	// (default 2,000; negative for none).
	BigEvery int
}

// Generator yields messages one by one.
type Generator struct {
	o     Options
	r     *rand.Rand
	n     int
	sent  []string // message ids, for threads
	subjs []string
}

// New returns a generator.
func New(o Options) *Generator {
	if len(o.Mailboxes) == 0 {
		o.Mailboxes = []string{"INBOX", "INBOX", "INBOX", "Sent", "Archive", "Lists/golang"}
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2011, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.Years == 0 {
		o.Years = 15
	}
	if o.BigEvery == 0 {
		o.BigEvery = 2000
	}
	return &Generator{o: o, r: rand.New(rand.NewPCG(o.Seed, 0x6d61696c6b656570))}
}

// Generate returns n messages.
func Generate(o Options, n int) []Message {
	g := New(o)
	out := make([]Message, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

type lang struct {
	code    string
	words   []string
	names   []string
	charset string // legacy charset sometimes used
	enc     encoding.Encoding
}

var langs = []lang{
	{"en", strings.Fields(`the meeting report budget project deadline release server archive search invoice holiday weather garden
		family travel train ticket museum library concert coffee morning evening weekend question answer thanks please review draft
		update schedule office client contract payment receipt order delivery package account password backup storage network
		kernel compiler database index query performance memory latency benchmark bicycle mountain river ocean history science`),
		[]string{"Alice Walker", "Bob Stone", "Carol Smith", "David Jones", "Emma Brown"}, "iso-8859-1", charmap.ISO8859_1},
	{"el", strings.Fields(`καλημέρα συνάντηση αναφορά προϋπολογισμός έργο προθεσμία διακοπές καιρός οικογένεια ταξίδι εισιτήριο
		μουσείο βιβλιοθήκη συναυλία καφές πρωί βράδυ ερώτηση απάντηση ευχαριστώ παρακαλώ διαβασμένο λογαριασμός πληρωμή
		παραγγελία θάλασσα βουνό ποτάμι ιστορία επιστήμη σπίτι δουλειά φίλος γράμμα αρχείο αναζήτηση`),
		[]string{"Γιώργος Παπαδόπουλος", "Μαρία Νικολάου", "Ελένη Γεωργίου", "Νίκος Δημητρίου"}, "iso-8859-7", charmap.ISO8859_7},
	{"bg", strings.Fields(`здравейте среща доклад бюджет проект срок почивка времето семейство пътуване билет музей библиотека
		концерт кафе сутрин вечер въпрос отговор благодаря моля сметка плащане поръчка доставка море планина река история
		наука къща работа приятел писмо архив търсене новини град село`),
		[]string{"Иван Петров", "Мария Иванова", "Георги Димитров", "Елена Стоянова"}, "windows-1251", charmap.Windows1251},
	{"sv", strings.Fields(`hej möte rapport budget projekt tidsfrist semester vädret familj resa biljett museum bibliotek konsert
		kaffe morgon kväll fråga svar tack snälla räkning betalning beställning leverans hav fjäll älv historia vetenskap
		hus arbete vän brev arkiv sökning smörgås kött påsk midsommar räksmörgås`),
		[]string{"Åsa Lindqvist", "Björn Öberg", "Märta Ström", "Lars Åkesson"}, "iso-8859-1", charmap.ISO8859_1},
	{"zh", strings.Fields(`你好 会议 报告 预算 项目 截止 日期 假期 天气 家庭 旅行 火车 车票 博物馆 图书馆 音乐会 咖啡 早上 晚上 问题
		回答 谢谢 请 账户 付款 订单 快递 大海 高山 河流 历史 科学 房子 工作 朋友 信件 档案 搜索 新闻`),
		[]string{"王伟", "李娜", "张敏", "刘洋"}, "", nil},
}

func (g *Generator) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *Generator) words(l lang, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			if l.code == "zh" {
				if g.r.IntN(8) == 0 {
					b.WriteString("，")
				}
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(g.pick(l.words))
	}
	return b.String()
}

// bodySize draws a body size with a median near 5 KB and a long tail.
func (g *Generator) bodySize() int {
	// Log-normal: exp(N(ln 5000, 0.9)).
	x := g.r.NormFloat64()*0.9 + 8.5
	n := int(math.Exp(x))
	return min(max(n, 200), 400_000)
}

func addr(name string, i int) string {
	return fmt.Sprintf("user%d@example.%s", i, []string{"org", "com", "net", "gr", "bg", "se"}[i%6])
}

// Next returns the next message.
func (g *Generator) Next() Message {
	g.n++
	l := langs[g.r.IntN(len(langs))]
	if g.r.IntN(3) == 0 {
		l = langs[0]
	}
	date := g.o.Start.Add(time.Duration(g.r.Int64N(int64(g.o.Years) * 365 * 24 * int64(time.Hour))))
	fromIdx := g.r.IntN(40)
	fromName := l.names[fromIdx%len(l.names)]
	from := fromName + " <" + addr(fromName, fromIdx) + ">"
	to := "me <me@example.org>"
	subject := g.words(l, 3+g.r.IntN(5))
	mid := fmt.Sprintf("%d.%x@mailgen.example", g.n, g.r.Uint32())
	var replyTo string
	if len(g.sent) > 0 && g.r.IntN(5) == 0 {
		k := g.r.IntN(len(g.sent))
		replyTo = g.sent[k]
		subject = "Re: " + g.subjs[k]
	}
	g.sent = append(g.sent, mid)
	g.subjs = append(g.subjs, subject)
	if len(g.sent) > 200 {
		g.sent, g.subjs = g.sent[100:], g.subjs[100:]
	}
	text := g.paragraphs(l, g.bodySize())

	var h bytes.Buffer
	legacy := l.enc != nil && g.r.IntN(4) == 0
	charset := "utf-8"
	if legacy {
		charset = l.charset
	}
	fmt.Fprintf(&h, "Return-Path: <%s>\r\n", addr(fromName, fromIdx))
	fmt.Fprintf(&h, "Received: from mx%d.example.net (mx%d.example.net [192.0.2.%d]) by mail.example.org with ESMTPS id %x; %s\r\n",
		g.n%7, g.n%7, g.n%250, g.r.Uint64(), date.Format(time.RFC1123Z))
	fmt.Fprintf(&h, "From: %s\r\n", encodeAddr(fromName, addr(fromName, fromIdx)))
	fmt.Fprintf(&h, "To: %s\r\n", to)
	fmt.Fprintf(&h, "Subject: %s\r\n", mime.BEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&h, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&h, "Message-ID: <%s>\r\n", mid)
	if replyTo != "" {
		fmt.Fprintf(&h, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", replyTo, replyTo)
	}
	h.WriteString("MIME-Version: 1.0\r\n")

	var body bytes.Buffer
	attach := g.r.IntN(10) == 0
	big := g.o.BigEvery > 0 && g.n%g.o.BigEvery == 0
	html := !attach && g.r.IntN(12) == 0
	switch {
	case attach || big:
		b := fmt.Sprintf("mk-%x", g.r.Uint64())
		fmt.Fprintf(&h, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", b)
		fmt.Fprintf(&body, "--%s\r\n", b)
		writeTextPart(&body, text, charset, l.enc, legacy)
		size := 2000 + g.r.IntN(60_000)
		if big {
			size = 2_000_000 + g.r.IntN(3_000_000)
		}
		name := g.pick([]string{"report.pdf", "photo.jpg", "αναφορά.pdf", "доклад.docx", "räkning.xlsx", "资料.zip"})
		fmt.Fprintf(&body, "--%s\r\nContent-Type: application/octet-stream; name=%q\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename*=UTF-8''%s\r\n\r\n",
			b, mime.BEncoding.Encode("utf-8", name), pctEncode(name))
		writeBase64(&body, g.randomBytes(size))
		fmt.Fprintf(&body, "--%s--\r\n", b)
	case html:
		b := fmt.Sprintf("alt-%x", g.r.Uint64())
		fmt.Fprintf(&h, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", b)
		fmt.Fprintf(&body, "--%s\r\n", b)
		writeTextPart(&body, text, "utf-8", nil, false)
		fmt.Fprintf(&body, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", b)
		var hb strings.Builder
		hb.WriteString("<html><body><h1>" + escape(subject) + "</h1>")
		for _, p := range strings.Split(text, "\r\n\r\n") {
			hb.WriteString("<p>" + escape(p) + "</p>")
		}
		hb.WriteString(`<img src="https://tracker.example.com/pixel.gif" width="1" height="1"></body></html>`)
		writeQP(&body, hb.String())
		fmt.Fprintf(&body, "--%s--\r\n", b)
	default:
		writeTextPart(&h, text, charset, l.enc, legacy)
	}
	raw := append(h.Bytes(), body.Bytes()...)
	flags := []string{}
	if g.r.IntN(10) < 8 {
		flags = append(flags, `\Seen`)
	}
	if g.r.IntN(20) == 0 {
		flags = append(flags, `\Flagged`)
	}
	return Message{Raw: raw, Mailbox: g.pick(g.o.Mailboxes), Flags: flags, Date: date, Lang: l.code,
		Subject: subject, From: from, MessageID: mid}
}

func (g *Generator) paragraphs(l lang, size int) string {
	var b strings.Builder
	for b.Len() < size {
		if b.Len() > 0 {
			b.WriteString("\r\n\r\n")
		}
		line := 0
		for i, n := 0, 20+g.r.IntN(60); i < n; i++ {
			w := g.pick(l.words)
			if line > 0 && line+len(w) > 72 {
				b.WriteString("\r\n")
				line = 0
			} else if line > 0 && l.code != "zh" {
				b.WriteByte(' ')
				line++
			}
			b.WriteString(w)
			line += len(w)
		}
	}
	return b.String()
}

func writeTextPart(w *bytes.Buffer, text, charset string, enc encoding.Encoding, legacy bool) {
	if legacy {
		if out, err := enc.NewEncoder().String(text); err == nil {
			fmt.Fprintf(w, "Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", charset)
			writeQP(w, out)
			return
		}
	}
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		fmt.Fprintf(w, "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n%s\r\n", text)
		return
	}
	fmt.Fprintf(w, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n", text)
}

func writeQP(w *bytes.Buffer, s string) {
	var q bytes.Buffer
	qw := quotedprintable.NewWriter(&q)
	qw.Write([]byte(s))
	qw.Close()
	w.Write(bytes.ReplaceAll(bytes.ReplaceAll(q.Bytes(), []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")))
	w.WriteString("\r\n")
}

func writeBase64(w *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		w.WriteString(enc[:76])
		w.WriteString("\r\n")
		enc = enc[76:]
	}
	w.WriteString(enc)
	w.WriteString("\r\n")
}

// randomBytes makes attachment content that compresses like real files
// do (somewhat): random bytes with repeated runs.
func (g *Generator) randomBytes(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; {
		if g.r.IntN(3) == 0 && i > 64 {
			run := min(16+g.r.IntN(200), n-i)
			off := g.r.IntN(i - 32)
			copy(b[i:i+run], b[off:])
			i += run
			continue
		}
		x := g.r.Uint64()
		for k := 0; k < 8 && i < n; k++ {
			b[i] = byte(x >> (8 * k))
			i++
		}
	}
	return b
}

func encodeAddr(name, a string) string {
	for _, r := range name {
		if r >= 0x80 {
			return mime.QEncoding.Encode("utf-8", name) + " <" + a + ">"
		}
	}
	return name + " <" + a + ">"
}

func pctEncode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 0x80 || c == ' ' || c == '%' || c == '\'' || c == '"' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r\n", "<br>").Replace(s)
}
