package index

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/internal/testenv"
)

// corpusArchive stores every file of the corpus as one message (an mbox
// file too, as a single blob): account "corpus", the mailbox is the top
// folder (e.g. "spamassassin-t"), the key the path below it. It returns the
// archive and the number of distinct files.
func corpusArchive(t *testing.T) (*archive.Archive, int) {
	t.Helper()
	dir := testenv.CorpusDir(t)
	files := testenv.CorpusFiles(t)
	a := newTestArchive(t)
	ctx := context.Background()
	distinct := map[[32]byte]bool{}
	b := a.NewBatch()
	for i, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		distinct[sha256.Sum256(raw)] = true
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		mbox, key, _ := strings.Cut(rel, "/")
		if _, err := b.Add(strings.NewReader(string(raw)), archive.Location{LocationKey: archive.LocationKey{Account: "corpus", Mailbox: mbox, UIDL: key}}); err != nil {
			t.Fatalf("add %s: %v", rel, err)
		}
		if b.Len() == 1000 || i == len(files)-1 {
			if _, err := b.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	return a, len(distinct)
}

// TestCorpus indexes the whole corpus and runs queries over its
// multilingual part whose counts were found by reading the files.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	a, distinct := corpusArchive(t)
	x := openTestIndex(t, a, Options{})
	st, err := a.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if int(st.Messages) != distinct {
		t.Fatalf("archive holds %d messages, want %d distinct files", st.Messages, distinct)
	}
	wantDocs(t, x, distinct)
	t.Logf("corpus: %d messages, %.1f MB raw, index %.1f MB (%.2f × raw)", st.Messages, float64(st.BytesRaw)/1e6,
		float64(dirSize(a.IndexDir()))/1e6, float64(dirSize(a.IndexDir()))/float64(st.BytesRaw))

	for _, c := range corpusQueries {
		if got := count(t, x, c.q); got != c.want {
			t.Errorf("Search(%q).Total = %d, want %d (%s)", c.q, got, c.want, c.why)
		}
	}
}

// corpusQueries are searches over the multilingual part of the corpus. The
// counts were found by decoding the files independently (Python's email
// package, html.unescape, the same folding) and reading the differences:
// where they differ, mailkeep decodes more (RFC 2231 language tags, raw
// 8-bit header bytes, undeclared charsets) and the reason is given.
var corpusQueries = []struct {
	q    string
	want int
	why  string
}{
	// Cyrillic.
	{"поживаешь", 1, "flanker/bilingual-simple.eml: UTF-8 QP body and RFC 2047 UTF-8 subject"},
	{"ПОЖИВАЕШЬ", 1, "same, upper case"},
	{"ПОЖИВАЕ*", 1, "same, the beginning of the word"},
	{"subject:поживаешь", 1, "RFC 2047 B-encoded UTF-8 subject"},
	{`"налоговой декларации"`, 2, "spamscope mail_test_1 and mail_test_11: base64 UTF-8 HTML"},
	{"россии", 3, "spamscope mail_test_1, _6, _11"},
	{"subject:письмо", 2, "spamscope mail_test_1, _11: RFC 2047 UTF-8 subject"},
	{"Путін", 1, "php-mime-mail-parser/m0021: Ukrainian і in an RFC 2047 windows-1251 subject"},
	{"путин", 2, "spamscope mail_test_1, _11; и is not і"},
	{"filename:список", 3, "mime-tools russian.msg and two mime4j copies: RFC 2047 KOI8-R file name"},
	{`filename:"Список.doc"`, 3, "same, as a phrase"},
	{"from:атиковa", 1, "ruby-mail raw_email_bad_time.eml: RFC 2047 windows-1251 From name (its last letter is a Latin a)"},
	{"чтобы", 7, "spamscope mail_test_1, _11 and five flanker enclosed*.eml (UTF-8 base64 inside message/rfc822); in enclosed-broken-body.eml the enclosed message's header ends after one line, so its base64 stays undecoded"},
	{"filename:документы", 1, "spamscope mail_test_11: RFC 2047 file name"},
	// Swedish and other Latin scripts with diacritics.
	{"to:sörensen", 1, "spamassassin-t/nice/unicode1: RFC 2231 language-tagged word =?iso-8859-1*sv?Q?D=F6rte_=C5._S=F6rensen?="},
	{"to:sorensen", 1, "same, without the diaeresis"},
	{`to:"dörte å sörensen"`, 1, "same, as a phrase"},
	{"subject:domače", 1, "unicode1: =?iso-8859-2*sl?…?= and a UTF-8 ž split over two encoded words"},
	{"subject:omrezje", 1, "same"},
	{"from:gioffré", 1, "unicode1: raw UTF-8 in From"},
	{"krondikesvägen", 4, "four SpamAssassin ham messages"},
	{"krondikesvagen", 4, "same, folded"},
	{"krondikesväg*", 4, "same, the beginning of the word"},
	{"sällskap", 2, "two SpamAssassin messages"},
	{"sallskap", 2, "same, folded"},
	{"filename:srodmiescie", 1, "spamscope mail_test_11: Polish file name"},
	{"filename:eelanaluusi", 1, "ruby-mail attachment_with_quoted_filename.eml: Estonian file name"},
	// German: RFC 2047 subjects, RFC 2231 names, HTML entities.
	{"subject:frösche", 37, "Hunny samples and php-mime-mail-parser copies: RFC 2047 ISO-8859-1 subjects, raw 8-bit (m0001), UTF-7 (m1011)"},
	{`subject:"die hasen und die frösche"`, 37, "same, as a phrase"},
	{"filename:hasenundfrösche", 8, "m3004 RFC 2231 iso-8859-1''HasenundFr%F6sche.txt; m2011-13, m3007 raw ISO-8859-1 in the parameter; m1015 and the php-mime-mail-parser copies"},
	{"filename:hasenundfrosche", 8, "same, folded"},
	{"brücke", 2, "nodemailer spam.eml (HTML only: Br&uuml;cke) and enmime chardet-success-iso-8859-1.raw (no charset declared)"},
	{"in:nodemailer-mailparser grüße", 1, "spam.eml: Gr&uuml;&szlig;e in HTML"},
	{"in:nodemailer-mailparser strasse", 1, "spam.eml: Stra&szlig;e, ß folded to ss"},
	{"grüße", 4, "spam.eml, mime-tools german-qp.msg (QP ISO-8859-15), stalwart thirdparty/015.eml, enmime chardet-success-iso-8859-1.raw"},
	{"clientèle", 9, "spamscope mail_test_5 (client&egrave;le) and French SpamAssassin messages"},
	{`filename:"å.diff"`, 1, "kde-kmime outlook-attachment.mbox: RFC 2047 word in a quoted file name"},
	{"filename:blåbærsyltetøy", 3, "horde sample_msg_eai (= kde eai-mimefield.mbox), sample_msg_eai_3, kde eai-attachment.mbox: UTF-8 file names"},
	{"filename:blabaersyltetoy", 3, "same, folded: æ is ae, ø is o"},
	{"filename:mailingassets_d68799cd6301c7f5731a3c42946e528bcb78eb84.jpg", 1, "spamscope mail_test_5: RFC 2231 continuations filename*0*= … *3*, every byte %-encoded"},
	// Chinese, Japanese, Korean.
	{"硬碟", 1, "spamassassin-t/nice/cjk/gb2312.2: GB2312 body and raw subject"},
	{"中文", 8, "SpamAssassin spam in GB2312 and Big5 (three of them without a declared charset) and ruby-mail content_transfer_encoding_empty.eml (raw Big5 subject)"},
	{"武汉理工大学", 2, "spam_2/00258, 00259: GB2312"},
	{"史上最强之数字化中文引擎", 2, "spam_2/01125, 01217: a 12-character phrase as bigrams"},
	{"代开各地增值税发票", 1, "spamscope mail_test_12: RFC 2047 subject"},
	{"まみむめも", 3, "ruby-mail japanese*.eml: ISO-2022-JP and UTF-8 subjects"},
	{"to:みける", 2, "ruby-mail japanese.eml, japanese_iso_2022.eml: encoded display name"},
	{"すみません", 1, "ruby-mail japanese_iso_2022.eml: ISO-2022-JP body"},
	{"よろしくお願い", 3, "ruby-mail japanese_shift_jis.eml (Shift_JIS) and two SpamAssassin messages"},
	{"日本語", 2, "mimekit japanese.txt and hard_ham/00039"},
	{"filename:てすと", 1, "ruby-mail japanese_attachment.eml"},
	{"filename:マイルストーン", 1, "Japanese file name in katakana"},
	{"스티해", 1, "ruby-mail ks_c_5601-1987.eml: Korean in ks_c_5601-1987"},
	{"filename:사진", 1, "Korean file name"},
}
