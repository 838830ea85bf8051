package message

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

func parseString(s string) *Message {
	return Parse(strings.NewReader(s))
}

// rawMail builds a message from header lines and a body, with CRLF endings.
func rawMail(header, body string) string {
	return strings.ReplaceAll(strings.TrimLeft(header, "\n")+"\n"+body, "\n", "\r\n")
}

func TestParseBodies(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		subject string   // want, when not empty
		text    []string // substrings of Text
		notText []string // must not be in Text
		html    string   // substring of HTML
		noHTML  bool     // HTML must be empty
	}{
		{
			name: "html entities",
			msg: rawMail(`
Subject: entities
Content-Type: text/html; charset=us-ascii
`, "<html><head><title>T</title><style>p{color:red}</style><script>alert(1)</script></head>"+
				"<body><p>Gr&uuml;&szlig;e aus K&ouml;ln &amp; M&uuml;nchen&nbsp;&#8364;5 &lt;b&gt;</p><div>zweite Zeile</div></body></html>\n"),
			text:    []string{"Grüße aus Köln & München €5 <b>", "\nzweite Zeile"},
			notText: []string{"alert", "color:red", "&uuml;"},
			html:    "Gr&uuml;&szlig;e",
		},
		{
			name: "greek iso-8859-7",
			msg: rawMail(`
Subject: =?iso-8859-7?B?tu3v6e7nIPP05+0gweje7eE=?=
Content-Type: text/plain; charset=iso-8859-7
Content-Transfer-Encoding: 8bit
`, "\xb6\xed\xef\xe9\xee\xe7 \xf3\xf4\xe7\xed \xc1\xe8\xde\xed\xe1\n"),
			subject: "Άνοιξη στην Αθήνα",
			text:    []string{"Άνοιξη στην Αθήνα"},
		},
		{
			name: "greek windows-1253",
			msg: rawMail(`
Subject: greek
Content-Type: text/plain; charset="windows-1253"
`, "\xa2\xed\xef\xe9\xee\xe7 \xf3\xf4\xe7\xed \xc1\xe8\xde\xed\xe1\n"),
			text: []string{"Άνοιξη στην Αθήνα"},
		},
		{
			name: "bulgarian windows-1251",
			msg: rawMail(`
Subject: =?windows-1251?Q?=C7=E4=F0=E0=E2=E5=E9?=
Content-Type: text/plain; charset=windows-1251
`, "\xc7\xe4\xf0\xe0\xe2\xe5\xe9, \xf1\xe2\xff\xf2! \xc1\xeb\xe0\xe3\xee\xe4\xe0\xf0\xff\n"),
			subject: "Здравей",
			text:    []string{"Здравей, свят! Благодаря"},
		},
		{
			name: "bulgarian koi8-r",
			msg: rawMail(`
Subject: bg
Content-Type: text/plain; charset=KOI8-R
`, "\xfa\xc4\xd2\xc1\xd7\xc5\xca, \xd3\xd7\xd1\xd4! \xe2\xcc\xc1\xc7\xcf\xc4\xc1\xd2\xd1\n"),
			text: []string{"Здравей, свят! Благодаря"},
		},
		{
			name: "cp1251 alias",
			msg: rawMail(`
Content-Type: text/plain; charset=cp1251
`, "\xc7\xe4\xf0\xe0\xe2\xe5\xe9\n"),
			text: []string{"Здравей"},
		},
		{
			name: "swedish iso-8859-1 with raw 8-bit subject",
			msg: rawMail(`
Subject: H`+"\xe4"+`lsningar
Content-Type: text/plain; charset=ISO-8859-1
`, "H\xe4lsningar fr\xe5n \xc5re, g\xf6tt\n"),
			subject: "Hälsningar",
			text:    []string{"Hälsningar från Åre, gött"},
		},
		{
			name: "base64 utf-8",
			msg: rawMail(`
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64
`, "0J/RgNC40LLQtdGCLCDQvNC4\n0YAg4oCUIFVURi04INCyIGJhc2U2NA==\n"),
			text: []string{"Привет, мир — UTF-8 в base64"},
		},
		{
			name: "broken base64 keeps what decodes",
			msg: rawMail(`
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64
`, "SGVsbG8gd29y!!!bGQgYW5kIG1vcmU\n"),
			text: []string{"Hello world and mor"},
		},
		{
			name: "quoted-printable latin-1",
			msg: rawMail(`
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: Quoted-Printable
`, "Gr=FC=DFe aus K=F6ln, caf=E9 =3D cr=E8me, soft=\n break, bad =ZZ escape   \n"),
			text: []string{"Grüße aus Köln, café = crème, soft break, bad =ZZ escape"},
		},
		{
			name: "mislabelled utf-8 as latin-1",
			msg: rawMail(`
Content-Type: text/plain; charset=iso-8859-1
`, "K\xc3\xb6ln\n"),
			text: []string{"Köln"},
		},
		{
			name: "unknown charset, not utf-8",
			msg: rawMail(`
Content-Type: text/plain; charset=fakescii
`, "caf\xe9\n"),
			text: []string{"café"},
		},
		{
			name: "no charset, 8-bit utf-8",
			msg: rawMail(`
Subject: plain
`, "na\xc3\xafve\n"),
			text: []string{"naïve"},
		},
		{
			name: "utf-16 with BOM",
			msg: rawMail(`
Content-Type: text/plain; charset=utf-16
Content-Transfer-Encoding: base64
`, "//5IAGkAIAAmBA==\n"),
			text: []string{"Hi Ц"},
		},
		{
			name: "utf-7",
			msg: rawMail(`
Subject: =?utf-7?Q?Fr+APY-sche?=
Content-Type: text/plain; charset=utf-7
`, "Die Hasen und die Fr+APY-sche, 1 +- 1\n"),
			subject: "Frösche",
			text:    []string{"Die Hasen und die Frösche, 1 + 1"},
		},
		{
			name: "alternative keeps the plain text once",
			msg: rawMail(`
Content-Type: multipart/alternative; boundary="alt"
`, `--alt
Content-Type: text/plain; charset=utf-8

plain version
--alt
Content-Type: text/html; charset=utf-8

<p>html version</p>
--alt--
`),
			text:    []string{"plain version"},
			notText: []string{"html version"},
			html:    "<p>html version</p>",
		},
		{
			name: "alternative with a stub plain part takes the HTML text",
			msg: rawMail(`
Content-Type: multipart/alternative; boundary="alt"
`, `--alt
Content-Type: text/plain

.
--alt
Content-Type: text/html

<p>`+strings.Repeat("real content ", 20)+`</p>
--alt--
`),
			text: []string{"real content real content"},
		},
		{
			name: "nested message/rfc822",
			msg: rawMail(`
Subject: Fwd: inner
Content-Type: multipart/mixed; boundary="outer"
`, `--outer
Content-Type: text/plain

see below
--outer
Content-Type: message/rfc822

From: =?utf-8?Q?J=C3=BCrgen?= <j@example.com>
Subject: =?utf-8?B?SW5uZXIgc3ViamVjdCDDpMO2w7w=?=
Content-Type: text/html; charset=utf-8

<p>inner body &uuml;</p>
--outer--
`),
			subject: "Fwd: inner",
			text:    []string{"see below", "Subject: Inner subject äöü", "From: Jürgen <j@example.com>", "inner body ü"},
			noHTML:  true, // the enclosed message's HTML is not this message's body
		},
		{
			name: "base64 message/rfc822",
			msg: rawMail(`
Content-Type: message/rfc822
Content-Transfer-Encoding: base64
`, "U3ViamVjdDogZW5jb2RlZCBpbm5lcgoKaW5uZXIgdGV4dAo=\n"),
			text: []string{"Subject: encoded inner", "inner text"},
		},
		{
			name: "header without blank line",
			msg:  "Subject: nobreak\r\nThis line starts the body\r\nand this too\r\n",
			text: []string{"This line starts the body\nand this too"},
		},
		{
			name:    "mbox From_ line and BOM",
			msg:     "\xef\xbb\xbfFrom someone@example.com Mon Jan  1 00:00:00 2001\nSubject: boxed\n\nbody\n",
			subject: "boxed",
			text:    []string{"body"},
		},
		{
			name: "multipart without parts keeps its text",
			msg: rawMail(`
Content-Type: multipart/mixed; boundary="nothere"
`, "just text, no boundary lines\n"),
			text: []string{"just text, no boundary lines"},
		},
		{
			name: "missing close boundary",
			msg: rawMail(`
Content-Type: multipart/mixed; boundary="b"
`, "--b\nContent-Type: text/plain\n\nfirst\n--b\nContent-Type: text/plain\n\nsecond, never closed\n"),
			text: []string{"first", "second, never closed"},
		},
		{
			name: "inner boundary is outer plus suffix",
			msg: rawMail(`
Content-Type: multipart/mixed; boundary="b"
`, "--b\nContent-Type: multipart/alternative; boundary=\"b-1\"\n\n--b-1\nContent-Type: text/plain\n\ninner plain\n--b-1--\n--b\nContent-Type: text/plain\n\nouter second\n--b--\n"),
			text: []string{"inner plain", "outer second"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseString(tt.msg)
			if tt.subject != "" && m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			for _, s := range tt.text {
				if !strings.Contains(m.Text, s) {
					t.Errorf("Text = %q, want it to contain %q", m.Text, s)
				}
			}
			for _, s := range tt.notText {
				if strings.Contains(m.Text, s) {
					t.Errorf("Text = %q, want it without %q", m.Text, s)
				}
			}
			if !strings.Contains(m.HTML, tt.html) || tt.noHTML && m.HTML != "" {
				t.Errorf("HTML = %q, want it to contain %q", m.HTML, tt.html)
			}
			for _, p := range m.Problems {
				if strings.HasPrefix(p, "internal error") {
					t.Error(p)
				}
			}
		})
	}
}

func TestParseHeaders(t *testing.T) {
	msg := rawMail(`
From: "Doe, John" <john@example.com>
To: =?iso-8859-1?Q?J=F6rg?= <joerg@example.com>, plain@example.com,
 "=?utf-8?B?w4XDpMO2?=" <aao@example.com>
Cc: undisclosed-recipients:;
Bcc: broken <<bcc@example.com>, another
Reply-To: Reply <reply@example.com>
Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= =?utf-8?Q?_aus?=
	 Berlin
Date: Tue, 17 Jul 2012 22:23:35.882 0000
Message-ID: <abc@example.com>
In-Reply-To: <parent@example.com> (comment)
References: <root@example.com>
	<parent@example.com>
`, "body\n")
	m := parseString(msg)
	if got, want := m.Subject, "Grüße aus Berlin"; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	wantAddr := func(field string, got []Address, want ...Address) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	wantAddr("From", m.From, Address{"Doe, John", "john@example.com"})
	wantAddr("To", m.To, Address{"Jörg", "joerg@example.com"}, Address{"", "plain@example.com"}, Address{"Åäö", "aao@example.com"})
	wantAddr("Cc", m.Cc)
	wantAddr("Bcc", m.Bcc, Address{"broken", "bcc@example.com"}, Address{"another", ""})
	wantAddr("ReplyTo", m.ReplyTo, Address{"Reply", "reply@example.com"})
	if want := time.Date(2012, 7, 17, 22, 23, 35, 882e6, time.UTC); !m.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", m.Date, want)
	}
	if m.MessageID != "abc@example.com" {
		t.Errorf("MessageID = %q", m.MessageID)
	}
	if fmt.Sprint(m.InReplyTo) != "[parent@example.com]" {
		t.Errorf("InReplyTo = %q", m.InReplyTo)
	}
	if fmt.Sprint(m.References) != "[root@example.com parent@example.com]" {
		t.Errorf("References = %q", m.References)
	}
	if got := m.From[0].String(); got != `"Doe, John" <john@example.com>` {
		t.Errorf("String() = %q", got)
	}
}

func TestParseBadDate(t *testing.T) {
	m := parseString("Date: sometime soon\r\n\r\nx\r\n")
	if !m.Date.IsZero() {
		t.Errorf("Date = %v, want zero", m.Date)
	}
	if len(m.Problems) == 0 || !strings.Contains(m.Problems[0], "Date") {
		t.Errorf("Problems = %q, want a Date problem", m.Problems)
	}
}

const attachmentsMsg = `From: a@example.com
Subject: files
Content-Type: multipart/mixed; boundary="mix"

preamble
--mix
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

<p>see <img src="cid:logo@x"></p>
--rel
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--mix
Content-Type: application/pdf; name="=?utf-8?Q?R=C3=A9sum=C3=A9.pdf?="
Content-Disposition: attachment
Content-Transfer-Encoding: base64

JVBERi0xLjQKJeLjz9MK
--mix
Content-Type: text/plain; charset=iso-8859-1
Content-Disposition: attachment;
 filename*0*=iso-8859-1''%C5r;
 filename*1="e notes.txt"
Content-Transfer-Encoding: quoted-printable

Anteckningar fr=E5n =C5re
--mix
Content-Type: application/octet-stream
Content-Disposition: attachment; filename="..\..\windows\evil.exe"

MZ
--mix--
epilogue
`

func TestParseAttachments(t *testing.T) {
	raw := []byte(strings.ReplaceAll(attachmentsMsg, "\n", "\r\n"))
	m := Parse(bytes.NewReader(raw))
	want := []Attachment{
		{Path: "1.2", ContentType: "image/png", Size: 8, ContentID: "logo@x", Inline: true},
		{Path: "2", Filename: "Résumé.pdf", ContentType: "application/pdf", Size: 15},
		{Path: "3", Filename: "Åre notes.txt", ContentType: "text/plain", Size: 21},
		{Path: "4", Filename: "evil.exe", ContentType: "application/octet-stream", Size: 2},
	}
	if fmt.Sprintf("%+v", m.Attachments) != fmt.Sprintf("%+v", want) {
		t.Errorf("Attachments =\n%+v\nwant\n%+v", m.Attachments, want)
	}
	if !m.HasAttachment {
		t.Error("HasAttachment = false")
	}
	if !strings.Contains(m.HTML, `cid:logo@x`) {
		t.Errorf("HTML = %q", m.HTML)
	}
	if !strings.Contains(m.Text, "Anteckningar från Åre") {
		t.Errorf("Text = %q, want the text attachment in it", m.Text)
	}
	if strings.Contains(m.Text, "preamble") || strings.Contains(m.Text, "epilogue") {
		t.Errorf("Text = %q, want no preamble or epilogue", m.Text)
	}

	parts := []struct {
		path, ctype, filename, body string
	}{
		{"1.1", "text/html; charset=utf-8", "", `<p>see <img src="cid:logo@x"></p>`},
		{"1.2", "image/png", "", "\x89PNG\r\n\x1a\n"},
		{"2", "application/pdf", "Résumé.pdf", "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"},
		{"3", "text/plain; charset=iso-8859-1", "Åre notes.txt", "Anteckningar fr\xe5n \xc5re"},
		{"4", "application/octet-stream", "evil.exe", "MZ"},
	}
	for _, p := range parts {
		ct, fn, body, err := Part(raw, p.path)
		if err != nil {
			t.Errorf("Part(%s) = %v", p.path, err)
			continue
		}
		b, _ := io.ReadAll(body)
		if ct != p.ctype || fn != p.filename || string(b) != p.body {
			t.Errorf("Part(%s) = %q, %q, %q; want %q, %q, %q", p.path, ct, fn, b, p.ctype, p.filename, p.body)
		}
	}
	for _, path := range []string{"5", "1.3", "0", "", "x", "1..2", "2.1"} {
		if _, _, _, err := Part(raw, path); err == nil {
			t.Errorf("Part(%q) = nil error, want ErrNoPart", path)
		}
	}
}

func TestPartEnclosed(t *testing.T) {
	raw := []byte(rawMail(`
Content-Type: multipart/mixed; boundary="b"
`, `--b
Content-Type: text/plain

hi
--b
Content-Type: message/rfc822

Subject: inner
Content-Type: multipart/mixed; boundary="c"

--c
Content-Type: text/plain

inner text
--c
Content-Type: application/zip; name=x.zip
Content-Transfer-Encoding: base64

UEsDBA==
--c--
--b--
`))
	m := Parse(bytes.NewReader(raw))
	if len(m.Attachments) != 2 || m.Attachments[0].Path != "2" || m.Attachments[1].Path != "2.2" {
		t.Fatalf("Attachments = %+v", m.Attachments)
	}
	ct, _, body, err := Part(raw, "2")
	b, _ := io.ReadAll(body)
	if err != nil || ct != "message/rfc822" || !bytes.HasPrefix(b, []byte("Subject: inner\r\n")) || !bytes.HasSuffix(b, []byte("--c--")) {
		t.Errorf("Part(2) = %q, %q, %v", ct, b, err)
	}
	if int64(len(b)) != m.Attachments[0].Size {
		t.Errorf("Part(2) gave %d bytes, Size %d", len(b), m.Attachments[0].Size)
	}
	ct, fn, body, err := Part(raw, "2.2")
	b, _ = io.ReadAll(body)
	if err != nil || ct != "application/zip" || fn != "x.zip" || string(b) != "PK\x03\x04" {
		t.Errorf("Part(2.2) = %q, %q, %q, %v", ct, fn, b, err)
	}
	ct, _, body, err = Part(raw, "2.1")
	b, _ = io.ReadAll(body)
	if err != nil || ct != "text/plain" || string(b) != "inner text" {
		t.Errorf("Part(2.1) = %q, %q, %v", ct, b, err)
	}
}

func TestPartSinglePart(t *testing.T) {
	raw := []byte(rawMail(`
Content-Type: image/gif; name=dot.gif
Content-Transfer-Encoding: base64
`, "R0lGODlh\n"))
	ct, fn, body, err := Part(raw, "1")
	b, _ := io.ReadAll(body)
	if err != nil || ct != "image/gif" || fn != "dot.gif" || string(b) != "GIF89a" {
		t.Errorf("Part(1) = %q, %q, %q, %v", ct, fn, b, err)
	}
}

func TestLimits(t *testing.T) {
	t.Run("depth", func(t *testing.T) {
		var b strings.Builder
		for i := range 100 {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\r\n\r\ndeep text\r\n")
		m := parseString(b.String())
		if !m.Truncated {
			t.Error("Truncated = false")
		}
	})
	t.Run("parts", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := range 2000 {
			fmt.Fprintf(&b, "--b\r\nContent-Type: application/octet-stream\r\n\r\npart %d\r\n", i)
		}
		m := parseString(b.String())
		if !m.Truncated || len(m.Attachments) >= MaxParts || len(m.Attachments) < MaxParts-10 {
			t.Errorf("Truncated = %v, %d attachments", m.Truncated, len(m.Attachments))
		}
	})
	t.Run("text", func(t *testing.T) {
		line := strings.Repeat("ü", 50) + "\n"
		m := parseString("Content-Type: text/plain; charset=utf-8\n\n" + strings.Repeat(line, 3*MaxTextBytes/len(line)))
		if !m.Truncated || len(m.Text) > MaxTextBytes || len(m.Text) < MaxTextBytes-200 {
			t.Errorf("Truncated = %v, len(Text) = %d", m.Truncated, len(m.Text))
		}
	})
	t.Run("header", func(t *testing.T) {
		m := parseString("Subject: " + strings.Repeat("word ", MaxHeaderBytes) + "\n\nbody\n")
		if !m.Truncated || len(m.Subject) > MaxFieldBytes || m.Text != "body" {
			t.Errorf("Truncated = %v, len(Subject) = %d, Text = %q", m.Truncated, len(m.Subject), m.Text)
		}
	})
	t.Run("long lines", func(t *testing.T) {
		long := strings.Repeat("x", 3*lineBufSize)
		m := parseString("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n" + long + "\n--b--\n")
		if m.Text != long {
			t.Errorf("len(Text) = %d, want %d", len(m.Text), len(long))
		}
	})
}

// TestLargeMessage parses a 50 MB message and checks the memory it keeps.
func TestLargeMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("large message")
	}
	size := int64(50 << 20)
	if raceEnabled {
		size = 10 << 20 // the race detector makes it slow
	}
	r := io.MultiReader(
		strings.NewReader("Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"),
		io.LimitReader(repeatReader(strings.Repeat("QUJD", 19)+"\r\n"), size),
		strings.NewReader("\r\n--b--\r\n"),
	)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := Parse(r)
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 && !raceEnabled {
		t.Errorf("Parse of a %d MB message allocated %d MB", size>>20, alloc>>20)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Size < size/2 {
		t.Fatalf("Attachments = %+v", m.Attachments)
	}
	if m.Text != "hello" {
		t.Errorf("Text = %q", m.Text)
	}
}

type repeatReader string

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

func TestPartInEncodedMessage(t *testing.T) {
	raw := []byte(rawMail(`
Content-Type: multipart/mixed; boundary=b
`, `--b
Content-Type: text/plain

outer
--b
Content-Type: message/rfc822
Content-Transfer-Encoding: base64

U3ViamVjdDogaW5uZXINCkNvbnRlbnQtVHlwZTogbXVsdGlwYXJ0L21peGVkOyBib3VuZGFyeT1j
DQoNCi0tYw0KQ29udGVudC1UeXBlOiB0ZXh0L3BsYWluDQoNCmlubmVyIHRleHQNCi0tYw0KQ29u
dGVudC1UeXBlOiBpbWFnZS9naWY7IG5hbWU9YS5naWYNCkNvbnRlbnQtVHJhbnNmZXItRW5jb2Rp
bmc6IGJhc2U2NA0KDQpSMGxHT0RsaA0KLS1jLS0NCg==
--b--
`))
	m := Parse(bytes.NewReader(raw))
	if len(m.Attachments) != 2 || m.Attachments[1].Path != "2.2" || m.Attachments[1].Filename != "a.gif" {
		t.Fatalf("Attachments = %+v", m.Attachments)
	}
	if !strings.Contains(m.Text, "Subject: inner") || !strings.Contains(m.Text, "inner text") {
		t.Errorf("Text = %q", m.Text)
	}
	ct, fn, body, err := Part(raw, "2.2")
	b, _ := io.ReadAll(body)
	if err != nil || ct != "image/gif" || fn != "a.gif" || string(b) != "GIF89a" {
		t.Errorf("Part(2.2) = %q, %q, %q, %v", ct, fn, b, err)
	}
	ct, _, body, err = Part(raw, "2")
	b, _ = io.ReadAll(body)
	if err != nil || ct != "message/rfc822" || !bytes.HasPrefix(b, []byte("Subject: inner\r\n")) || int64(len(b)) != m.Attachments[0].Size {
		t.Errorf("Part(2) = %q, %q, %v", ct, b, err)
	}
}

func TestHasAttachment(t *testing.T) {
	newsletter := rawMail(`
Content-Type: multipart/related; boundary=r
`, `--r
Content-Type: text/html

<img src="cid:a@x">
--r
Content-Type: image/png
Content-ID: <a@x>

png
--r--
`)
	if m := parseString(newsletter); m.HasAttachment || len(m.Attachments) != 1 {
		t.Errorf("inline image only: HasAttachment = %v, %d attachments", m.HasAttachment, len(m.Attachments))
	}
	if m := parseString(strings.Replace(newsletter, "Content-ID: <a@x>", "Content-Disposition: attachment; filename=a.png", 1)); !m.HasAttachment {
		t.Error("attached image: HasAttachment = false")
	}
}

func TestProblemsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := range 300 {
		fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain; charset=bogus-%d\r\nContent-Transfer-Encoding: x-%d\r\n\r\ncaf\xe9\r\n", i, i)
	}
	m := parseString(b.String())
	if len(m.Problems) != MaxProblems+1 {
		t.Errorf("%d problems, want %d", len(m.Problems), MaxProblems+1)
	}
}

// TestTextBuffersReused parses messages one after another and checks that
// each one's text and HTML stay as parsed: the buffers that gather a part's
// bytes are reused by the next parse.
func TestTextBuffersReused(t *testing.T) {
	type parsed struct {
		m          *Message
		text, html string
	}
	var all []parsed
	for i := range 20 {
		word := fmt.Sprintf("word%02d", i)
		raw := rawMail(`
Subject: reuse
Content-Type: multipart/alternative; boundary=b
`, "--b\nContent-Type: text/plain; charset=utf-8\n\n"+strings.Repeat(word+" ", 2000+i*500)+
			"\n--b\nContent-Type: text/html; charset=utf-8\n\n<p>"+strings.Repeat(word+"é ", 1000+i*500)+"</p>\n--b--\n")
		m := parseString(raw)
		all = append(all, parsed{m, strings.Clone(m.Text), strings.Clone(m.HTML)})
	}
	for i, p := range all {
		if p.m.Text != p.text || p.m.HTML != p.html {
			t.Fatalf("message %d: text or HTML changed by a later parse", i)
		}
		if word := fmt.Sprintf("word%02d", i); !strings.Contains(p.text, word+" "+word) || !strings.Contains(p.html, word+"é") {
			t.Fatalf("message %d: text %q…, HTML %q…", i, cutUTF8(p.text, 40), cutUTF8(p.html, 40))
		}
	}
}
