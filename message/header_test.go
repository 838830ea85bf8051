package message

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecodeHeader(t *testing.T) {
	tests := []struct {
		in, hint, want string
	}{
		{"plain ascii", "", "plain ascii"},
		{"=?utf-8?q?caf=C3=A9?=", "", "café"},
		{"=?UTF-8?B?Q2Fmw6k=?=", "", "Café"},
		{"=?utf-8?b?Q2Fmw6k?=", "", "Café"}, // no padding
		{"=?iso-8859-1?q?a?= =?iso-8859-1?q?b?=", "", "ab"},
		{"=?iso-8859-1?q?a?=\r\n =?iso-8859-1?q?_b?=", "", "a b"},
		{"x =?iso-8859-1?q?a?= y", "", "x a y"},
		{"Re:=?utf-8?q?caf=C3=A9?=now", "", "Re:cafénow"},     // no spaces around
		{`"=?utf-8?q?J=C3=B6rg?=" <j@x>`, "", `"Jörg" <j@x>`}, // inside quotes
		{"=?utf-8?q?=C5?= =?UTF-8?Q?=BE?=", "", "ž"},          // a character split over two words
		{"=?utf-8?B?0LTQvtC6?= =?utf-8?B?0YPQvA==?=", "", "докум"},
		{"=?iso-8859-1*sv?Q?D=F6rte?=", "", "Dörte"}, // RFC 2231 language
		{"=?iso-8859-2*sl?Q?Doma=e8e?=", "", "Domače"},
		{"=?koi8-r?B?89DJ08/LLmRvYw==?=", "", "Список.doc"},
		{"=?x-unknown?q?caf=E9?=", "", "café"},    // unknown charset, not UTF-8
		{"=?x-unknown?q?caf=C3=A9?=", "", "café"}, // unknown charset, UTF-8
		{"=?utf-8?q?unterminated", "", "=?utf-8?q?unterminated"},
		{"=?utf-8?x?bad encoding?=", "", "=?utf-8?x?bad encoding?="},
		{"=??q?empty?=", "", "=??q?empty?="},
		{"=?utf-8?q?a b?=", "", "a b"}, // space in Q text
		{"caf\xc3\xa9", "", "café"},    // raw UTF-8
		{"caf\xe9", "", "café"},        // raw Latin-1
		{"\xc7\xe4\xf0\xe0\xe2\xe5\xe9", "windows-1251", "Здравей"},
		{"=?unicode-1-1-utf-7?Q?Fr+APY-sche?=", "", "Frösche"},
		{"=?iso-2022-jp?B?GyRCJEskWyRzJDQbKEI=?=", "", "にほんご"},
		{"=?gb2312?B?1tDOxA==?=", "", "中文"},
		{"=?big5?B?pKSk5Q==?=", "", "中文"},
		{"=?ks_c_5601-1987?B?x9GxucDP?=", "", "한국일"},
		{"=?shift_jis?B?k/qWe4zq?=", "", "日本語"},
	}
	for _, tt := range tests {
		if got := decodeHeader(tt.in, tt.hint); got != tt.want {
			t.Errorf("decodeHeader(%q, %q) = %q, want %q", tt.in, tt.hint, got, tt.want)
		}
	}
}

func TestParseStructured(t *testing.T) {
	tests := []struct {
		in     string
		value  string
		params map[string]string
	}{
		{`text/plain; charset="utf-8"; format=flowed`, "text/plain", map[string]string{"charset": "utf-8", "format": "flowed"}},
		{`TEXT/HTML;CHARSET=ISO-8859-1`, "text/html", map[string]string{"charset": "ISO-8859-1"}},
		{`multipart/mixed; boundary="a;b=c"`, "multipart/mixed", map[string]string{"boundary": "a;b=c"}},
		{`multipart/mixed; boundary=----=_NextPart_000`, "multipart/mixed", map[string]string{"boundary": "----=_NextPart_000"}},
		{`attachment; filename*=utf-8''%E2%9C%93.txt`, "attachment", map[string]string{"filename": "✓.txt"}},
		{`attachment; filename*0*=utf-8''%6D%61; filename*1*=%69%6C; filename*2="x.jpg"`, "attachment", map[string]string{"filename": "mailx.jpg"}},
		{`attachment; filename="plain.txt"; filename*=iso-8859-1''%E5.txt`, "attachment", map[string]string{"filename": "å.txt"}},
		{`attachment; filename="C:\TEMP\a.png"`, "attachment", map[string]string{"filename": `C:\TEMP\a.png`}},
		{`attachment; filename="say \"hi\".txt"`, "attachment", map[string]string{"filename": `say "hi".txt`}},
		{`inline; filename=`, "inline", map[string]string{"filename": ""}},
		{`text/plain; ; junk; charset=us-ascii (comment)`, "text/plain", map[string]string{"charset": "us-ascii"}},
		{`text/plain; name==?koi8-r?B?89DJ08/LLmRvYw==?=`, "text/plain", map[string]string{"name": "=?koi8-r?B?89DJ08/LLmRvYw==?="}},
	}
	for _, tt := range tests {
		v, p, _ := parseStructured(tt.in)
		if v != tt.value || fmt.Sprint(p) != fmt.Sprint(params(tt.params)) {
			t.Errorf("parseStructured(%q) = %q, %v; want %q, %v", tt.in, v, p, tt.value, tt.params)
		}
	}
	if _, _, dup := parseStructured(`multipart/mixed; boundary=a; boundary=b`); len(dup) != 1 {
		t.Errorf("duplicate boundary not reported: %q", dup)
	}
}

func TestParseDate(t *testing.T) {
	utc := time.UTC
	zone := func(h, m int) *time.Location { return time.FixedZone("", (h*60+m)*60) }
	tests := []struct {
		in   string
		want time.Time // zero: unparseable
	}{
		{"Mon, 05 Oct 2015 12:00:00 +0200", time.Date(2015, 10, 5, 12, 0, 0, 0, zone(2, 0))},
		{"5 Oct 2015 12:00 -0800 (PST)", time.Date(2015, 10, 5, 12, 0, 0, 0, zone(-8, 0))},
		{"Thu, 13 Feb 1969 23:32:54 -0330", time.Date(1969, 2, 13, 23, 32, 54, 0, zone(-3, -30))},
		{"2002/09/14 Sat 02:29:32 CDT", time.Date(2002, 9, 14, 2, 29, 32, 0, zone(-5, 0))},
		{"Tue, 17 Jul 2012 22:23:35.882 0000", time.Date(2012, 7, 17, 22, 23, 35, 882e6, utc)},
		{"16 May 2016 at 09:30:32  GMT+1", time.Date(2016, 5, 16, 9, 30, 32, 0, zone(1, 0))},
		{"Thu, 22 Aug 0102 12:07:35 +0800", time.Date(2002, 8, 22, 12, 7, 35, 0, zone(8, 0))},
		{"Sun, 25 Aug 2002 19:21:44 01800", time.Date(2002, 8, 25, 19, 21, 44, 0, utc)},
		{"Fri, 9 Jan 98 12:00:00 EST", time.Date(1998, 1, 9, 12, 0, 0, 0, zone(-5, 0))},
		{"Wednesday, 14-Sep-2002 10:00:00 GMT", time.Date(2002, 9, 14, 10, 0, 0, 0, utc)},
		{"2002-09-14T02:29:32Z", time.Date(2002, 9, 14, 2, 29, 32, 0, utc)},
		{"14.09.2002 02:29", time.Date(2002, 9, 14, 2, 29, 0, 0, utc)},
		{"Sat, 14 Sep 2002 2:29:32 PM +0100", time.Date(2002, 9, 14, 14, 29, 32, 0, zone(1, 0))},
		{"Mon, 30 Jun 3609 15:33:50 +0600", time.Time{}},
		{"Wed, 15 Dec 2010 59:10 -0500", time.Time{}},
		{"Fri,6  c O1t2009 10:34:38 +0200", time.Time{}},
		{"7370951615", time.Time{}},
		{"2Jul6:0U", time.Time{}},
		{"Whenever", time.Time{}},
		{"31 Feb 2002 10:00", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.in)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("parseDate(%q) = %v, %v; want %v", tt.in, got, ok, tt.want)
		}
	}
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{`a@example.com`, `[a@example.com]`},
		{`"Doe, John" <john@example.com>, jane@example.com`, `["Doe, John" <john@example.com> jane@example.com]`},
		{`=?utf-8?q?J=C3=B6rg?= <j@example.com>`, `[Jörg <j@example.com>]`},
		{`"=?utf-8?q?J=C3=B6rg?=" <j@example.com>`, `[Jörg <j@example.com>]`},
		{`=?iso-8859-1*sv?Q?D=F6rte_=C5._S=F6rensen=2C_Jr.?= <d@example.com>`, `["Dörte Å. Sörensen, Jr." <d@example.com>]`},
		{`j@example.com (John Doe)`, `[John Doe <j@example.com>]`},
		{`undisclosed-recipients:;`, `[]`},
		{`group: a@example.com, b@example.com;`, `[a@example.com b@example.com]`},
		{`"unterminated <u@example.com>, second@example.com`, `[unterminated <u@example.com> second@example.com]`},
		{`<<double@example.com>>`, `[double@example.com]`},
		{`just a name`, `[just a name]`},
		{`θσερ@εχαμπλε.ψομ`, `[θσερ@εχαμπλε.ψομ]`},
		{"\xc0\xf2\xe8\xea\xee\xe2a <y@example.com>", `[Атиковa <y@example.com>]`},
	}
	for _, tt := range tests {
		hint := ""
		if strings.Contains(tt.in, "\xc0") {
			hint = "windows-1251"
		}
		if got := fmt.Sprint(parseAddressList(tt.in, hint)); got != tt.want {
			t.Errorf("parseAddressList(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAddressString(t *testing.T) {
	tests := []struct {
		a    Address
		want string
	}{
		{Address{"", "a@example.com"}, "a@example.com"},
		{Address{"Jörg", "j@example.com"}, "Jörg <j@example.com>"},
		{Address{"Doe, John", "j@example.com"}, `"Doe, John" <j@example.com>`},
		{Address{`Say "hi"`, "j@example.com"}, `"Say \"hi\"" <j@example.com>`},
		{Address{"Only Name", ""}, "Only Name"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.a, got, tt.want)
		}
	}
}

func TestMsgIDs(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"<a@b>", "[a@b]"},
		{"<a@b> <c@d>\r\n\t<e@f>", "[a@b c@d e@f]"},
		{"<a@b> (comment <x@y>)", "[a@b x@y]"},
		{"a@b", "[a@b]"},
		{"a@b c@d", "[a@b c@d]"},
		{"<broken", "[broken]"},
		{"Your message of Mon <a@b>", "[a@b]"},
		{"", "[]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(msgIDs(tt.in, MaxReferences)); got != tt.want {
			t.Errorf("msgIDs(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	var b strings.Builder
	for i := range 2 * MaxReferences {
		fmt.Fprintf(&b, "<%d@x> ", i)
	}
	ids := msgIDs(b.String(), MaxReferences)
	if len(ids) != MaxReferences || ids[0] != "0@x" || ids[len(ids)-1] != fmt.Sprintf("%d@x", 2*MaxReferences-1) {
		t.Errorf("msgIDs kept %d: first %q, last %q", len(ids), ids[0], ids[len(ids)-1])
	}
}

func TestToUTF8(t *testing.T) {
	tests := []struct {
		in, label, hint, want string
	}{
		{"caf\xe9", "iso-8859-1", "", "café"},
		{"\x93quoted\x94", "iso-8859-1", "", "“quoted”"}, // windows-1252 for Latin-1, as browsers do
		{"caf\xc3\xa9", "iso-8859-1", "", "café"},        // mislabelled UTF-8
		{"caf\xe9", "utf-8", "", "café"},                 // invalid UTF-8, Latin-1 text
		{"\xd0\xae\xd0\xbd\xd0\xb8\xf1", "", "", "Юни\uFFFD"},
		{"\xb6\xed\xef\xe9\xee\xe7", "ISO_8859-7", "", "Άνοιξη"},
		{"\xa2\xed\xef\xe9\xee\xe7", "cp1253", "", "Άνοιξη"},
		{"\xfa\xc4\xd2\xc1\xd7\xc5\xca", "koi8-r", "", "Здравей"},
		{"\xfa\xc4\xd2\xc1\xd7\xc5\xca", "koi8-u", "", "Здравей"},
		{"\xc7\xe4\xf0\xe0\xe2\xe5\xe9", "win-1251", "", "Здравей"},
		{"H\xe4lsningar fr\xe5n \xc5re", "iso8859-1", "", "Hälsningar från Åre"},
		{"\xa4\xa4\xa4\xe5", "x-unknown", "big5", "中文"},
		{"\xc7\xd1\xb1\xb9\xc0\xcf \xbd\xc5\xb9\xae", "", "", "한국일 신문"},
		{"\xd6\xd0\xce\xc4\xd0\xc5\xcf\xa2", "", "", "中文信息"},
		{"\xa4\xa4\xa4\xe5\xb3\x6e\xc5\xe9", "", "", "中文軟體"},
		{"\xd0\xd2\xc9\xd7\xc5\xd4 \xcd\xc9\xd2", "", "", "привет мир"},
		{"\xef\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0", "", "", "привет мир"},
		{"\xff\xfeH\x00i\x00", "utf-16", "", "Hi"},
		{"H\x00i\x00", "utf-16", "", "Hi"},
		{"\x00H\x00i", "utf-16", "", "Hi"},
		{"+AGEAYgBj-", "utf-7", "", "abc"},
		{"\x1b$B$3$s$K$A$O\x1b(B", "iso-2022-jp", "", "こんにちは"},
		{"\xa4\xb3\xa4\xf3\xa4\xcb\xa4\xc1\xa4\xcf", "iso-2022-jp", "", "こんにちは"}, // EUC-JP sent as ISO-2022-JP
		{"\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd", "x-sjis", "", "こんにちは"},
		{"abc", "no-such-charset", "", "abc"},
	}
	for _, tt := range tests {
		if got, _ := toUTF8([]byte(tt.in), tt.label, tt.hint); got != tt.want {
			t.Errorf("toUTF8(%q, %q, %q) = %q, want %q", tt.in, tt.label, tt.hint, got, tt.want)
		}
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"<p>Gr&uuml;&szlig;e</p>", "\nGrüße\n"},
		{"a<br>b<br/>c", "a\nb\nc"},
		{"<div>one</div><div>two</div>", "\none\n\ntwo\n"},
		{"<title>T</title><style>p{}</style><script>x()</script>body", "body"},
		{"  lots   of\n\n spaces  ", "lots of spaces"},
		{"<pre>  keep\n   this</pre>", "\n  keep\n   this\n"},
		{"<table><tr><td>a</td><td>b</td></tr></table>", "\n\na b\n\n"},
		{`<img src="x" alt="the logo">text`, "the logo text"},
		{"&lt;tag&gt; &amp; &#8364; &euro; &nbsp;x", "<tag> & € € \u00a0x"},
		{"<!-- hidden --><p>seen</p>", "\nseen\n"},
	}
	for _, tt := range tests {
		if got := htmlToText(tt.in, 1<<20); got != tt.want {
			t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"a\r\nb\rc\n", "a\nb\nc"},
		{"a\x00b\x07c", "abc"},
		{"trailing   \nspaces\t\n", "trailing\nspaces"},
		{"a\n\n\n\n\nb", "a\n\nb"},
		{"zero\u200bwidth\ufeff\u00a0nbsp", "zerowidth nbsp"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTransferDecoders(t *testing.T) {
	tests := []struct {
		cte, in, want string
	}{
		{"base64", "SGVsbG8=", "Hello"},
		{"base64", "SGVs\r\nbG8gd29y\r\nbGQ=", "Hello world"},
		{"base64", "SGVsbG8", "Hello"},
		{"base64", "SGVsbG8gdw", "Hello w"},
		{"base64", "SGVs bG8=SGk=", "HelloHi"},
		{"base64", "SG*VsbG8=", "Hello"},
		{"quoted-printable", "caf=C3=A9", "caf\xc3\xa9"},
		{"quoted-printable", "soft=\r\nbreak", "softbreak"},
		{"quoted-printable", "soft=  \r\nbreak", "softbreak"},
		{"quoted-printable", "trailing   \r\nnext", "trailing\r\nnext"},
		{"quoted-printable", "a=3d=3Db", "a==b"},
		{"quoted-printable", "bad=ZZ and =4", "bad=ZZ and =4"},
		{"quoted-printable", "end=", "end"},
		{"", "as is=3D", "as is=3D"},
	}
	for _, tt := range tests {
		// Feed byte by byte to exercise the state kept between writes.
		var out sliceWriter
		d := newTransferDecoder(tt.cte, &out)
		for i := 0; i < len(tt.in); i++ {
			d.Write([]byte{tt.in[i]})
		}
		d.Close()
		if string(out.b) != tt.want {
			t.Errorf("%s decode of %q = %q, want %q", tt.cte, tt.in, out.b, tt.want)
		}
	}
}
