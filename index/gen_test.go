package index

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand"
	"mime/quotedprintable"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// mailGen generates realistic multilingual mail for benchmarks: English,
// Greek, Bulgarian, Swedish and Chinese bodies from Zipf-distributed
// vocabularies, headers like real ones (Received chains, DKIM), some HTML
// alternatives and some attachments; dates over 15 years; senders from a
// pool. The same seed gives the same mail.
//
// Words planted for the benchmark queries:
//
//	zymurgy            in 1 of 10,000 messages (rare word)
//	meeting            among the 20 most frequent English words (common word)
//	"quarterly report" in 2% of the messages (phrase)
//	alice@example.com  the sender of 1% (from:)
type mailGen struct {
	r       *rand.Rand
	langs   []*genLang
	senders []string
	start   time.Time
	n       int
}

type genLang struct {
	name  string
	words []string
	zipf  *rand.Zipf
	cjk   bool
}

var (
	latinSyl    = strings.Fields("ba be bi bo bu ca ce ci co da de di do du fa fe fi ga ge go ha he hi ho ja ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo wa we wi ya yo za ze zo th st tr pr an en in on ar er or al el il ol ch sh")
	swedishSyl  = strings.Fields("bå bä bö då dä dö få fä fö gå gä gö hå hä hö kå kä kö lå lä lö må mä mö nå nä nö på pä pö rå rä rö så sä sö tå tä tö vå vä vö ba be bi bo da de di do ga ge ka ke la le li ma me na ne ra re sa se ta te va ve sk st tj sj")
	greekSyl    = strings.Fields("βα βε βι βο γα γε γι δα δε δι δο ζα θα θε κα κε κι κο λα λε λι λο μα με μι μο να νε νι νο ξα πα πε πι πο ρα ρε ρι ρο σα σε σι σο τα τε τι το φα φε χα χε ψα ωα ά έ ί ό ύ ή ώ στ ντ μπ")
	cyrillicSyl = strings.Fields("ба бе би бо бу ва ве ви во га ге ги го да де ди до жа за зе зи ка ке ки ко ку ла ле ли ло лу ма ме ми мо на не ни но па пе пи по ра ре ри ро ру са се си со та те ти то ту фа ха ца ча ша ща ъ ю я ст пр тр")
	englishTop  = strings.Fields("the of and to in is for that it on with as was be this by meeting are from at or have an not but")
)

func newMailGen(seed int64) *mailGen {
	r := rand.New(rand.NewSource(seed))
	g := &mailGen{r: r, start: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)}
	mk := func(name string, syl []string, n int, top []string) *genLang {
		l := &genLang{name: name}
		seen := map[string]bool{}
		l.words = append(l.words, top...)
		for _, w := range top {
			seen[w] = true
		}
		for len(l.words) < n {
			k := 1 + r.Intn(4)
			var b strings.Builder
			for range k {
				b.WriteString(syl[r.Intn(len(syl))])
			}
			if w := b.String(); !seen[w] {
				seen[w] = true
				l.words = append(l.words, w)
			}
		}
		l.zipf = rand.NewZipf(r, 1.07, 2, uint64(len(l.words)-1))
		return l
	}
	g.langs = []*genLang{
		mk("en", latinSyl, 30000, englishTop),
		mk("el", greekSyl, 20000, []string{"και", "το", "να", "διαβασμένο", "της"}),
		mk("bg", cyrillicSyl, 20000, []string{"и", "на", "да", "здравейте", "се"}),
		mk("sv", swedishSyl, 20000, []string{"och", "att", "det", "smörgåsbord", "som"}),
	}
	zh := &genLang{name: "zh", cjk: true}
	for c := 0x4E00; len(zh.words) < 3000; c += 1 + r.Intn(5) {
		zh.words = append(zh.words, string(rune(c)))
	}
	zh.words[10], zh.words[11] = "信", "息"
	zh.zipf = rand.NewZipf(r, 1.05, 2, uint64(len(zh.words)-1))
	g.langs = append(g.langs, zh)

	first := []string{"Alice", "Bob", "Carol", "Dimitris", "Γιώργος", "Иван", "Мария", "Åsa", "Björn", "王伟", "李娜", "John", "Eva", "Lars", "Nikos"}
	last := []string{"Smith", "Papadopoulos", "Παπαδόπουλος", "Иванов", "Петрова", "Lindström", "Ekström", "张", "Jones", "Berg"}
	domains := []string{"example.com", "example.org", "mail.example.net", "lists.example.org", "corp.example"}
	g.senders = append(g.senders, `"Alice Liddell" <alice@example.com>`)
	for i := 0; len(g.senders) < 2000; i++ {
		f, l := first[r.Intn(len(first))], last[r.Intn(len(last))]
		g.senders = append(g.senders, fmt.Sprintf("%s %s <user%d@%s>", f, l, i, domains[r.Intn(len(domains))]))
	}
	return g
}

// text returns about n bytes of text in l.
func (g *mailGen) text(l *genLang, n int) string {
	var b strings.Builder
	sentence := 0
	for b.Len() < n {
		w := l.words[l.zipf.Uint64()]
		if l.cjk {
			b.WriteString(w)
			if sentence++; sentence > 8+g.r.Intn(20) {
				b.WriteString("。")
				sentence = 0
				if g.r.Intn(4) == 0 {
					b.WriteString("\n")
				}
			}
			continue
		}
		if sentence == 0 {
			r, size := utf8.DecodeRuneInString(w)
			w = strings.ToUpper(string(r)) + w[size:]
		}
		b.WriteString(w)
		if sentence++; sentence > 6+g.r.Intn(14) {
			b.WriteString(".")
			sentence = 0
			if g.r.Intn(5) == 0 {
				b.WriteString("\n\n")
				continue
			}
		} else if g.r.Intn(12) == 0 {
			b.WriteString(",")
		}
		if b.Len()%72 < 8 {
			b.WriteString("\n")
		} else {
			b.WriteString(" ")
		}
	}
	return b.String()
}

// lognormal returns a size with the given median, clamped.
func (g *mailGen) lognormal(median float64, sigma float64, lo, hi int) int {
	v := int(median * math.Exp(g.r.NormFloat64()*sigma))
	return max(lo, min(hi, v))
}

type genMail struct {
	raw     []byte
	date    time.Time
	mailbox string
	flags   []string
}

// next returns the next message.
func (g *mailGen) next() genMail {
	g.n++
	r := g.r
	l := g.langs[0]
	switch p := r.Intn(100); {
	case p < 45:
	case p < 60:
		l = g.langs[1]
	case p < 75:
		l = g.langs[2]
	case p < 88:
		l = g.langs[3]
	default:
		l = g.langs[4]
	}
	date := g.start.Add(time.Duration(r.Int63n(int64(15 * 365 * 24 * time.Hour))))
	from := g.senders[1+r.Intn(len(g.senders)-1)]
	if r.Intn(100) == 0 {
		from = g.senders[0]
	}
	to := g.senders[1+r.Intn(len(g.senders)-1)]
	subject := strings.TrimSpace(g.text(l, 20+r.Intn(40)))
	subject = strings.ReplaceAll(subject, "\n", " ")
	body := g.text(l, g.lognormal(2200, 0.9, 200, 200000))
	if r.Intn(50) == 0 {
		body += "\nPlease see the quarterly report for details.\n"
	}
	if r.Intn(10000) == 0 {
		body += "\nOn zymurgy and brewing.\n"
	}
	boundary := fmt.Sprintf("b%08x", r.Uint32())

	var h strings.Builder
	for i := range 2 + r.Intn(3) {
		fmt.Fprintf(&h, "Received: from mx%d.example.net (mx%d.example.net [192.0.2.%d])\n\tby mail.example.com (Postfix) with ESMTPS id %X\n\tfor <me@example.com>; %s\n",
			i, i, r.Intn(255), r.Uint64(), date.Format(time.RFC1123Z))
	}
	fmt.Fprintf(&h, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=s1;\n\th=from:to:subject:date:message-id; bh=%s;\n\tb=%s\n",
		base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(r.Uint64(), r.Uint64()))), randB64(r, 256))
	fmt.Fprintf(&h, "Message-ID: <%d.%x@example.org>\nDate: %s\nFrom: %s\nTo: %s\n", g.n, r.Uint64(), date.Format(time.RFC1123Z), encodeAddr(from), encodeAddr(to))
	fmt.Fprintf(&h, "Subject: =?utf-8?B?%s?=\nMIME-Version: 1.0\n", base64.StdEncoding.EncodeToString([]byte(subject)))

	textPart := func() string {
		switch {
		case l.name == "el" && r.Intn(5) == 0:
			enc, _ := charmap.ISO8859_7.NewEncoder().String(body)
			return "Content-Type: text/plain; charset=iso-8859-7\nContent-Transfer-Encoding: quoted-printable\n\n" + qp(enc)
		case l.name == "bg" && r.Intn(3) == 0:
			enc, _ := charmap.Windows1251.NewEncoder().String(body)
			return "Content-Type: text/plain; charset=windows-1251\nContent-Transfer-Encoding: quoted-printable\n\n" + qp(enc)
		case l.cjk:
			return "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + wrap76(base64.StdEncoding.EncodeToString([]byte(body)))
		}
		return "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body
	}
	var b strings.Builder
	b.WriteString(h.String())
	html := r.Intn(100) < 30
	attach := r.Intn(100) < 6
	switch {
	case !html && !attach:
		b.WriteString(textPart())
	default:
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\n\n", boundary)
		fmt.Fprintf(&b, "--%s\n", boundary)
		if html {
			alt := boundary + "a"
			fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%q\n\n--%s\n%s\n--%s\n", alt, alt, textPart(), alt)
			htmlBody := "<html><body><p>" + strings.ReplaceAll(strings.ReplaceAll(body, "\n\n", "</p><p>"), "&", "&amp;") + "</p></body></html>"
			fmt.Fprintf(&b, "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n%s\n--%s--\n", qp(htmlBody), alt)
		} else {
			b.WriteString(textPart() + "\n")
		}
		if attach {
			data := make([]byte, g.lognormal(40000, 1.0, 2000, 3<<20))
			r.Read(data)
			name := []string{"report.pdf", "photo.jpg", "Προσφορά.pdf", "договор.docx", "kvitto_å.pdf", "报告.xlsx"}[r.Intn(6)]
			fmt.Fprintf(&b, "--%s\nContent-Type: application/octet-stream; name=\"=?utf-8?B?%s?=\"\nContent-Disposition: attachment; filename*=utf-8''%s\nContent-Transfer-Encoding: base64\n\n%s\n",
				boundary, base64.StdEncoding.EncodeToString([]byte(name)), pctEncode(name), wrap76(base64.StdEncoding.EncodeToString(data)))
		}
		fmt.Fprintf(&b, "--%s--\n", boundary)
	}
	raw := strings.ReplaceAll(b.String(), "\n", "\r\n")
	mailbox := []string{"INBOX", "INBOX", "INBOX", "Sent", "Archive/2019", "Lists/golang", "Λίστες", "Входящие"}[r.Intn(8)]
	var flags []string
	if r.Intn(10) < 8 {
		flags = append(flags, `\Seen`)
	}
	if r.Intn(30) == 0 {
		flags = append(flags, `\Flagged`)
	}
	return genMail{raw: []byte(raw), date: date, mailbox: mailbox, flags: flags}
}

func encodeAddr(a string) string {
	i := strings.LastIndex(a, " <")
	name := a[:i]
	for _, c := range name {
		if c >= utf8.RuneSelf {
			return "=?utf-8?B?" + base64.StdEncoding.EncodeToString([]byte(name)) + "?=" + a[i:]
		}
	}
	return a
}

func qp(s string) string {
	var b strings.Builder
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func randB64(r *rand.Rand, n int) string {
	data := make([]byte, n)
	r.Read(data)
	return base64.StdEncoding.EncodeToString(data)
}

func pctEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && c != '%' && c != '\'' && c != ' ' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
