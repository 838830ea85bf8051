package pop3

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
)

// TestSourceIncremental walks a maildrop through its life: a first run
// byte-exact (edge cases included), an unchanged re-run, new mail, and
// messages deleted on the server by another client.
func TestSourceIncremental(t *testing.T) {
	t.Parallel()
	msgs := edgeMessages()
	s, rec := sourceServer(t, pop3test.Options{}, msgs...)
	arc := fetchtest.OpenArchive(t, nil)
	src := NewSourceOptions(account(s.Addr()), SourceOptions{BatchMessages: 4})

	t.Run("first run archives everything byte-exact", func(t *testing.T) {
		rep := fetchtest.RunOK(t, arc, src)
		m := inbox(t, rep)
		if m.OnServer != len(msgs) || m.Archived != len(msgs) || m.Seen != len(msgs) || m.New != len(msgs) {
			t.Errorf("report = %+v, want %d on server, archived, seen and new", *m, len(msgs))
		}
		checkArchived(t, arc, msgs)
		if got := verb(rec.take(), "RETR"); len(got) != len(msgs) {
			t.Errorf("%d RETR, want %d", len(got), len(msgs))
		}
	})

	t.Run("unchanged re-run downloads nothing", func(t *testing.T) {
		rep := fetchtest.RunOK(t, arc, src)
		m := inbox(t, rep)
		if m.Seen != 0 || m.New != 0 || m.Archived != len(msgs) || m.Gone != 0 {
			t.Errorf("report = %+v, want nothing fetched, %d archived", *m, len(msgs))
		}
		cmds := rec.take()
		for _, v := range []string{"RETR", "TOP", "LIST", "DELE"} {
			if got := verb(cmds, v); len(got) > 0 {
				t.Errorf("unchanged re-run sent %q", got)
			}
		}
	})

	more := testMessages(100, 3)
	t.Run("new mail", func(t *testing.T) {
		s.Add(testUser, more...)
		rep := fetchtest.RunOK(t, arc, src)
		if m := inbox(t, rep); m.New != 3 || m.Seen != 3 || m.Archived != len(msgs)+3 {
			t.Errorf("report = %+v, want 3 new of %d", *m, len(msgs)+3)
		}
		want := []string{fmt.Sprintf("RETR %d", len(msgs)+1), fmt.Sprintf("RETR %d", len(msgs)+2), fmt.Sprintf("RETR %d", len(msgs)+3)}
		if got := verb(rec.take(), "RETR"); !slices.Equal(got, want) {
			t.Errorf("RETR sent: %q, want %q", got, want)
		}
		checkArchived(t, arc, append(slices.Clone(msgs), more...))
	})

	t.Run("messages gone from the server are marked gone and kept", func(t *testing.T) {
		left := append(slices.Clone(msgs[2:]), more[1:]...)
		s.SetMessages(testUser, left)
		rep := fetchtest.RunOK(t, arc, src)
		if m := inbox(t, rep); m.Gone != 3 || m.Seen != 0 || m.Archived != len(left) || m.OnServer != len(left) {
			t.Errorf("report = %+v, want 3 gone, %d archived", *m, len(left))
		}
		locs := locations(t, arc)
		for _, m := range []pop3test.Message{msgs[0], msgs[1], more[0]} {
			if l := locs[m.UIDL]; len(l) != 1 || l[0].GoneSince.IsZero() {
				t.Errorf("UIDL %s: locations %+v, want one, gone", m.UIDL, l)
			}
			if _, err := arc.ReadAll(id(served(m.Data))); err != nil {
				t.Errorf("UIDL %s no longer in the archive: %v", m.UIDL, err)
			}
		}
		checkArchived(t, arc, left)
		if rep := fetchtest.RunOK(t, arc, src); inbox(t, rep).Gone != 0 {
			t.Errorf("a further run: %+v", *inbox(t, rep))
		}
	})

	t.Run("a UIDL back on the server lives again", func(t *testing.T) {
		s.Add(testUser, msgs[0])
		rep := fetchtest.RunOK(t, arc, src)
		if m := inbox(t, rep); m.Seen != 0 || m.Gone != 0 {
			t.Errorf("report = %+v, want nothing fetched", *m)
		}
		checkArchived(t, arc, msgs[:1])
	})
}

// TestSourceDuplicateUIDL: a server that gives several messages one UIDL.
// Each is archived (by content), all are downloaded again on every run,
// and a warning says so.
func TestSourceDuplicateUIDL(t *testing.T) {
	t.Parallel()
	a := pop3test.Message{UIDL: "same", Data: testMessage(1, "a")}
	b := pop3test.Message{UIDL: "same", Data: testMessage(2, "b")}
	c := pop3test.Message{UIDL: "unique", Data: testMessage(3, "c")}
	a2 := a // the same message twice, same UIDL
	s, rec := sourceServer(t, pop3test.Options{}, a, b, c, a2)
	arc := fetchtest.OpenArchive(t, nil)
	src := NewSource(account(s.Addr()))
	rep := fetchtest.RunOK(t, arc, src)
	m := inbox(t, rep)
	if m.New != 3 || m.Seen != 4 || m.Archived != 4 || m.OnServer != 4 {
		t.Errorf("report = %+v, want 3 new, 4 seen and archived", *m)
	}
	if w := rep.Accounts[0].Warnings; len(w) != 1 || !strings.Contains(w[0], "UIDL") {
		t.Errorf("warnings = %q, want one about duplicate UIDLs", w)
	}
	checkArchived(t, arc, []pop3test.Message{a, b, c})
	if locs := locations(t, arc); len(locs["same"]) != 2 || len(locs["unique"]) != 1 {
		t.Errorf("locations = %v, want two under the duplicate UIDL", locs)
	}
	rec.take()

	rep = fetchtest.RunOK(t, arc, src)
	if m := inbox(t, rep); m.New != 0 || m.Seen != 3 || m.Archived != 4 {
		t.Errorf("re-run: report = %+v, want the 3 duplicates seen again, nothing new", *m)
	}
	if got := verb(rec.take(), "RETR"); !slices.Equal(got, []string{"RETR 1", "RETR 2", "RETR 4"}) {
		t.Errorf("re-run RETR = %q, want the duplicates only", got)
	}
	if st, _ := arc.Stats(context.Background()); st.Messages != 3 || st.Locations != 3 {
		t.Errorf("stats = %+v, want 3 messages, 3 locations", st)
	}

	// Removing one of the duplicates marks nothing gone: the UIDL is still there.
	s.SetMessages(testUser, []pop3test.Message{a, c})
	if rep := fetchtest.RunOK(t, arc, src); inbox(t, rep).Gone != 0 {
		t.Errorf("after removing a duplicate: %+v", *inbox(t, rep))
	}
}

// TestSourceNoUIDL: a server without UIDL gets every message downloaded on
// every run, stored once, recorded under "sha256:<id>", with a warning.
func TestSourceNoUIDL(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 4)
	msgs = append(msgs, msgs[1]) // the same message twice
	s, rec := sourceServer(t, pop3test.Options{NoUIDL: true}, msgs...)
	arc := fetchtest.OpenArchive(t, nil)
	src := NewSourceOptions(account(s.Addr()), SourceOptions{BatchMessages: 2})
	rep := fetchtest.RunOK(t, arc, src)
	m := inbox(t, rep)
	if m.New != 4 || m.Seen != 5 || m.Archived != 5 || m.OnServer != 5 {
		t.Errorf("report = %+v, want 4 new, 5 seen and archived", *m)
	}
	if w := rep.Accounts[0].Warnings; len(w) != 1 || !strings.Contains(w[0], "does not support UIDL") {
		t.Errorf("warnings = %q, want one about UIDL", w)
	}
	locs := locations(t, arc)
	for _, msg := range msgs {
		uidl := "sha256:" + id(msg.Data).String()
		if l := locs[uidl]; len(l) != 1 || l[0].Message != id(msg.Data) || !l[0].GoneSince.IsZero() {
			t.Errorf("location %s = %+v", uidl, l)
		}
	}
	rec.take()

	rep = fetchtest.RunOK(t, arc, src)
	if m := inbox(t, rep); m.New != 0 || m.Seen != 5 || m.Gone != 0 {
		t.Errorf("re-run: report = %+v, want 5 seen, nothing new", *m)
	}
	if got := verb(rec.take(), "RETR"); len(got) != 5 {
		t.Errorf("re-run sent %d RETR, want 5", len(got))
	}
	if st, _ := arc.Stats(context.Background()); st.Messages != 4 || st.Locations != 4 {
		t.Errorf("stats = %+v, want 4 messages and locations", st)
	}

	s.SetMessages(testUser, msgs[1:])
	if m := inbox(t, fetchtest.RunOK(t, arc, src)); m.Gone != 1 {
		t.Errorf("after a message left: report = %+v, want 1 gone", *m)
	}
	if l := locations(t, arc)["sha256:"+id(msgs[0].Data).String()]; len(l) != 1 || l[0].GoneSince.IsZero() {
		t.Errorf("location of the removed message = %+v, want gone", l)
	}
}

// TestSourceSizeLimit: a message over MaxMessageSize is skipped with a
// clear reason, the others are archived, the run is OK; a server that
// lies about the size is caught too.
func TestSourceSizeLimit(t *testing.T) {
	t.Parallel()
	small := testMessages(0, 3)
	big := pop3test.Message{UIDL: "big", Data: testMessage(9, strings.Repeat("x", 20000))}
	s, rec := sourceServer(t, pop3test.Options{}, small[0], big, small[1], small[2])
	acct := account(s.Addr())
	acct.MaxMessageSize = 10000
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunOK(t, arc, NewSource(acct))
	m := inbox(t, rep)
	if len(m.Skipped) != 1 || m.Skipped[0].UIDL != "big" || !strings.Contains(m.Skipped[0].Reason, "size limit") || m.New != 3 || m.Archived != 3 {
		t.Errorf("report = %+v, want big skipped for its size, 3 new", *m)
	}
	if got := verb(rec.take(), "RETR"); slices.Contains(got, "RETR 2") {
		t.Errorf("RETR sent for the big message: %q", got)
	}
	checkArchived(t, arc, small)
	if !slices.ContainsFunc(rep.Details(), func(s string) bool { return strings.Contains(s, "skipped UIDL big") }) {
		t.Errorf("details = %q", rep.Details())
	}

	// A message that arrives larger than LIST said (here: no final line
	// ending, so the server adds CRLF) is caught while it streams, and the
	// session goes on. Big enough not to be spooled in memory, and small.
	for _, size := range []int{3000, spoolMax + 5000} {
		data := bytes.Repeat([]byte("y"), size)
		liar := pop3test.Message{UIDL: "liar", Data: data}
		s, rec := sourceServer(t, pop3test.Options{}, small[0], liar, small[1])
		acct := account(s.Addr())
		acct.MaxMessageSize = int64(len(data)) + 1
		arc := fetchtest.OpenArchive(t, nil)
		rep := fetchtest.RunOK(t, arc, NewSource(acct))
		m := inbox(t, rep)
		if len(m.Skipped) != 1 || m.Skipped[0].UIDL != "liar" || !strings.Contains(m.Skipped[0].Reason, "larger than announced") || m.New != 2 {
			t.Errorf("%d bytes: report = %+v, want liar skipped, 2 new", size, *m)
		}
		if got := verb(rec.take(), "RETR"); len(got) != 3 {
			t.Errorf("%d bytes: RETR sent %q, want all 3 (the session goes on)", size, got)
		}
		checkArchived(t, arc, small[:2])
	}
}

// TestSourceRetrError: -ERR to one RETR puts that message in Failed with
// the server's text; the others are archived; the next run, once the
// server delivers it, fetches that message alone.
func TestSourceRetrError(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 6)
	broken := slices.Clone(msgs)
	broken[2].RetrError = "[SYS/PERM] cannot read message file"
	s, rec := sourceServer(t, pop3test.Options{}, broken...)
	arc := fetchtest.OpenArchive(t, nil)
	src := NewSourceOptions(account(s.Addr()), SourceOptions{BatchMessages: 2})
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, src)
	m := inbox(t, rep)
	if len(m.Failed) != 1 || m.Failed[0].UIDL != "u2" || !strings.Contains(m.Failed[0].Reason, "cannot read message file") {
		t.Fatalf("Failed = %+v, want u2 with the server's text", m.Failed)
	}
	if rep.OK() || m.New != 5 || m.Archived != 5 || rep.Accounts[0].Error != "" {
		t.Errorf("report = %+v (OK %v, error %q), want 5 archived, not OK, no account error", *m, rep.OK(), rep.Accounts[0].Error)
	}
	checkArchived(t, arc, append(slices.Clone(msgs[:2]), msgs[3:]...))

	s.SetMessages(testUser, msgs)
	rec.take()
	rep = fetchtest.RunOK(t, arc, src)
	if m := inbox(t, rep); m.New != 1 || len(m.Failed) != 0 || m.Archived != 6 {
		t.Errorf("second run: report = %+v, want u2 alone fetched", *m)
	}
	if got := verb(rec.take(), "RETR"); !slices.Equal(got, []string{"RETR 3"}) {
		t.Errorf("second run sent %q, want RETR 3 only", got)
	}
	checkArchived(t, arc, msgs)
}

// TestSourceDisconnect: the server drops the connection in the middle of
// a RETR; what was complete is committed, the run retries and resumes
// without downloading those again, and every message is archived once.
func TestSourceDisconnect(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 10)
	for i := range msgs {
		msgs[i].Data = testMessage(i, strings.Repeat(fmt.Sprintf("line of message %d\r\n", i), 300))
	}
	cut := slices.Clone(msgs)
	cut[6].CutAfter = 2000
	s, rec := sourceServer(t, pop3test.Options{}, cut...)
	backoff := fetch.Backoff{Attempts: 2, Sleep: func(ctx context.Context, d time.Duration) error {
		s.SetMessages(testUser, msgs) // the network is back
		return nil
	}}
	arc := fetchtest.OpenArchive(t, nil)
	src := NewSourceOptions(account(s.Addr()), SourceOptions{BatchMessages: 4})
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: backoff}, src)
	if !rep.OK() {
		t.Fatalf("run not OK: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
	}
	m := inbox(t, rep)
	if m.New != 10 || m.Seen != 10 || m.Archived != 10 {
		t.Errorf("report = %+v, want 10 new, seen once each", *m)
	}
	// Batches of 4: 1-4 committed, 5-6 committed when 7 broke; the second
	// connection fetches 7-10 only.
	want := []string{"RETR 1", "RETR 2", "RETR 3", "RETR 4", "RETR 5", "RETR 6", "RETR 7", "RETR 7", "RETR 8", "RETR 9", "RETR 10"}
	if got := verb(rec.take(), "RETR"); !slices.Equal(got, want) {
		t.Errorf("RETR sent: %q, want %q", got, want)
	}
	checkArchived(t, arc, msgs)
	if vr, err := arc.Verify(context.Background(), 1, nil); err != nil || !vr.OK() || len(vr.Adopted) > 0 {
		t.Errorf("Verify = %+v, %v", vr, err)
	}
}

// TestSourceWrongPassword: a permanent error wrapping fetch.ErrAuth after
// exactly one attempt (PASS, or AUTH when SASL PLAIN is offered), and the
// password is nowhere in the report.
func TestSourceWrongPassword(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts pop3test.Options
		verb string
	}{
		{"USER/PASS", pop3test.Options{NoSASL: true}, "PASS"},
		{"AUTH PLAIN", pop3test.Options{}, "AUTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, rec := sourceServer(t, tc.opts, testMessages(0, 2)...)
			acct := account(s.Addr())
			const wrong = "wrong-Pa55word"
			acct.Password = func(context.Context) (string, error) { return wrong, nil }
			src := NewSource(acct)
			r := &run{src: src, warned: map[string]bool{}}
			_, err := r.connect(context.Background())
			if !errors.Is(err, fetch.ErrAuth) || !fetch.IsPermanent(err) {
				t.Fatalf("connect = %v, want a permanent error wrapping fetch.ErrAuth", err)
			}
			rec.take()

			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: fetchtest.InstantBackoff(5)}, src)
			a := rep.Accounts[0]
			if !a.Permanent || !strings.Contains(a.Error, fetch.ErrAuth.Error()) {
				t.Fatalf("account report = %+v, want a permanent authentication error", a)
			}
			cmds := rec.take()
			if got := verb(cmds, tc.verb); len(got) != 1 {
				t.Errorf("%s sent %d times (%q), want once", tc.verb, len(got), cmds)
			}
			if strings.Contains(a.Error, wrong) || strings.Contains(strings.Join(cmds, "\n"), wrong) {
				t.Errorf("the password shows: %s", a.Error)
			}
			t.Logf("error: %s", a.Error)
		})
	}
}

// TestSourceAuthMethods: SASL PLAIN when offered, USER/PASS otherwise,
// APOP when asked for and offered; APOP asked for but not offered on a
// plaintext connection is refused rather than sending the password.
func TestSourceAuthMethods(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts pop3test.Options
		apop bool
		verb string // "" means the login must be refused
	}{
		{"SASL PLAIN", pop3test.Options{}, false, "AUTH"},
		{"USER/PASS", pop3test.Options{NoSASL: true}, false, "PASS"},
		{"no CAPA", pop3test.Options{NoCAPA: true}, false, "PASS"},
		{"APOP", pop3test.Options{}, true, "APOP"},
		{"APOP not offered", pop3test.Options{NoAPOP: true}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msgs := testMessages(0, 2)
			s, rec := sourceServer(t, tc.opts, msgs...)
			acct := account(s.Addr())
			acct.APOP = tc.apop
			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{}, NewSource(acct))
			cmds := rec.take()
			if tc.verb == "" {
				a := rep.Accounts[0]
				if !a.Permanent || !strings.Contains(a.Error, "APOP") || len(verb(cmds, "PASS"))+len(verb(cmds, "AUTH")) > 0 {
					t.Errorf("account = %+v, commands %q; want a permanent APOP error and no password sent", a, cmds)
				}
				return
			}
			if !rep.OK() || len(verb(cmds, tc.verb)) != 1 {
				t.Fatalf("run %s, commands %q; want one %s", rep.Summary(), cmds, tc.verb)
			}
			checkArchived(t, arc, msgs)
		})
	}
}

// TestSourcePlaintextRefused: security none to a non-loopback host needs
// AllowPlaintext; the error is permanent, says what to do, and no
// password is asked for.
func TestSourcePlaintextRefused(t *testing.T) {
	t.Parallel()
	acct := fetch.Account{Name: "remote", Host: "192.0.2.1", Port: 110, Security: fetch.None, Username: "u",
		Password: func(context.Context) (string, error) { t.Error("password asked for"); return "", nil }}
	r := &run{src: NewSource(acct), warned: map[string]bool{}}
	_, err := r.connect(context.Background())
	if !fetch.IsPermanent(err) || !strings.Contains(err.Error(), "allow_plaintext") || !strings.Contains(err.Error(), "192.0.2.1") {
		t.Errorf("connect = %v, want a permanent error naming the host and allow_plaintext", err)
	}
}

// TestSourceTLS: implicit TLS and STLS with a private CA; the wrong CA is
// a permanent error that names the host and tls_ca_file; STARTTLS to a
// server without STLS is permanent too.
func TestSourceTLS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	other := newTestCA(t)
	msgs := testMessages(0, 3)
	for _, tc := range []struct {
		name     string
		opts     pop3test.Options
		sec      fetch.Security
		roots    *testCA
		errParts []string // nil: the run must succeed
	}{
		{"TLS", pop3test.Options{TLSConfig: ca.server, ImplicitTLS: true}, fetch.TLS, ca, nil},
		{"STARTTLS", pop3test.Options{TLSConfig: ca.server}, fetch.STARTTLS, ca, nil},
		{"TLS wrong CA", pop3test.Options{TLSConfig: ca.server, ImplicitTLS: true}, fetch.TLS, other, []string{"127.0.0.1", "tls_ca_file"}},
		{"STARTTLS wrong CA", pop3test.Options{TLSConfig: ca.server}, fetch.STARTTLS, other, []string{"127.0.0.1", "tls_ca_file"}},
		{"STARTTLS without STLS", pop3test.Options{}, fetch.STARTTLS, ca, []string{"STLS"}},
		{"TLS to a plaintext port", pop3test.Options{}, fetch.TLS, ca, []string{"TLS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := sourceServer(t, tc.opts, msgs...)
			acct := account(s.Addr())
			acct.Security = tc.sec
			acct.TLSConfig = clientTLS(tc.roots)
			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: fetchtest.InstantBackoff(3)}, NewSource(acct))
			a := rep.Accounts[0]
			if tc.errParts == nil {
				if !rep.OK() {
					t.Fatalf("run: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
				}
				checkArchived(t, arc, msgs)
				return
			}
			if !a.Permanent {
				t.Errorf("error %q is not permanent", a.Error)
			}
			for _, p := range tc.errParts {
				if !strings.Contains(a.Error, p) {
					t.Errorf("error %q does not mention %q", a.Error, p)
				}
			}
			t.Logf("error: %s", a.Error)
		})
	}
}

// TestSourceCancel cancels a run in the middle: what was committed stays,
// the messages complete in the interrupted batch are committed, nothing is
// half-stored, and the next run completes with each message once. Without
// pipelining exactly the 10 messages before RETR 11 are complete; with it
// the server reads RETR 11 while the client may still be reading 9 and 10.
func TestSourceCancel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		caps     []string
		min, max int
	}{
		{"one at a time", []string{"TOP", "USER", "UIDL"}, 10, 10},
		{"pipelined", nil, 8, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testSourceCancel(t, tc.caps, tc.min, tc.max)
		})
	}
}

func testSourceCancel(t *testing.T, caps []string, lo, hi int) {
	msgs := testMessages(0, 20)
	s, rec := sourceServer(t, pop3test.Options{Capabilities: caps}, msgs...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	release := make(chan struct{})
	var once sync.Once
	rec.setHook(func(line string) {
		if line == "RETR 11" {
			once.Do(func() {
				cancel()
				<-release // the client gives up before the server answers
			})
		}
	})
	arc := fetchtest.OpenArchive(t, nil)
	src := NewSourceOptions(account(s.Addr()), SourceOptions{BatchMessages: 4})
	rep := fetchtest.RunSources(t, ctx, arc, fetch.Options{}, src)
	close(release)
	if a := rep.Accounts[0]; !strings.Contains(a.Error, "interrupted") {
		t.Errorf("account error = %q, want an interruption", a.Error)
	}
	st, _ := arc.Stats(context.Background())
	if st.Messages < int64(lo) || st.Messages > int64(hi) {
		t.Errorf("after cancel: %d messages archived, want %d to %d", st.Messages, lo, hi)
	}
	rec.setHook(nil)
	rep = fetchtest.RunOK(t, arc, src)
	if m := inbox(t, rep); m.New != 20-int(st.Messages) || m.Archived != 20 {
		t.Errorf("resumed run: report = %+v, want %d new", *m, 20-st.Messages)
	}
	checkArchived(t, arc, msgs)
	if vr, err := arc.Verify(context.Background(), 1, nil); err != nil || !vr.OK() {
		t.Errorf("Verify = %+v, %v", vr, err)
	}
}

// TestSourceTimeout: a server that stops answering in the middle of the
// run costs one Timeout, then the run retries and completes.
func TestSourceTimeout(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 6)
	s, rec := sourceServer(t, pop3test.Options{}, msgs...)
	release := make(chan struct{})
	var once sync.Once
	rec.setHook(func(line string) {
		if line == "RETR 3" {
			once.Do(func() { <-release })
		}
	})
	var releaseOnce sync.Once
	unhang := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unhang) // before the server's Close
	// The hung session holds the maildrop lock until the server notices
	// the client is gone: the retries wait for that.
	backoff := fetch.Backoff{Attempts: 5, Sleep: func(ctx context.Context, d time.Duration) error {
		unhang()
		time.Sleep(50 * time.Millisecond)
		return nil
	}}
	acct := account(s.Addr())
	acct.Timeout = 300 * time.Millisecond
	arc := fetchtest.OpenArchive(t, nil)
	start := time.Now()
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: backoff}, NewSource(acct))
	if !rep.OK() {
		t.Fatalf("run not OK: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("run took %v with a 300ms timeout", d)
	}
	checkArchived(t, arc, msgs)
}

// TestSourceProgress: progress events count up to the plan.
func TestSourceProgress(t *testing.T) {
	t.Parallel()
	msgs := testMessages(0, 5)
	s, _ := sourceServer(t, pop3test.Options{}, msgs...)
	p := &progressRecorder{}
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Progress: p}, NewSource(account(s.Addr())))
	if !rep.OK() {
		t.Fatal(rep.Summary())
	}
	var total int64
	for _, m := range msgs {
		total += int64(len(m.Data))
	}
	last := p.events[len(p.events)-1]
	if len(p.events) != 6 || last.Msgs != 5 || last.TotalMsgs != 5 || last.Bytes != total || last.TotalBytes != total || last.Mailbox != Mailbox {
		t.Errorf("progress events %+v, want 6 ending at 5/5 messages and %d bytes", p.events, total)
	}
}

type progressRecorder struct {
	mu     sync.Mutex
	events []fetch.ProgressEvent
}

func (p *progressRecorder) Update(e fetch.ProgressEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, e)
}

func (p *progressRecorder) Done() {}

// TestSourceNoMessages: an empty maildrop is a short, clean run.
func TestSourceNoMessages(t *testing.T) {
	t.Parallel()
	s, rec := sourceServer(t, pop3test.Options{})
	arc := fetchtest.OpenArchive(t, nil)
	rep := fetchtest.RunOK(t, arc, NewSource(account(s.Addr())))
	if m := inbox(t, rep); m.OnServer != 0 || m.Archived != 0 {
		t.Errorf("report = %+v", *m)
	}
	if cmds := rec.take(); len(verb(cmds, "UIDL"))+len(verb(cmds, "LIST")) > 0 {
		t.Errorf("empty maildrop: sent %q", cmds)
	}
}

// TestSourceName: Name is the account name and the source is a
// fetch.Source.
func TestSourceName(t *testing.T) {
	var src fetch.Source = NewSource(fetch.Account{Name: "old-isp"})
	if src.Name() != "old-isp" {
		t.Errorf("Name = %q", src.Name())
	}
}

// TestSourceSecretsNotLogged: with debug logging on, the password shows
// nowhere, whichever way the source logs in and whether it is right.
func TestSourceSecretsNotLogged(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]pop3test.Options{
		"SASL PLAIN": {},
		"USER/PASS":  {NoSASL: true},
	} {
		for _, pw := range []string{testPass, "wrong-Secr3t"} {
			t.Run(name+"/"+pw, func(t *testing.T) {
				t.Parallel()
				s, _ := sourceServer(t, opts, testMessages(0, 2)...)
				acct := account(s.Addr())
				acct.Password = func(context.Context) (string, error) { return pw, nil }
				var logs bytes.Buffer
				log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				arc := fetchtest.OpenArchive(t, nil)
				rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Logger: log}, NewSource(acct))
				js, _ := json.Marshal(rep)
				plain := base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + pw))
				for _, out := range []string{logs.String(), string(js)} {
					if strings.Contains(out, pw) || strings.Contains(out, plain) {
						t.Errorf("the password shows:\n%s", out)
					}
				}
				if !strings.Contains(logs.String(), "RETR") && pw == testPass {
					t.Errorf("no protocol debug log:\n%s", logs.String())
				}
			})
		}
	}
}

// TestSourceCutAnywhere breaks the connection after n bytes from the
// server, at many points (greeting, CAPA, login, UIDL, LIST, inside and
// between messages, before QUIT's answer): the run retries, resumes and
// archives every message exactly once, nothing truncated, with and
// without deletion.
func TestSourceCutAnywhere(t *testing.T) {
	t.Parallel()
	var msgs []pop3test.Message
	for i := range 12 {
		msgs = append(msgs, pop3test.Message{UIDL: fmt.Sprintf("u%d", i),
			Data: testMessage(i, strings.Repeat(fmt.Sprintf(".padding line %d\r\n", i), 100))})
	}
	for _, del := range []fetch.DeleteMode{fetch.DeleteNever, fetch.DeleteAfterArchive} {
		for _, n := range []int64{10, 60, 150, 300, 500, 900, 3000, 8000, 13000, 21000, 23000} {
			t.Run(fmt.Sprintf("%s/%d", del, n), func(t *testing.T) {
				t.Parallel()
				s, _ := sourceServer(t, pop3test.Options{}, msgs...)
				p := dovecottest.NewProxy(t, s.Addr())
				p.CutAfter(n)
				backoff := fetch.Backoff{Attempts: 3, Sleep: func(ctx context.Context, d time.Duration) error {
					p.CutAfter(-1)                    // the network is back
					time.Sleep(20 * time.Millisecond) // the server notices the broken session and unlocks
					return nil
				}}
				acct := account(p.Addr())
				acct.Delete = del
				arc := fetchtest.OpenArchive(t, nil)
				rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: backoff}, NewSourceOptions(acct, SourceOptions{BatchMessages: 5}))
				if !rep.OK() {
					t.Fatalf("run not OK: %s\n%s", rep.Summary(), strings.Join(rep.Details(), "\n"))
				}
				if p.Cuts() == 0 {
					t.Fatalf("no cut at %d bytes", n)
				}
				if st, err := arc.Stats(context.Background()); err != nil || st.Messages != int64(len(msgs)) || st.Locations != int64(len(msgs)) {
					t.Errorf("Stats = %+v, %v; want %d messages and locations", st, err, len(msgs))
				}
				if del == fetch.DeleteNever {
					checkArchived(t, arc, msgs)
				} else {
					checkArchivedGone(t, arc, msgs)
					if left := s.Messages(testUser); len(left) != 0 {
						t.Errorf("%d messages left on the server", len(left))
					}
				}
				if vr, err := arc.Verify(context.Background(), 1, nil); err != nil || !vr.OK() || len(vr.Adopted) > 0 {
					t.Errorf("Verify = %+v, %v", vr, err)
				}
			})
		}
	}
}
