package pop3

import (
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/internal/dovecottest"
	"github.com/mailkeep/mailkeep/internal/mailgen"
)

func TestZZRetrOnly(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	s := dovecottest.Start(t, dovecottest.Options{})
	var raws [][]byte
	for _, m := range mailgen.Generate(mailgen.Options{Seed: 1}, 3000) {
		raws = append(raws, m.Raw)
	}
	s.DeliverMaildir(t, "INBOX", raws)
	ctx := context.Background()
	c, err := Dial(ctx, s.Addr(dovecottest.POP3), Options{Security: SecurityNone})
	if err != nil {
		t.Fatal(err)
	}
	c.User(ctx, s.User())
	if err := c.Pass(ctx, s.Password()); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		start := time.Now()
		for i := 1; i <= 3000; i++ {
			rc, err := c.Retr(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, rc)
		}
		t.Logf("3000 RETR in %v", time.Since(start))
	}
}
