package message

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailkeep/mailkeep/internal/testenv"
)

// TestCorpusParses parses every file of the corpus (the mbox files as one
// blob each, the Outlook binaries too) and checks the invariants: no
// panic, valid UTF-8 everywhere, every limit kept, and every listed part
// extractable.
func TestCorpusParses(t *testing.T) {
	files := testenv.CorpusFiles(t)
	dir := testenv.CorpusDir(t)
	const shards = 4
	for s := range shards {
		t.Run("shard"+string(rune('0'+s)), func(t *testing.T) {
			t.Parallel()
			for i := s; i < len(files); i += shards {
				path := files[i]
				rel, _ := filepath.Rel(dir, path)
				if raceEnabled && i%(4*shards) >= shards && strings.HasPrefix(rel, "spamassassin-public-corpus") {
					// Under the race detector a quarter of the big set is
					// enough; the normal run parses all of it.
					continue
				}
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				m := Parse(bytes.NewReader(raw))
				checkInvariants(t, rel, raw, m)
			}
		})
	}
}

func checkInvariants(t *testing.T, name string, raw []byte, m *Message) {
	t.Helper()
	if m.Size != int64(len(raw)) {
		t.Errorf("%s: Size = %d, want %d", name, m.Size, len(raw))
	}
	if len(m.Text) > MaxTextBytes {
		t.Errorf("%s: len(Text) = %d, over MaxTextBytes", name, len(m.Text))
	}
	if len(m.HTML) > 2*MaxHTMLBytes {
		t.Errorf("%s: len(HTML) = %d, over the limit", name, len(m.HTML))
	}
	if len(m.Problems) > MaxProblems+1 {
		t.Errorf("%s: %d problems", name, len(m.Problems))
	}
	if len(m.Attachments) > MaxParts {
		t.Errorf("%s: %d attachments", name, len(m.Attachments))
	}
	for _, p := range m.Problems {
		if strings.HasPrefix(p, "internal error") {
			t.Errorf("%s: %s", name, p)
		}
	}
	strs := []string{m.Subject, m.Text, m.HTML, m.MessageID}
	for _, l := range [][]Address{m.From, m.To, m.Cc, m.Bcc, m.ReplyTo, m.Sender} {
		for _, a := range l {
			strs = append(strs, a.Name, a.Addr)
		}
	}
	for _, a := range m.Attachments {
		strs = append(strs, a.Filename, a.ContentID, a.ContentType)
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8 in %q", name, s)
		}
	}
	if strings.ContainsRune(m.Subject, 0) || strings.ContainsRune(m.Text, 0) {
		t.Errorf("%s: NUL in Subject or Text", name)
	}
	// Part parses up to its part, so check a few of the attachments of a
	// message that has many.
	atts := m.Attachments
	if len(atts) > 8 {
		atts = append(slices.Clone(atts[:4]), atts[len(atts)-4:]...)
	}
	for _, a := range atts {
		ct, _, body, err := Part(raw, a.Path)
		if err != nil {
			t.Errorf("%s: Part(%s) = %v", name, a.Path, err)
			continue
		}
		if !strings.HasPrefix(ct, a.ContentType) {
			t.Errorf("%s: Part(%s) type %q, want %q", name, a.Path, ct, a.ContentType)
		}
		var n int64
		buf := make([]byte, 32<<10)
		for {
			k, err := body.Read(buf)
			n += int64(k)
			if err != nil {
				break
			}
		}
		if n != a.Size && !m.Truncated {
			t.Errorf("%s: Part(%s) gave %d bytes, Attachment.Size %d", name, a.Path, n, a.Size)
		}
	}
}

// TestCorpusContent checks decoded values of corpus files, verified by eye
// against the raw bytes.
func TestCorpusContent(t *testing.T) {
	dir := testenv.CorpusDir(t)
	tests := []struct {
		file                   string
		subject, from, to      string // substrings of Subject and of the first From / To address's String
		text, notText          string // substrings of Text
		filename               string // an attachment's Filename
		date                   string // RFC 3339; "zero" for an unparseable date
		truncated, wantProblem bool
	}{
		{file: "mime-tools/testmsgs/russian.msg", filename: "Список.doc", text: "Salutations"},
		{file: "james-mime4j/testmsgs/russian-headers.msg", filename: "Список.doc"},
		{file: "ruby-mail/emails/plain_emails/raw_email_bad_time.eml", from: "Атиковa <yusuf75thu@auracom.net>", date: "zero", wantProblem: true},
		{file: "spamassassin-t/nice/cjk/big5-base64.1", subject: "鉅靡6月17日新片又到.如有重複寄發.敬請原諒!", text: "永久網址"},
		{file: "spamassassin-t/nice/cjk/gb2312.1", subject: "台湾鑫龙商贸集团公司向您拜年", from: "台湾鑫龙商贸集团公司", text: "本公司长期经销电脑配件"},
		{file: "spamassassin-t/nice/cjk/gb2312.2", subject: "RE: 装硬碟问题", text: "假设你的硬碟是IDE介面"},
		{file: "spamassassin-t/nice/cjk/iso-2022-jp.1", subject: "MIME text/plain attach with Shift_JIS (CP932)", text: "文字コード(charset)    : Shift_JIS", filename: "test-sjis.txt"},
		{file: "spamassassin-t/nice/cjk/iso-2022-jp.2", text: "ああ、心当たりがあります。"},
		{file: "spamassassin-t/nice/unicode1", subject: "Domače omrežje", from: "Marilù Gioffré ♥", to: `"Dörte Å. Sörensen, Jr." <Dörte@Sörensen.example.com>`, filename: "документы для отдела кадров.pdf", date: "2015-10-05T12:00:00+02:00"},
		{file: "spamscope-mail-parser/mail_test_5", subject: "Je prépare mon été zéro complexe !", filename: "mailingassets_d68799cd6301c7f5731a3c42946e528bcb78eb84.jpg", text: "Offre valable du 8 mars au 8 avril 2017"},
		{file: "hunny-mime-samples/m0001.txt", subject: "Die Hasen und die Frösche (Microsoft Outlook 00)", to: "Jürgen Schmürgen <schmuergen@example.com>", text: "Die Hasen klagten einst über ihre mißliche Lage"},
		{file: "hunny-mime-samples/m0006.txt", text: "das außerordentliche Getöse"},
		{file: "hunny-mime-samples/m1011.txt", subject: "Die Hasen und die Frösche", to: "Heinz Müller"},
		{file: "hunny-mime-samples/m1005.txt", filename: "nsmailEG.png"},
		{file: "hunny-mime-samples/m1015.txt", filename: "HasenundFrösche.txt"},
		{file: "hunny-mime-samples/m2004.txt", subject: "Die Hasen und die Frösche", to: "Heinz Müller"},
		{file: "hunny-mime-samples/m3004.txt", filename: "HasenundFrösche.txt"},
		{file: "spamassassin-public-corpus/spam_2/00960.ae114c0b717c866b821efe032780a8e5", subject: "(광고)신사업!!..원거리 감시 시스템", from: "구교학", text: "원거리 감시 시스템\n대리점 및 딜러 모집 안내"},
		{file: "spamassassin-public-corpus/spam_2/00588.44b644374b89ba4885f91f0ed836e622", text: "이멜리스트 500만개 4만원에 팝니다"},
		{file: "ruby-mail/emails/error_emails/content_transfer_encoding_empty.eml", subject: "(大補泡麵專賣) 大家說英語"},
		{file: "ruby-mail/emails/plain_emails/raw_email_string_in_date_field.eml", subject: "NOTE: 한국말로 하는 것"},
		{file: "ruby-mail/emails/multi_charset/japanese_attachment_long_name.eml", subject: "まみむめもまみむめも", filename: "かきくけこかきくけこかきくけこかきくけこかきくけこ.txt"},
		{file: "flanker/mailformed-headers.eml", from: "Юникод запрещен"},
		{file: "flanker/long-header.eml", subject: "Die heiße Zypernsonne quälte Max und Victori", truncated: true},
		{file: "kde-kmime/outlook-attachment.mbox", filename: "å.diff"},
		{file: "kde-kmime/headers-with-nullbytes.mbox", subject: "This header type has a trailing null byte"},
		{file: "mime-tools/testmsgs/german-qp.msg", from: "Jörn Reder <joern@zyn.de>"},
		{file: "php-mime-mail-parser/m0021", subject: "Путін"},
		{file: "enmime/low-quality/unk-charset-part.raw", text: "A text section", filename: "foo_9E5D72.zip"},
		{file: "spamassassin-t/spam/utf16.eml", text: "We are professional in engineering"},
		{file: "stalwart-mail-parser/thirdparty/005.eml", text: "『世界人権宣言』"},
		{file: "apache-tika/messages/testRFC822_date_utf8", from: "Philipp Steinkrüger", date: "2016-05-16T09:30:32+01:00"},
		{file: "james-mime4j/other/mime4j-219-new-date-time-format.msg", date: "2012-07-17T22:23:35.882Z"},
		{file: "spamassassin-public-corpus/spam/00302.544366fa4cd0f5d210dd8443a1c2c95a", date: "2002-09-14T02:29:32-05:00"},
		{file: "spamassassin-public-corpus/spam/00023.b6d27c684f5fc803cfa1060adb2d0805", date: "2002-08-22T12:07:35+08:00"},
		{file: "kde-kmime/read-digits-overflow.mbox", date: "zero"},
		{file: "horde-mime/deeply_nested.txt", truncated: true},
		{file: "kde-kmime/bug519598-encapsulated-message.mbox", truncated: true},
		{file: "flanker/enclosed-endless.eml", truncated: true},
		{file: "nodemailer-mailparser/large_text.eml", truncated: true},
		{file: "mimekit/messages/stack-overflow.txt", truncated: true},
		{file: "mime-tools/testmsgs/double-content-transfer-encoding.msg", wantProblem: true},
		{file: "ruby-mail/emails/plain_emails/raw_email_bad_time.eml", notText: "<br"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			m := Parse(bytes.NewReader(raw))
			checkInvariants(t, tt.file, raw, m)
			if !strings.Contains(m.Subject, tt.subject) {
				t.Errorf("Subject = %q, want %q in it", m.Subject, tt.subject)
			}
			first := func(l []Address) string {
				if len(l) == 0 {
					return ""
				}
				return l[0].String()
			}
			if got := first(m.From); !strings.Contains(got, tt.from) {
				t.Errorf("From = %q, want %q in it", got, tt.from)
			}
			if got := first(m.To); !strings.Contains(got, tt.to) {
				t.Errorf("To = %q, want %q in it", got, tt.to)
			}
			if !strings.Contains(m.Text, tt.text) {
				t.Errorf("Text = %q, want %q in it", cutUTF8(m.Text, 2000), tt.text)
			}
			if tt.notText != "" && strings.Contains(m.Text, tt.notText) {
				t.Errorf("Text = %q, want no %q in it", cutUTF8(m.Text, 2000), tt.notText)
			}
			if tt.filename != "" {
				var names []string
				for _, a := range m.Attachments {
					names = append(names, a.Filename)
				}
				if !slices.Contains(names, tt.filename) {
					t.Errorf("attachment names = %q, want %q", names, tt.filename)
				}
			}
			switch tt.date {
			case "":
			case "zero":
				if !m.Date.IsZero() {
					t.Errorf("Date = %v, want zero", m.Date)
				}
			default:
				want, err := time.Parse(time.RFC3339Nano, tt.date)
				if err != nil {
					t.Fatal(err)
				}
				if !m.Date.Equal(want) {
					t.Errorf("Date = %v, want %v", m.Date, want)
				}
			}
			if m.Truncated != tt.truncated {
				t.Errorf("Truncated = %v, want %v (problems %q)", m.Truncated, tt.truncated, m.Problems)
			}
			if tt.wantProblem && len(m.Problems) == 0 {
				t.Error("no problems recorded")
			}
		})
	}
}
