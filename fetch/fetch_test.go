package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/mailfile"
)

func TestRetry(t *testing.T) {
	noSleep := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	tempErr := &net.OpError{Op: "read", Err: errors.New("connection reset")}
	cases := []struct {
		name      string
		errs      []error // what fn returns on each call
		wantCalls int
		wantErr   bool
	}{
		{"success first", []error{nil}, 1, false},
		{"temporary then success", []error{tempErr, tempErr, nil}, 3, false},
		{"permanent stops at once", []error{Permanent(fmt.Errorf("login: %w", ErrAuth)), nil}, 1, true},
		{"attempts used up", []error{tempErr, tempErr, tempErr, tempErr, tempErr, nil}, 5, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			b := Backoff{Attempts: 5, Initial: time.Millisecond, Max: 4 * time.Millisecond, Sleep: noSleep}
			err := b.Retry(context.Background(), func(context.Context) error {
				calls++
				return c.errs[calls-1]
			}, nil)
			if calls != c.wantCalls || (err != nil) != c.wantErr {
				t.Fatalf("Retry: %d calls, err %v; want %d calls, error %v", calls, err, c.wantCalls, c.wantErr)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	DefaultBackoff().Retry(ctx, func(context.Context) error { calls++; return tempErr }, nil)
	if calls != 1 {
		t.Fatalf("Retry with a cancelled context: %d calls, want 1", calls)
	}
	if !IsTemporary(tempErr) || IsTemporary(Permanent(tempErr)) || IsTemporary(context.Canceled) {
		t.Fatal("IsTemporary misclassifies")
	}
	if !errors.Is(Permanent(fmt.Errorf("x: %w", ErrAuth)), ErrAuth) {
		t.Fatal("Permanent hides the wrapped error")
	}
}

func TestReportSummary(t *testing.T) {
	r := &Report{Kind: "fetch", Started: time.Unix(0, 0), Finished: time.Unix(2, 0), Accounts: []*AccountReport{
		{Account: "home", Mailboxes: []*MailboxReport{
			{Mailbox: "INBOX", OnServer: 10, Archived: 10, New: 3, Seen: 3, Bytes: 3000},
			{Mailbox: "Sent", OnServer: 5, Archived: 4, Failed: []Failure{{UID: 7, Reason: "NO server error"}}, UIDValidityChanged: true},
		}},
		{Account: "old", Error: "login: authentication failed", Permanent: true},
	}}
	if r.OK() {
		t.Fatal("OK() with a failed message and account")
	}
	got := r.Summary()
	for _, want := range []string{"2 accounts", "2 mailboxes", "3 new (3.0 kB)", "1 UIDVALIDITY change", "FAILED: 1 message, 1 account", "in 2s"} {
		if !strings.Contains(got, want) {
			t.Errorf("Summary() = %q, missing %q", got, want)
		}
	}
	details := strings.Join(r.Details(), "\n")
	for _, want := range []string{"home/Sent: failed UID 7: NO server error (retried next run)", "old: login: authentication failed", "UIDVALIDITY changed"} {
		if !strings.Contains(details, want) {
			t.Errorf("Details() = %q, missing %q", details, want)
		}
	}
}

// TestImportLabels imports a Takeout-style mbox: one location per label,
// and a second import adds nothing.
func TestImportLabels(t *testing.T) {
	ctx := context.Background()
	a, err := archive.Open(ctx, t.TempDir(), archive.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	mbox := "From 123@xxx Mon Jan  1 00:00:00 2024\r\nX-Gmail-Labels: Inbox,Work,\"Travel, 2024\"\r\nSubject: one\r\n\r\nbody\r\n\r\n" +
		"From 456@xxx Mon Jan  1 00:00:00 2024\r\nX-Gmail-Labels: Sent\r\nSubject: two\r\n\r\nbody two\r\n"
	run := func() *Report {
		r := mailfile.NewMboxReader(strings.NewReader(mbox), "All mail", mailfile.MboxOptions{})
		rep, err := Run(ctx, a, []Source{NewImport("gmail", r)}, Options{Kind: "import"})
		if err != nil || !rep.OK() {
			t.Fatalf("import: %v, %s", err, rep.Summary())
		}
		return rep
	}
	rep := run()
	if tot := rep.Totals(); tot.New != 2 {
		t.Fatalf("first import: %d new, want 2", tot.New)
	}
	st, _ := a.Stats(ctx)
	if st.Messages != 2 || st.Locations != 4 {
		t.Fatalf("Stats = %+v, want 2 messages in 4 locations (INBOX, Work, Travel, Sent)", st)
	}
	counts, _ := a.MailboxCounts(ctx)
	var names []string
	for _, c := range counts {
		names = append(names, c.Mailbox)
	}
	if got := strings.Join(names, ","); got != "INBOX,Sent,Travel, 2024,Work" {
		t.Fatalf("mailboxes = %s", got)
	}
	rep = run()
	if tot := rep.Totals(); tot.New != 0 || tot.Seen != 2 {
		t.Fatalf("second import: %+v, want nothing new", tot)
	}
	if st2, _ := a.Stats(ctx); st2 != st {
		t.Fatalf("second import changed the archive: %+v → %+v", st, st2)
	}
}

// failingSource fails as a whole; other accounts still run.
type failingSource struct{ name string }

func (f failingSource) Name() string { return f.name }
func (f failingSource) Sync(ctx context.Context, s *Session) error {
	return Permanent(fmt.Errorf("login: %w", ErrAuth))
}

func TestRunAccountsFailIndependently(t *testing.T) {
	ctx := context.Background()
	a, err := archive.Open(ctx, t.TempDir(), archive.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	r := mailfile.NewMboxReader(strings.NewReader("From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\ny\n"), "m", mailfile.MboxOptions{})
	rep, err := Run(ctx, a, []Source{failingSource{"bad"}, NewImport("good", r)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Totals().New != 1 || rep.Accounts[0].Error == "" || !rep.Accounts[0].Permanent {
		t.Fatalf("report = %s; want the good account archived and the bad one failed permanently", rep.Summary())
	}
	runs, _ := a.Runs(ctx, "fetch", 1)
	if len(runs) != 1 || runs[0].OK || runs[0].New != 1 || !strings.Contains(runs[0].Report, `"account":"bad"`) {
		t.Fatalf("recorded run = %+v", runs)
	}
	if _, err := ParseReport(runs[0].Report); err != nil {
		t.Fatal(err)
	}
}

// TestPasswordOnce: the source runs once for every login of a run, its
// failure is remembered, and a call cut short by its context is not.
func TestPasswordOnce(t *testing.T) {
	calls := 0
	var result error
	a := Account{Name: "a", Password: func(ctx context.Context) (string, error) {
		calls++
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return "pw", result
	}}
	if (Account{}).PasswordOnce().Password != nil {
		t.Error("an account without a password source got one")
	}
	once := a.PasswordOnce()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := once.GetPassword(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	for range 3 {
		if pw, err := once.GetPassword(context.Background()); pw != "pw" || err != nil {
			t.Fatalf("GetPassword = %q, %v", pw, err)
		}
	}
	if calls != 2 {
		t.Errorf("the source ran %d times, want 2 (the cancelled call, then once)", calls)
	}
	calls, result = 0, errors.New("no such entry")
	failing := a.PasswordOnce()
	for range 2 {
		if _, err := failing.GetPassword(context.Background()); err == nil || !IsPermanent(err) {
			t.Fatalf("failing source: %v, want a permanent error", err)
		}
	}
	if calls != 1 {
		t.Errorf("the failing source ran %d times, want once", calls)
	}
}
