package mailfile

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mailkeep/mailkeep/internal/testenv"
)

const fromA = "From a@b.c Sat Feb  6 23:42:23 2010\n"

type gotMsg struct {
	Key    string
	Body   string
	Flags  []string
	Labels []string
	Date   time.Time
}

// readMbox reads all messages of an mbox stream.
func readMbox(tb testing.TB, r io.Reader, opts MboxOptions) []gotMsg {
	tb.Helper()
	mr := NewMboxReader(r, "", opts)
	var out []gotMsg
	for {
		m, err := mr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatalf("Next after %d messages: %v", len(out), err)
		}
		if m.Mailbox != "INBOX" {
			tb.Errorf("Mailbox = %q, want INBOX", m.Mailbox)
		}
		b, err := io.ReadAll(m.Body)
		if err != nil {
			tb.Fatalf("read body %d: %v", len(out)+1, err)
		}
		out = append(out, gotMsg{Key: m.Key, Body: string(b), Flags: m.Flags, Labels: m.Labels, Date: m.Date})
	}
}

func bodies(msgs []gotMsg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Body
	}
	return out
}

func TestMboxSplit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"only blank lines", "\n\r\n\n", nil},
		{"one", fromA + "S: 1\n\nbody\n\n", []string{"S: 1\n\nbody\n"}},
		{"blank line between", fromA + "S: 1\n\nb1\n\n" + fromA + "S: 2\n\nb2\n\n", []string{"S: 1\n\nb1\n", "S: 2\n\nb2\n"}},
		{"no blank line between", fromA + "S: 1\n\nb1\n" + fromA + "S: 2\n\nb2\n", []string{"S: 1\n\nb1", "S: 2\n\nb2"}},
		{"two blank lines", fromA + "b1\n\n\n" + fromA + "b2\n\n\n", []string{"b1\n\n", "b2\n\n"}},
		{"no final newline", fromA + "b1\n\n" + fromA + "b2", []string{"b1\n", "b2"}},
		{"final cr", fromA + "b1\r", []string{"b1\r"}},
		{"final cr cr lf", fromA + "b1\r\r\n", []string{"b1\r"}},
		{"empty messages", fromA + fromA + fromA + "\n", []string{"", "", ""}},
		{"crlf", strings.ReplaceAll(fromA, "\n", "\r\n") + "S: 1\r\n\r\nb\r\n\r\n" + strings.ReplaceAll(fromA, "\n", "\r\n") + "S: 2\r\n\r\nb\r\n\r\n",
			[]string{"S: 1\r\n\r\nb\r\n", "S: 2\r\n\r\nb\r\n"}},
		{"bom", "\xef\xbb\xbf" + fromA + "b\n\n", []string{"b\n"}},
		{"leading blank lines", "\n\r\n" + fromA + "b\n\n", []string{"b\n"}},
		{"first line lenient", "From nobody\nb\n\n" + fromA + "c\n", []string{"b\n", "c"}},
		{"preamble only", "Subject: x\n\nhi\n", []string{"Subject: x\n\nhi\n"}},
		{"preamble then mbox", "Subject: x\n\nhi\n\n" + fromA + "S: 2\n", []string{"Subject: x\n\nhi\n", "S: 2"}},
		{"unquoted From in body", fromA + "S: 1\n\nFrom Russia with love\n\nFrom time to time\nFrom here\n\n" + fromA + "b\n",
			[]string{"S: 1\n\nFrom Russia with love\n\nFrom time to time\nFrom here\n", "b"}},
		{"thunderbird From - lines", "From - \nS: 1\n\nb\nFrom - Mon Jun  3 12:50:27 1996\nS: 2\n", []string{"S: 1\n\nb", "S: 2"}},
		{"separator in header", fromA + "S: 1\n" + fromA + "S: 2\n", []string{"S: 1", "S: 2"}},
		{"nul bytes", fromA + "S\x00: 1\n\n\x00\n", []string{"S\x00: 1\n\n\x00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []struct {
				name string
				r    io.Reader
			}{{"file", strings.NewReader(tt.in)}, {"onebyte", iotest.OneByteReader(strings.NewReader(tt.in))}} {
				got := bodies(readMbox(t, r.r, MboxOptions{Raw: true}))
				if !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
					t.Errorf("%s: bodies = %q, want %q", r.name, got, tt.want)
				}
			}
		})
	}
}

func TestMboxKeysAndCRLF(t *testing.T) {
	in := fromA + "S: 1\n\nb\n\n" + fromA + "S: 2\r\n\r\nb\rc\n\n"
	got := readMbox(t, strings.NewReader(in), MboxOptions{})
	want := []gotMsg{
		{Key: "mbox:1", Body: "S: 1\r\n\r\nb\r\n", Date: time.Date(2010, 2, 6, 23, 42, 23, 0, time.UTC)},
		{Key: "mbox:2", Body: "S: 2\r\n\r\nb\rc\r\n", Date: time.Date(2010, 2, 6, 23, 42, 23, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("messages = %+v, want %+v", got, want)
	}
}

func TestMboxUnquote(t *testing.T) {
	body := ">From x\n>>From y\n>>>From z\n> From w\n>Fromage\n>From\n>\n"
	in := fromA + "S: 1\n>From header\n\n" + body + "\n"
	tests := []struct {
		variant MboxVariant
		want    string
	}{
		{MboxRD, "S: 1\nFrom header\n\nFrom x\n>From y\n>>From z\n> From w\n>Fromage\n>From\n>\n"},
		{MboxO, "S: 1\nFrom header\n\nFrom x\n>>From y\n>>>From z\n> From w\n>Fromage\n>From\n>\n"},
	}
	for _, tt := range tests {
		got := bodies(readMbox(t, strings.NewReader(in), MboxOptions{Variant: tt.variant, Raw: true}))
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("variant %d: bodies = %q, want [%q]", tt.variant, got, tt.want)
		}
	}
}

func TestMboxLongLines(t *testing.T) {
	long := strings.Repeat("x", 150_000)
	gts := strings.Repeat(">", 3*mboxBufSize+7)
	var tests []struct{ name, body string }
	tests = append(tests,
		struct{ name, body string }{"150k line", "S: 1\n\n" + long + "\n" + long},
		struct{ name, body string }{"150k header", "S: " + long + "\n\nb"},
		struct{ name, body string }{"long > run before From", "S: 1\n\n" + gts + "From x\n" + gts + "Fro\n" + gts},
		struct{ name, body string }{"long From line", "S: 1\n\nFrom " + long + " Sat Feb  6 23:42:23 2010\nx"},
	)
	// A CR or CRLF at every position around the read buffer's edge.
	for d := -8; d <= 8; d++ {
		pad := strings.Repeat("y", mboxBufSize+d)
		tests = append(tests,
			struct{ name, body string }{"crlf at edge " + strconv.Itoa(d), "S: 1\n\n" + pad + "\r\n" + pad + "\r\r\n>" + pad[:len(pad)-5] + ">From \rx\n"},
			struct{ name, body string }{"gt run at edge " + strconv.Itoa(d), "S: 1\n\n" + strings.Repeat(">", mboxBufSize+d) + "From x\n"},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewMboxWriter(&buf)
			for range 2 {
				if err := w.Write("a@b.c", time.Unix(0, 0), strings.NewReader(tt.body)); err != nil {
					t.Fatal(err)
				}
			}
			for _, r := range []io.Reader{bytes.NewReader(buf.Bytes()), iotest.HalfReader(bytes.NewReader(buf.Bytes()))} {
				got := bodies(readMbox(t, r, MboxOptions{Raw: true}))
				if len(got) != 2 || got[0] != tt.body || got[1] != tt.body {
					t.Fatalf("read back %d messages, equal: %v", len(got), len(got) == 2 && got[0] == tt.body && got[1] == tt.body)
				}
			}
		})
	}
}

// noReaderAt hides io.ReaderAt, as a pipe would.
type noReaderAt struct{ io.Reader }

func TestMboxContentLength(t *testing.T) {
	fromLine2 := "From x@y Sun Aug  5 09:51:15 2001\n"
	hdr := func(n int) string { return "Content-Length: " + strconv.Itoa(n) + "\nS: 1\n\n" }
	cl := func(body string, n int) string { return fromA + hdr(n) + body }
	body := "a\n" + fromLine2 + ">From b\n\n" + fromLine2 + "c\n"
	split := []string{"a", "From b\n", "c\n"} // body as From_ lines split it
	big := strings.Repeat("z", 2*mboxBufSize) + "\n" + body
	n := len(body)
	tests := []struct {
		name       string
		in         string
		want       []string
		wantStream []string // when different for a stream without ReaderAt
	}{
		{"exact", cl(body, n) + "\n" + fromA + "m2\n", []string{hdr(n) + body, "m2"}, nil},
		{"without final newline", cl(body, n-1) + fromA + "m2\n", []string{hdr(n-1) + body[:n-1], "m2"}, nil},
		{"blank line counted", cl(body, n+1) + "\n" + fromA + "m2\n", []string{hdr(n+1) + body, "m2"}, nil},
		{"at eof", cl(body, n), []string{hdr(n) + body[:n-1]}, nil},
		{"zero", cl("", 0) + fromA + "m2\n", []string{hdr(0)[:len(hdr(0))-1], "m2"}, nil},
		{"inconsistent", cl(body, n-5) + "\n" + fromA + "m2\n", []string{hdr(n-5) + split[0], split[1], split[2], "m2"}, nil},
		{"beyond eof", cl(body, n+10), []string{hdr(n+10) + split[0], split[1], "c"}, nil},
		{"two headers", fromA + "Content-Length: 1\n" + hdr(n) + body, []string{"Content-Length: 1\n" + hdr(n) + split[0], split[1], "c"}, nil},
		{"big", cl(big, len(big)) + "\n" + fromA + "m2\n",
			[]string{hdr(len(big)) + big, "m2"},
			[]string{hdr(len(big)) + strings.Repeat("z", 2*mboxBufSize) + "\n" + split[0], split[1], split[2], "m2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bodies(readMbox(t, strings.NewReader(tt.in), MboxOptions{Raw: true}))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("file: bodies = %.300q, want %.300q", got, tt.want)
			}
			want := tt.want
			if tt.wantStream != nil {
				want = tt.wantStream
			}
			got = bodies(readMbox(t, noReaderAt{strings.NewReader(tt.in)}, MboxOptions{Raw: true}))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("stream: bodies = %.300q, want %.300q", got, want)
			}
		})
	}
}

func TestMboxContentLengthOffset(t *testing.T) {
	// The reader may start in the middle of a file: look-ahead is relative
	// to where it started.
	body := "a\n" + fromA + "c\n"
	in := "junk that is not read\n" + fromA + "Content-Length: " + strconv.Itoa(len(body)) + "\n\n" + body + "\n" + fromA + "m2\n"
	r := strings.NewReader(in)
	r.Seek(int64(len("junk that is not read\n")), io.SeekStart)
	got := bodies(readMbox(t, r, MboxOptions{Raw: true}))
	if len(got) != 2 {
		t.Errorf("bodies = %q, want 2", got)
	}
}

func TestMboxFlagsAndLabels(t *testing.T) {
	takeout := "From 1844347792267117879@xxx Fri Sep 26 17:18:40 +0000 2025\r\n" +
		"X-GM-THRID: 1844347792267117879\r\n" +
		"X-Gmail-Labels: Inbox,Opened,\"Work, Stuff\",Starred,Category Updates,Important,Archived,\r\n" +
		" Projects/Mailkeep,=?UTF-8?Q?F=C3=BCr_sp=C3=A4ter?=,Inbox\r\n" +
		"Subject: a\r\n\r\nbody\r\n\r\n"
	tests := []struct {
		name   string
		in     string
		flags  []string
		labels []string
		date   time.Time
	}{
		{"takeout", takeout, []string{FlagSeen, FlagFlagged, FlagImportant},
			[]string{"INBOX", "Work, Stuff", "Projects/Mailkeep", "Für später"}, time.Date(2025, 9, 26, 17, 18, 40, 0, time.UTC)},
		{"takeout unread archived", "From 1@xxx Fri Sep 26 17:18:40 +0000 2025\r\nX-Gmail-Labels: Archived,Unread\r\n\r\nb\r\n", nil, nil,
			time.Date(2025, 9, 26, 17, 18, 40, 0, time.UTC)},
		{"takeout drafts", "From 1@xxx Fri Sep 26 17:18:40 +0000 2025\r\nX-Gmail-Labels: Drafts\r\n\r\nb\r\n", []string{FlagDraft}, []string{"Drafts"},
			time.Date(2025, 9, 26, 17, 18, 40, 0, time.UTC)},
		{"thunderbird", "From - Mon Jun  3 12:50:27 1996\nX-Mozilla-Status: 1007\nX-Mozilla-Keys: $label1 work\n\nb\n",
			[]string{FlagSeen, FlagAnswered, FlagFlagged, FlagForwarded, "$label1", "work"}, nil, time.Date(1996, 6, 3, 12, 50, 27, 0, time.UTC)},
		{"thunderbird expunged", "From - Mon Jun  3 12:50:27 1996\nX-Mozilla-Status: 0009\n\nb\n",
			[]string{FlagSeen, FlagDeleted}, nil, time.Date(1996, 6, 3, 12, 50, 27, 0, time.UTC)},
		{"mutt", fromA + "Status: RO\nX-Status: AFT\nX-Keywords: todo, $Junk\n\nb\n",
			[]string{FlagSeen, FlagAnswered, FlagFlagged, FlagDraft, "todo", "$Junk"}, nil, time.Date(2010, 2, 6, 23, 42, 23, 0, time.UTC)},
		{"unread", fromA + "Status: O\n\nStatus: R\n", nil, nil, time.Date(2010, 2, 6, 23, 42, 23, 0, time.UTC)},
		{"date header fallback", "From - \nDate: Fri, 23 Aug 2002 2:32:53 -0400\n\nb\n", nil, nil,
			time.Date(2002, 8, 23, 2, 32, 53, 0, time.FixedZone("", -4*3600))},
		{"no date", "From - \nDate: yesterday\n\nb\n", nil, nil, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readMbox(t, strings.NewReader(tt.in), MboxOptions{Raw: true})
			if len(got) != 1 {
				t.Fatalf("%d messages, want 1", len(got))
			}
			m := got[0]
			if !reflect.DeepEqual(m.Flags, tt.flags) && !(len(m.Flags) == 0 && len(tt.flags) == 0) {
				t.Errorf("Flags = %q, want %q", m.Flags, tt.flags)
			}
			if !reflect.DeepEqual(m.Labels, tt.labels) {
				t.Errorf("Labels = %q, want %q", m.Labels, tt.labels)
			}
			if !m.Date.Equal(tt.date) {
				t.Errorf("Date = %v, want %v", m.Date, tt.date)
			}
		})
	}
	// Takeout bytes are kept exactly.
	got := readMbox(t, strings.NewReader(takeout), MboxOptions{})
	if want := takeout[strings.Index(takeout, "\n")+1 : len(takeout)-2]; got[0].Body != want {
		t.Errorf("takeout body = %q, want %q", got[0].Body, want)
	}
}

func TestMboxSkipUnreadBody(t *testing.T) {
	in := fromA + "S: 1\n\n" + strings.Repeat("long body\n", 50000) + "\n" + fromA + "S: 2\n\nb\n"
	r := NewMboxReader(strings.NewReader(in), "Lists/Go", MboxOptions{Raw: true})
	var keys []string
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Mailbox != "Lists/Go" {
			t.Errorf("Mailbox = %q", m.Mailbox)
		}
		keys = append(keys, m.Key)
		if m.Key == "mbox:2" {
			b, _ := io.ReadAll(m.Body)
			if string(b) != "S: 2\n\nb" {
				t.Errorf("body 2 = %q", b)
			}
		}
	}
	if !reflect.DeepEqual(keys, []string{"mbox:1", "mbox:2"}) {
		t.Errorf("keys = %q", keys)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after EOF = %v, want io.EOF", err)
	}
}

func TestMboxReadError(t *testing.T) {
	boom := errors.New("boom")
	r := NewMboxReader(io.MultiReader(strings.NewReader(fromA+"S: 1\n\nb\n"), iotest.ErrReader(boom)), "", MboxOptions{})
	m, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(m.Body); !errors.Is(err, boom) {
		t.Errorf("ReadAll(Body) error = %v, want %v", err, boom)
	}
	for range 2 {
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Errorf("Next error = %v, want %v", err, boom)
		}
	}
}

func TestOpenMbox(t *testing.T) {
	if _, err := OpenMbox(filepath.Join(t.TempDir(), "missing"), "", MboxOptions{}); err == nil {
		t.Error("OpenMbox(missing) succeeded")
	}
}

// TestMboxCorpus checks message counts of the corpus mbox files, counted by
// hand (see the package documentation for the rule).
func TestMboxCorpus(t *testing.T) {
	t.Parallel()
	want := map[string]int{
		"mimekit/mbox/content-length.mbox.txt":             29, // Content-Length; messages 1-3 have wrong values
		"mimekit/mbox/issue1189.mbox.txt":                  4,  // "From 1844…@xxx" without date
		"mimekit/mbox/simple.mbox.txt":                     3,  // "From - " without blank lines between
		"mimekit/mbox/unmunged.mbox.txt":                   2,  // BOM; "From Russia with love" in bodies
		"cpython-email/mailbox_01.mbox":                    1,  // "From time to time" in the body
		"spamassassin-t/nice.mbox":                         3,
		"kde-kmime/simple-encapsulated.mbox":               2, // From_ right after a closing boundary
		"apache-tika/mbox/complex.mbox":                    3,
		"apache-tika/mbox/simple.mbox":                     2,
		"apache-tika/mbox/headers.mbox":                    1,
		"apache-tika/mbox/multiline.mbox":                  1,
		"apache-tika/mbox/multiline2.mbox":                 1,
		"apache-tika/mbox/quoted.mbox":                     1,
		"apache-tika/mbox/single_mail.mbox":                1,
		"apache-tika/mbox/testMBOX_complex.mbox":           1,
		"apache-tika/mbox/testMBOX_lengthy_x-headers.mbox": 1,
		"james-mime4j/other/mbox.rlug":                     5,
	}
	dir := testenv.CorpusDir(t)
	seen := 0
	tika := 0
	for _, p := range testenv.CorpusFiles(t) {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		n, ok := want[rel]
		if !ok && !testenv.Mbox(p) {
			continue
		}
		if !ok {
			// The rest (kde-kmime's *.mbox are single messages without a
			// From_ line, testFOXMAIL.box is not mbox) read as one message.
			n = 1
		}
		seen++
		r, err := OpenMbox(p, "", MboxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for {
			m, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			if _, err := io.Copy(io.Discard, m.Body); err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			got++
		}
		r.Close()
		if got != n {
			t.Errorf("%s: %d messages, want %d", rel, got, n)
		}
		if strings.HasPrefix(rel, "apache-tika/mbox/") && strings.HasSuffix(rel, ".mbox") {
			tika += got
		}
	}
	if seen < len(want) {
		t.Errorf("found %d mbox files, want at least %d", seen, len(want))
	}
	if tika != 12 {
		t.Errorf("apache-tika: %d messages in its mbox files, want 12", tika)
	}
}

// TestMboxCorpusBytes checks exact bytes of a few corpus messages.
func TestMboxCorpusBytes(t *testing.T) {
	dir := testenv.CorpusDir(t)
	tests := []struct {
		file string
		n    int
		want string // the message's last bytes
	}{
		{"mimekit/mbox/unmunged.mbox.txt", 1, "movie:\r\n\r\nFrom Russia with love\r\n\r\nWhat does Thunderbird do?\r\n"},
		{"mimekit/mbox/unmunged.mbox.txt", 2, "Year: 1963\r\n\r\nWhat did Thunderbird do this time?"},
		{"cpython-email/mailbox_01.mbox", 1, "Hello\r\n\r\nFrom time to time"},
		{"apache-tika/mbox/simple.mbox", 2, "\r\nTest content 2"},
		{"mimekit/mbox/content-length.mbox.txt", 27, "\r\n--===OpenSoft===247233737===5===--"},
		{"mimekit/mbox/content-length.mbox.txt", 28, "\r\n--A41C7.838631588=_/mm1--\r\n"},
	}
	for _, tt := range tests {
		r, err := OpenMbox(filepath.Join(dir, tt.file), "", MboxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		for i := 1; i <= tt.n; i++ {
			m, err := r.Next()
			if err != nil {
				t.Fatalf("%s: %v", tt.file, err)
			}
			if i == tt.n {
				body, _ = io.ReadAll(m.Body)
			}
		}
		r.Close()
		if !bytes.HasSuffix(body, []byte(tt.want)) {
			t.Errorf("%s message %d ends %q, want suffix %q", tt.file, tt.n, body[max(0, len(body)-len(tt.want)-10):], tt.want)
		}
	}
}

// TestMboxStreamsLargeMessage reads a 32 MB message, generated on the fly,
// and checks that reading it did not allocate anything like its size.
func TestMboxStreamsLargeMessage(t *testing.T) {
	const size = 32 << 20
	head := fromA + "Subject: large\n\n"
	line := strings.Repeat("y", 99) + "\n"
	in := io.MultiReader(strings.NewReader(head), newGenReader([]byte(line), size), strings.NewReader("\n"+fromA+"S: 2\n"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r := NewMboxReader(noReaderAt{in}, "", MboxOptions{})
	m, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, m.Body)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(head)-len(fromA)) + 2 + size + size/int64(len(line)); n != want {
		t.Errorf("read %d bytes, want %d", n, want)
	}
	if m, err := r.Next(); err != nil || m.Key != "mbox:2" {
		t.Fatalf("Next = %v, %v", m, err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("reading a %d MB message allocated %d bytes", size>>20, alloc)
	}
}
