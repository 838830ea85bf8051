package pop3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
)

// pipelineClient logs in to a server with msgs, asks CAPA (which turns
// pipelining on when the server offers it) and logs the session.
func pipelineClient(t *testing.T, opts pop3test.Options, msgs []pop3test.Message) (*Client, func() string) {
	t.Helper()
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&buf, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := startServer(t, opts, msgs...)
	c := login(t, s, Options{Logger: log})
	if _, err := c.Capa(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
}

// retrAll reads messages 1..n in order after announcing them, and
// returns what each gave (or the server's error text).
func retrAll(t *testing.T, c *Client, n int) []string {
	t.Helper()
	ctx := context.Background()
	nums := make([]int, n)
	for i := range nums {
		nums[i] = i + 1
	}
	c.RetrAhead(nums)
	out := make([]string, n)
	for i := range n {
		rc, err := c.Retr(ctx, i+1)
		var se *ServerError
		if errors.As(err, &se) {
			out[i] = "-ERR " + se.Text
			continue
		}
		if err != nil {
			t.Fatalf("Retr(%d): %v", i+1, err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("reading RETR %d: %v", i+1, err)
		}
		out[i] = string(b)
	}
	return out
}

// TestRetrPipelined reads every edge case (and a message the server
// refuses) with RETR commands sent ahead: byte for byte what one at a time
// gives, and the session in step afterwards.
func TestRetrPipelined(t *testing.T) {
	t.Parallel()
	msgs := edgeMessages()
	msgs[3].RetrError = "[SYS/PERM] damaged"
	c, log := pipelineClient(t, pop3test.Options{}, msgs)
	got := retrAll(t, c, len(msgs))
	for i, tc := range edgeCases {
		want := tc.want
		if want == "" {
			want = tc.data
		}
		if i == 3 {
			want = "-ERR [SYS/PERM] damaged"
		}
		if got[i] != want {
			t.Errorf("RETR %d (%s) = %q, want %q", i+1, tc.name, trunc([]byte(got[i])), trunc([]byte(want)))
		}
	}
	if n, _, err := c.Stat(context.Background()); err != nil || n != len(msgs) {
		t.Errorf("Stat after pipelined RETRs = %d, %v; want %d", n, err, len(msgs))
	}
	// The commands went ahead: RETR 1 to 16 were sent before the reply
	// to RETR 1 was read.
	out := log()
	retr1 := strings.Index(out, `cmd="RETR 1" pipelined=true`)
	retr16 := strings.Index(out, `cmd="RETR 16" pipelined=true`)
	reply1 := strings.Index(out[max(retr1, 0):], "pop3 recv")
	if retr1 < 0 || retr16 < 0 || reply1 < 0 || retr16 > retr1+reply1 {
		t.Errorf("RETR 1 to 16 not all sent before the first reply:\n%s", out)
	}
}

// TestPipelineInterrupted: a Retr out of the announced order, or another
// command, while replies are in flight reads them away first.
func TestPipelineInterrupted(t *testing.T) {
	t.Parallel()
	msgs := edgeMessages()
	c, _ := pipelineClient(t, pop3test.Options{}, msgs)
	ctx := context.Background()
	read := func(n int) string {
		t.Helper()
		rc, err := c.Retr(ctx, n)
		if err != nil {
			t.Fatalf("Retr(%d): %v", n, err)
		}
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("reading RETR %d: %v", n, err)
		}
		return string(b)
	}
	c.RetrAhead([]int{1, 2, 3, 4, 5, 6, 7, 8})
	if got := read(1); got != edgeCases[0].data {
		t.Errorf("Retr(1) = %q", got)
	}
	// Out of order: 2 to 8 are in flight and discarded.
	if got := read(8); got != edgeCases[7].data {
		t.Errorf("Retr(8) out of order = %q, want %q", trunc([]byte(got)), trunc([]byte(edgeCases[7].data)))
	}
	c.RetrAhead([]int{5, 6, 7})
	if got := read(5); got != edgeCases[4].data {
		t.Errorf("Retr(5) = %q", trunc([]byte(got)))
	}
	// Another command: 6 and 7 are in flight and discarded.
	if n, _, err := c.Stat(ctx); err != nil || n != len(msgs) {
		t.Errorf("Stat with replies in flight = %d, %v; want %d", n, err, len(msgs))
	}
	if err := c.Dele(ctx, 2); err != nil {
		t.Errorf("Dele: %v", err)
	}
	if got := read(6); got != edgeCases[5].data {
		t.Errorf("Retr(6) after Stat = %q", trunc([]byte(got)))
	}
}

// TestNoPipelining: a server that does not offer PIPELINING gets one
// command at a time.
func TestNoPipelining(t *testing.T) {
	t.Parallel()
	msgs := edgeMessages()[:5]
	c, log := pipelineClient(t, pop3test.Options{Capabilities: []string{"USER", "UIDL", "TOP"}}, msgs)
	got := retrAll(t, c, len(msgs))
	for i := range msgs {
		if got[i] != edgeCases[i].data {
			t.Errorf("RETR %d = %q", i+1, trunc([]byte(got[i])))
		}
	}
	if out := log(); strings.Contains(out, "pipelined") || !strings.Contains(out, `cmd="RETR 5"`) {
		t.Errorf("commands sent ahead without PIPELINING:\n%s", out)
	}
}
