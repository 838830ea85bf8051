package mailfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeFile creates root/rel with body and modification time t.
func writeFile(tb testing.TB, root, rel, body string, t time.Time) {
	tb.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chtimes(p, t, t); err != nil {
		tb.Fatal(err)
	}
}

type gotMaildir struct {
	Mailbox, Key, Body string
	Flags              []string
	Date               time.Time
}

func readMaildir(tb testing.TB, root string, opts ...MaildirOptions) []gotMaildir {
	tb.Helper()
	r, err := OpenMaildir(root, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var out []gotMaildir
	for {
		m, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(m.Body)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, gotMaildir{m.Mailbox, m.Key, string(b), m.Flags, m.Date.UTC()})
	}
}

func TestMaildirReader(t *testing.T) {
	root := t.TempDir()
	t1 := time.Date(2019, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, d := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(root, d), 0o700)
	}
	writeFile(t, root, "cur/1000.M1P1.host:2,S", "S: 1\n\nb\n", t1)
	writeFile(t, root, "new/0999.M1P1.host", "S: 2\r\n\r\nb\r\n", t1)
	writeFile(t, root, "new/0998.x:2,S", "S: 3\n", t1)
	writeFile(t, root, "cur/1001.host!2,FR", "S: 4\n", t1)
	writeFile(t, root, "cur/1002.host:2,DFPRST", "S: 5\n", t1)
	writeFile(t, root, "cur/1003.host:1,S", "S: 6\n", t1)
	writeFile(t, root, "cur/.hidden", "not mail", t1)
	writeFile(t, root, "tmp/1004.host", "being delivered", t1)
	writeFile(t, root, "dovecot-uidlist", "3 V1 N1\n", t1)
	writeFile(t, root, ".Sent/cur/a:2,T", "sent\n", t1)
	writeFile(t, root, ".Sent/maildirfolder", "", t1)
	writeFile(t, root, ".Archive.2019/cur/b:2,Sabcz", "archived\n", t1)
	writeFile(t, root, ".Archive.2019/dovecot-keywords", "0 $Label1\n1 Junk\n25 last\nbad line\n", t1)
	writeFile(t, root, ".&A7QDsQ-/new/c", "greek\n", t1)
	writeFile(t, root, ".Bad&Name/cur/d", "bad\n", t1)
	writeFile(t, root, "nested/deeper/cur/e:2,S", "nested\n", t1)
	writeFile(t, root, ".git/objects/x", "not a maildir", t1)
	writeFile(t, root, ".Empty/cur/.keep", "", t1)

	got := readMaildir(t, root)
	want := []gotMaildir{
		{"INBOX", "0998.x", "S: 3\r\n", nil, t1},
		{"INBOX", "0999.M1P1.host", "S: 2\r\n\r\nb\r\n", nil, t1},
		{"INBOX", "1000.M1P1.host", "S: 1\r\n\r\nb\r\n", []string{FlagSeen}, t1},
		{"INBOX", "1001.host", "S: 4\r\n", []string{FlagFlagged, FlagAnswered}, t1},
		{"INBOX", "1002.host", "S: 5\r\n", []string{FlagDraft, FlagFlagged, FlagForwarded, FlagAnswered, FlagSeen, FlagDeleted}, t1},
		{"INBOX", "1003.host", "S: 6\r\n", nil, t1},
		{"Archive/2019", "b", "archived\r\n", []string{FlagSeen, "$Label1", "Junk", "last"}, t1},
		{"Bad&Name", "d", "bad\r\n", nil, t1},
		{"Sent", "a", "sent\r\n", []string{FlagDeleted}, t1},
		{"nested/deeper", "e", "nested\r\n", []string{FlagSeen}, t1},
		{"δα", "c", "greek\r\n", nil, t1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("messages:\n%+v\nwant\n%+v", got, want)
	}
	raw := readMaildir(t, root, MaildirOptions{Raw: true})
	if raw[2].Body != "S: 1\n\nb\n" {
		t.Errorf("raw body = %q, want %q", raw[2].Body, "S: 1\n\nb\n")
	}
	r, _ := OpenMaildir(root)
	if got, want := r.Mailboxes(), []string{"INBOX", "Archive/2019", "Bad&Name", "Empty", "Sent", "nested/deeper", "δα"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Mailboxes() = %q, want %q", got, want)
	}
}

func TestMaildirNestedRoot(t *testing.T) {
	// offlineimap style: the root is not a maildir, its folders are.
	root := t.TempDir()
	t1 := time.Unix(1e9, 0).UTC()
	writeFile(t, root, "INBOX/cur/x:2,S", "a\n", t1)
	writeFile(t, root, "Lists/go-nuts/new/y", "b\n", t1)
	got := readMaildir(t, root)
	want := []gotMaildir{
		{"INBOX", "x", "a\r\n", []string{FlagSeen}, t1},
		{"Lists/go-nuts", "y", "b\r\n", nil, t1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("messages = %+v, want %+v", got, want)
	}
}

func TestOpenMaildirErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	os.MkdirAll(filepath.Join(dir, "empty", "sub"), 0o700)
	for _, p := range []string{filepath.Join(dir, "missing"), file, filepath.Join(dir, "empty")} {
		if _, err := OpenMaildir(p); err == nil {
			t.Errorf("OpenMaildir(%s) succeeded", p)
		}
	}
}

func TestMaildirRenamedWhileReading(t *testing.T) {
	root := t.TempDir()
	t1 := time.Unix(1e9, 0).UTC()
	writeFile(t, root, "cur/1:2,", "a\n", t1)
	writeFile(t, root, "new/2", "b\n", t1)
	writeFile(t, root, "cur/3:2,", "c\n", t1)
	writeFile(t, root, "cur/4:2,", "d\n", t1)
	r, err := OpenMaildir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if m, err := r.Next(); err != nil || m.Key != "1" {
		t.Fatalf("Next = %v, %v", m, err)
	}
	// A mail client reads message 2 and deletes message 3.
	os.Rename(filepath.Join(root, "new/2"), filepath.Join(root, "cur/2:2,S"))
	os.Remove(filepath.Join(root, "cur/3:2,"))
	var keys []string
	for {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, m.Key+" "+strings.Join(m.Flags, ","))
	}
	if want := []string{`2 \Seen`, "4 "}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
}

func TestParseMaildirName(t *testing.T) {
	kw := map[byte]string{'a': "$Label1"}
	tests := []struct {
		name, key string
		flags     []string
	}{
		{"123.M1P2.host", "123.M1P2.host", nil},
		{"123.M1P2.host:2,", "123.M1P2.host", nil},
		{"123.M1P2.host:2,S", "123.M1P2.host", []string{FlagSeen}},
		{"123.M1P2.host,S=1234,W=1300:2,RS", "123.M1P2.host,S=1234,W=1300", []string{FlagAnswered, FlagSeen}},
		{"123.host!2,FS", "123.host", []string{FlagFlagged, FlagSeen}},
		{"123.host;2,P", "123.host", []string{FlagForwarded}},
		{"123.host:2,SSa?b", "123.host", []string{FlagSeen, "$Label1"}},
		{"123.host:1,S", "123.host", nil},
		{"a:b:2,S", "a:b", []string{FlagSeen}},
		{"", "", nil},
	}
	for _, tt := range tests {
		key, flags := parseMaildirName(tt.name, kw)
		if key != tt.key || !reflect.DeepEqual(flags, tt.flags) && !(len(flags) == 0 && len(tt.flags) == 0) {
			t.Errorf("parseMaildirName(%q) = %q, %q; want %q, %q", tt.name, key, flags, tt.key, tt.flags)
		}
	}
}

func TestMaildirInfo(t *testing.T) {
	tests := []struct {
		flags []string
		want  string
	}{
		{nil, "2,"},
		{[]string{FlagSeen, FlagFlagged}, "2,FS"},
		{[]string{`\seen`, `\Passed`, "$Junk", `\Recent`, `\Deleted`, `\Draft`, `\Answered`, `\Seen`}, "2,DPRST"},
		{[]string{"$Forwarded"}, "2,P"},
	}
	for _, tt := range tests {
		if got := maildirInfo(tt.flags); got != tt.want {
			t.Errorf("maildirInfo(%q) = %q, want %q", tt.flags, got, tt.want)
		}
	}
}

func TestMUTF7(t *testing.T) {
	tests := []struct{ dec, enc string }{
		{"INBOX", "INBOX"},
		{"δα", "&A7QDsQ-"},
		{"Tom & Jerry", "Tom &- Jerry"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"日本語", "&ZeVnLIqe-"},
		{"😀 smile", "&2D3eAA- smile"},
		{"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
	}
	for _, tt := range tests {
		if got := encodeMUTF7(tt.dec, ""); got != tt.enc {
			t.Errorf("encodeMUTF7(%q) = %q, want %q", tt.dec, got, tt.enc)
		}
		if got, err := decodeMUTF7(tt.enc); err != nil || got != tt.dec {
			t.Errorf("decodeMUTF7(%q) = %q, %v; want %q", tt.enc, got, err, tt.dec)
		}
	}
	if got := encodeMUTF7("a.b", "."); got != "a&AC4-b" {
		t.Errorf("encodeMUTF7(a.b) = %q", got)
	}
	for _, bad := range []string{"&", "&A7Q", "&A-", "&!!-", "&2D0-"} {
		if got, err := decodeMUTF7(bad); err == nil {
			t.Errorf("decodeMUTF7(%q) = %q, want an error", bad, got)
		}
	}
}

func TestMaildirWriter(t *testing.T) {
	root := filepath.Join(t.TempDir(), "Maildir")
	w := NewMaildirWriter(root)
	w.now = func() time.Time { return time.Unix(1700000000, 123456000) }
	date := time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC)
	tests := []struct {
		mailbox string
		flags   []string
		dir     string
		read    string // mailbox name when read back
	}{
		{"INBOX", []string{FlagSeen, FlagFlagged}, "", "INBOX"},
		{"", nil, "", "INBOX"},
		{"Sent", []string{FlagAnswered, "$Junk"}, ".Sent", "Sent"},
		{"Archive/2019", nil, ".Archive.2019", "Archive/2019"},
		{"δα", nil, ".&A7QDsQ-", "δα"},
		{"v1.2/notes", nil, ".v1&AC4-2.notes", "v1.2/notes"},
		{"..", nil, ".&AC4ALg-", ".."},
	}
	var paths []string
	for _, tt := range tests {
		body := "Subject: " + tt.mailbox + "\r\n\r\nbody\r\n"
		path, err := w.Write(tt.mailbox, tt.flags, date, strings.NewReader(body))
		if err != nil {
			t.Fatalf("Write(%q): %v", tt.mailbox, err)
		}
		if dir := filepath.Dir(filepath.Dir(path)); dir != filepath.Join(root, tt.dir) {
			t.Errorf("Write(%q) wrote into %s, want %s", tt.mailbox, dir, filepath.Join(root, tt.dir))
		}
		if want := ":" + maildirInfo(tt.flags); !strings.HasSuffix(path, want) {
			t.Errorf("Write(%q) = %s, want suffix %s", tt.mailbox, path, want)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(date) || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mtime %v mode %v, want %v 0600", path, st.ModTime(), st.Mode().Perm(), date)
		}
		if tt.dir != "" {
			if _, err := os.Stat(filepath.Join(root, tt.dir, "maildirfolder")); err != nil {
				t.Errorf("no maildirfolder in %s", tt.dir)
			}
		}
		paths = append(paths, path)
	}
	if filepath.Base(paths[0]) == filepath.Base(paths[1]) {
		t.Errorf("two messages named %s", filepath.Base(paths[0]))
	}
	if !strings.HasPrefix(filepath.Base(paths[0]), "1700000000.M123456P") {
		t.Errorf("file name %s, want 1700000000.M123456P…", filepath.Base(paths[0]))
	}
	tmps, _ := filepath.Glob(filepath.Join(root, "*", "tmp", "*"))
	tmps2, _ := filepath.Glob(filepath.Join(root, "tmp", "*"))
	if len(tmps)+len(tmps2) != 0 {
		t.Errorf("files left in tmp/: %q %q", tmps, tmps2)
	}
	got := readMaildir(t, root)
	if len(got) != len(tests) {
		t.Fatalf("read back %d messages, want %d", len(got), len(tests))
	}
	byBox := map[string][]gotMaildir{}
	for _, m := range got {
		byBox[m.Mailbox] = append(byBox[m.Mailbox], m)
	}
	for _, tt := range tests {
		ms := byBox[tt.read]
		if len(ms) == 0 {
			t.Errorf("mailbox %q not read back (have %v)", tt.read, got)
			continue
		}
		if tt.mailbox != "" {
			m := ms[0]
			if m.Body != "Subject: "+tt.mailbox+"\r\n\r\nbody\r\n" || !m.Date.Equal(date) {
				t.Errorf("read back %+v", m)
			}
		}
	}

	if _, err := w.Write("a//b", nil, date, strings.NewReader("x")); err == nil {
		t.Error("Write(a//b) succeeded")
	}
}

// TestMaildirWriterDurability checks the order of the durability steps and
// that a failure leaves nothing behind.
func TestMaildirWriterDurability(t *testing.T) {
	root := t.TempDir()
	var events []string
	defer func(f func(*os.File) error, d func(string) error) { syncFile, syncDir = f, d }(syncFile, syncDir)
	var failFile error
	syncFile = func(f *os.File) error {
		curFiles, _ := filepath.Glob(filepath.Join(root, "cur", "*"))
		events = append(events, "syncFile "+filepath.Base(filepath.Dir(f.Name()))+" cur="+strings.Repeat("x", len(curFiles)))
		if failFile != nil {
			return failFile
		}
		return f.Sync()
	}
	syncDir = func(dir string) error {
		rel, _ := filepath.Rel(root, dir)
		curFiles, _ := filepath.Glob(filepath.Join(root, "cur", "*"))
		events = append(events, "syncDir "+rel+" cur="+strings.Repeat("x", len(curFiles)))
		return fsyncDir(dir)
	}
	w := NewMaildirWriter(root)
	if _, err := w.Write("INBOX", nil, time.Time{}, strings.NewReader("a\n")); err != nil {
		t.Fatal(err)
	}
	want := []string{"syncDir . cur=", "syncDir .. cur=", "syncFile tmp cur=", "syncDir cur cur=x"}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("events = %q, want %q", events, want)
	}

	failFile = errors.New("io error")
	if _, err := w.Write("INBOX", nil, time.Time{}, strings.NewReader("b\n")); !errors.Is(err, failFile) {
		t.Errorf("Write with failing fsync = %v, want %v", err, failFile)
	}
	cur, _ := filepath.Glob(filepath.Join(root, "cur", "*"))
	tmp, _ := filepath.Glob(filepath.Join(root, "tmp", "*"))
	if len(cur) != 1 || len(tmp) != 0 {
		t.Errorf("after a failed write: cur %q, tmp %q; want one file in cur and none in tmp", cur, tmp)
	}
}
