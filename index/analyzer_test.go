package index

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestFold(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Hello", "hello"},
		{"ΔΙΑΒΑΣΜΕΝΟ", "διαβασμενο"},
		{"διαβασμένο", "διαβασμενο"},
		{"ΟΔΟΣ", "οδοσ"},
		{"οδός", "οδοσ"},
		{"ΐ", "ι"},
		{"ПРИВЕТ", "привет"},
		{"Ёлка", "елка"},
		{"Mörk", "mork"},
		{"Ångström", "angstrom"},
		{"straße", "strasse"},
		{"Øre", "ore"},
		{"Łódź", "lodz"},
		{"ﬁne", "fine"},
		{"ＡＢＣ", "abc"},
		{"ｶﾀｶﾅ", "カタカナ"},
		{"が", "が"},
		{"한국어", "한국어"},
		{"İstanbul", "istanbul"},
		{"עִבְרִית", "עברית"},
	} {
		if got := fold(c.in); got != c.want {
			t.Errorf("fold(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAnalyzer(t *testing.T) {
	an := newTextAnalyzer(false)
	for _, c := range []struct{ in, want string }{
		{"Hello, World!", "hello world"},
		{"alice.smith@example.com", "alice smith example com"},
		{"report_2019.pdf", "report 2019 pdf"},
		{"don't 3.14 10.0.0.1", "don t 3.14 10.0.0.1"},
		{"東京都に行きました", "東京 京都 都に に行 行き きま まし した"},
		{"中文 信息", "中文 信息"},
		{"中", "中"},
		{"カタカナ", "カタ タカ カナ"},
		{"Привет, мир", "привет мир"},
	} {
		var got []string
		for i, tok := range an.Analyze([]byte(c.in)) {
			got = append(got, string(tok.Term))
			if tok.Position != i+1 {
				t.Errorf("Analyze(%q): token %d %q at position %d", c.in, i, tok.Term, tok.Position)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("Analyze(%q) = %q, want %q", c.in, strings.Join(got, " "), c.want)
		}
	}
}

// encoded returns a text/plain message with subject and body in the given
// charset (the subject as an RFC 2047 B-word).
func encoded(t *testing.T, cs string, enc encoding.Encoding, subject, body string) string {
	t.Helper()
	subj, err := enc.NewEncoder().String(subject)
	if err != nil {
		t.Fatalf("encode %q in %s: %v", subject, cs, err)
	}
	b, err := enc.NewEncoder().String(body)
	if err != nil {
		t.Fatalf("encode %q in %s: %v", body, cs, err)
	}
	return strings.ReplaceAll(fmt.Sprintf("From: x@example.com\nTo: y@example.com\nSubject: =?%s?B?%s?=\nDate: Mon, 02 Jan 2006 15:04:05 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=%s\nContent-Transfer-Encoding: 8bit\n\n%s\n",
		cs, base64.StdEncoding.EncodeToString([]byte(subj)), cs, b), "\n", "\r\n")
}

// TestAccentsAndCase indexes small messages in several scripts and
// charsets and checks that every spelling finds each of them.
func TestAccentsAndCase(t *testing.T) {
	a := newTestArchive(t)
	html := strings.ReplaceAll("From: x@example.com\nSubject: html\nDate: Mon, 02 Jan 2006 15:04:05 +0000\nMIME-Version: 1.0\nContent-Type: text/html; charset=us-ascii\n\n<html><body><p>Gr&uuml;&szlig;e aus M&uuml;nchen &amp; &#917;&#955;&#955;&#940;&#948;&#945;</p></body></html>\n", "\n", "\r\n")
	addMails(t, a,
		testMail{raw: mail("x@example.com", "y@example.com", "Ελληνικά", "Mon, 02 Jan 2006 15:04:05 +0000", "Το μήνυμα είναι ΔΙΑΒΑΣΜΕΝΟ.")},
		testMail{raw: encoded(t, "iso-8859-7", charmap.ISO8859_7, "Γεια σας", "Το μήνυμα είναι διαβασμένο, οδός")},
		testMail{raw: encoded(t, "windows-1253", charmap.Windows1253, "Καλημέρα", "διαβασμενο ΟΔΌΣ")},
		testMail{raw: encoded(t, "windows-1251", charmap.Windows1251, "Привет", "ПРИВЕТ, мир! Ёлка")},
		testMail{raw: encoded(t, "koi8-r", charmap.KOI8R, "привет из KOI8", "Москва")},
		testMail{raw: mail("x@example.com", "y@example.com", "Svenska", "Mon, 02 Jan 2006 15:04:05 +0000", "En mörk höstkväll på Åland, blåbär.")},
		testMail{raw: encoded(t, "iso-8859-1", charmap.ISO8859_1, "Hälsningar", "Smörgåsbord i Malmö")},
		testMail{raw: encoded(t, "gb2312", simplifiedchinese.GBK, "中文", "中文信息处理")},
		testMail{raw: encoded(t, "shift_jis", japanese.ShiftJIS, "日本語", "東京都に行きました")},
		testMail{raw: html},
	)
	x := openTestIndex(t, a, Options{})
	for _, c := range []struct {
		q    string
		want int
	}{
		// Greek: tonos, case and final sigma, UTF-8, ISO-8859-7, windows-1253.
		{"ΔΙΑΒΑΣΜΕΝΟ", 3},
		{"διαβασμένο", 3},
		{"διαβασμενο", 3},
		{"Διαβασμένο", 3},
		{"οδος", 2},
		{"ΟΔΟΣ", 2},
		{"οδός", 2},
		{"subject:ελληνικα", 1},
		{"subject:ΚΑΛΗΜΕΡΑ", 1},
		{"subject:γεια", 1},
		{"ελλαδα", 1}, // from the HTML entities
		// Cyrillic in windows-1251 and KOI8-R.
		{"привет", 2},
		{"ПРИВЕТ", 2},
		{"subject:привет", 2},
		{"москва", 1},
		{"ёлка", 1},
		{"елка", 1},
		// Swedish: å, ä, ö fold to a, a, o.
		{"mörk", 1},
		{"mork", 1},
		{"MÖRK", 1},
		{"åland", 1},
		{"aland", 1},
		{"blåbär", 1},
		{"smörgåsbord", 1},
		{"malmo", 1},
		{"subject:halsningar", 1},
		// CJK bigrams.
		{"中文", 1},
		{"信息", 1},
		{"信息处理", 1},
		{"中文信息处理", 1},
		{"处理中文", 0},
		{"東京", 1},
		{"京都", 1},
		{"東京都", 1},
		{"subject:日本語", 1},
		{"中", 1},
		// HTML entities decoded before indexing.
		{"grüße", 1},
		{"grusse", 1},
		{"münchen", 1},
		{"munchen", 1},
	} {
		if got := count(t, x, c.q); got != c.want {
			t.Errorf("Search(%q).Total = %d, want %d", c.q, got, c.want)
		}
	}
}
