package message

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// seeds returns the files in testdata with the given extension.
func seeds(tb testing.TB, ext string) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*"+ext))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no testdata/*%s seeds: %v", ext, err)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds(f, ".eml") {
		f.Add(s)
		f.Add(bytes.ReplaceAll(s, []byte("\n"), []byte("\r\n")))
	}
	f.Add([]byte("Subject: =?utf-8?B?w6Q=?==?x?q?=ZZ?=\n\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n--\n"))
	f.Add([]byte("Date: 2002/09/14 Sat 02:29:32 CDT\nFrom: <<a@b>>, \"x\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(bytes.NewReader(raw))
		if len(m.Text) > MaxTextBytes {
			t.Fatalf("len(Text) = %d, over %d", len(m.Text), MaxTextBytes)
		}
		if m.Size != int64(len(raw)) {
			t.Fatalf("Size = %d, want %d", m.Size, len(raw))
		}
		for _, s := range []string{m.Subject, m.Text, m.HTML} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8: %q", s)
			}
		}
		for _, p := range m.Problems {
			if strings.HasPrefix(p, "internal error") {
				t.Fatal(p)
			}
		}
		for _, a := range m.Attachments {
			_, _, body, err := Part(raw, a.Path)
			if err != nil {
				t.Fatalf("Part(%s) = %v", a.Path, err)
			}
			n, _ := io.Copy(io.Discard, body)
			if n != a.Size && !m.Truncated {
				t.Fatalf("Part(%s) gave %d bytes, Attachment.Size %d", a.Path, n, a.Size)
			}
		}
		if m.HTML != "" {
			checkSanitized(t, m.HTML)
		}
	})
}

func FuzzSanitize(f *testing.F) {
	for _, s := range seeds(f, ".html") {
		f.Add(string(s))
	}
	for _, s := range []string{
		`<a href="jav&#x09;ascript:alert(1)">x</a>`,
		`<style>p{background:u\72l(http://x/)}</style>`,
		`<svg><style><img src=x onerror=alert(1)></style></svg>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<img src="cid:a" srcset="cid:b 1x, http://x/ 2x" style="background:url('cid:c')">`,
		`<p title="a onclick=b">javascript:void(0)</p>`,
		`<div style="x:y" style="background:url(http://x/)">`,
		"<scr\x00ipt>alert(1)</script>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSanitized(t, s)
	})
}

func checkSanitized(t *testing.T, s string) {
	t.Helper()
	for _, opts := range []SanitizeOptions{{}, {AllowRemote: true, CIDURL: cidURL}} {
		res := SanitizeHTML(s, opts)
		if problem := unsafeHTML(res.HTML, opts.AllowRemote); problem != "" {
			t.Fatalf("SanitizeHTML(%q, %+v) = %q: %s", s, opts, res.HTML, problem)
		}
	}
}
