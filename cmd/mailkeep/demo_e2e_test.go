package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/internal/demo"
)

// TestDemo runs "mailkeep demo" as a user would: it starts, fetches both
// built-in servers, serves, and searches through its API find exactly the
// sample messages they should. Ctrl-C stops it with exit 0 and removes its
// temporary archive.
func TestDemo(t *testing.T) {
	t.Parallel()
	// Counted from the sample mail itself, not from the index.
	mail := demo.Mail(demo.Options{})
	unique := map[string]demo.Message{}
	inBills, fromPOP3, recentAttachments := map[string]bool{}, map[string]bool{}, map[string]bool{}
	cut := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, m := range mail {
		k := string(m.Raw)
		unique[k] = m
		if m.Account == demo.IMAPAccount && m.Mailbox == demo.Bills {
			inBills[k] = true
		}
		if m.Account == demo.POP3Account {
			fromPOP3[k] = true
		}
		if bytes.Contains(m.Raw, []byte("Content-Disposition: attachment")) && !m.Date.Before(cut) {
			recentAttachments[k] = true
		}
	}
	if len(unique) == len(mail) {
		t.Fatal("the sample mail has no message on both servers")
	}

	// TZ=UTC: after: dates are read in the server's time zone.
	// The environment cannot redirect the demo into a real archive.
	real := filepath.Join(t.TempDir(), "real-archive")
	p := startProc(t, []string{"TZ=UTC", "MAILKEEP_CONFIG=/nonexistent/config.toml", "MAILKEEP_ARCHIVE_DIR=" + real,
		"MAILKEEP_SCHEDULE_CRON=@every 1s"}, "demo", "--listen", "127.0.0.1:0")
	base := p.waitURL(t)
	eventually(t, "the example searches printed", func() bool { return strings.Contains(p.output(), "Ctrl-C stops the demo") })

	for _, c := range []struct {
		query string
		want  int
	}{
		{"", len(unique)},
		{demo.Examples[0].Query, 4}, // the thread, one message in ISO-8859-7
		{"Θεσσαλονίκη", 4},
		{demo.Examples[1].Query, 2},
		{demo.Examples[2].Query, len(recentAttachments)},
		{"in:" + demo.Bills, len(inBills)},
		{"account:" + demo.POP3Account, len(fromPOP3)},
		{"концерт софия", 1},             // windows-1251
		{"subject:archivist", 1},         // the HTML newsletter
		{"filename:faktura-2024-117", 1}, // the PDF attachment
	} {
		if got := searchTotal(t, base, c.query); got != c.want {
			t.Errorf("/api/search?q=%s: total %d, want %d", c.query, got, c.want)
		}
	}

	// What it printed: the URL and the example searches with their counts.
	out := p.output()
	for i, ex := range demo.Examples {
		want := []int{4, 2, len(recentAttachments)}[i]
		if !regexp.MustCompile(regexp.QuoteMeta(ex.Query) + `\s+` + strconv.Itoa(want) + ` messages`).MatchString(out) {
			t.Errorf("output lacks %q with %d messages:\n%s", ex.Query, want, out)
		}
	}
	dir := regexp.MustCompile(`config and archive in (\S+)`).FindStringSubmatch(out)
	if dir == nil {
		t.Fatalf("output names no temporary directory:\n%s", out)
	}
	if code := p.stop(t, syscall.SIGINT); code != 0 {
		t.Fatalf("demo exited %d after Ctrl-C, want 0\n%s", code, p.output())
	}
	if _, err := os.Stat(dir[1]); !os.IsNotExist(err) {
		t.Errorf("%s is still there after the demo stopped (%v)", dir[1], err)
	}
	if _, err := os.Stat(real); !os.IsNotExist(err) {
		t.Errorf("the demo wrote to $MAILKEEP_ARCHIVE_DIR %s (%v)", real, err)
	}
}
