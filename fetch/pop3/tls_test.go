package pop3

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
)

var tlsMessage = pop3test.Message{Data: []byte("Subject: tls\r\n\r\n.dot\r\n" + strings.Repeat("t", 10000) + "\r\n")}

func TestTLS(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	for _, tc := range []struct {
		name     string
		server   pop3test.Options
		security Security
	}{
		{"implicit", pop3test.Options{TLSConfig: ca.server, ImplicitTLS: true}, SecurityTLS},
		{"STLS", pop3test.Options{TLSConfig: ca.server}, SecurityStartTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, tc.server, tlsMessage)
			c := login(t, s, Options{Security: tc.security, TLSConfig: &tls.Config{RootCAs: ca.roots}})
			ctx := context.Background()
			if !c.isTLS {
				t.Fatal("logged in without TLS")
			}
			caps, err := c.Capa(ctx)
			if err != nil || caps.Has("STLS") {
				t.Errorf("Capa after TLS = %v, %v; want no STLS", caps, err)
			}
			rc, err := c.Retr(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(rc); err != nil || string(got) != string(tlsMessage.Data) {
				t.Errorf("Retr over TLS = %d bytes, %v; want the stored %d bytes", len(got), err, len(tlsMessage.Data))
			}
			if err := c.Quit(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestTLSFailures(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	implicit := pop3test.Options{TLSConfig: ca.server, ImplicitTLS: true}
	stls := pop3test.Options{TLSConfig: ca.server}
	for _, tc := range []struct {
		name   string
		server pop3test.Options
		opts   Options
		check  func(t *testing.T, err error)
	}{
		{"untrusted implicit", implicit, Options{}, untrusted},
		{"untrusted STLS", stls, Options{Security: SecurityStartTLS}, untrusted},
		{"wrong host name", implicit, Options{TLSConfig: &tls.Config{RootCAs: ca.roots, ServerName: "pop.example.net"}},
			func(t *testing.T, err error) {
				var te *TLSError
				if !errors.As(err, &te) || IsTemporary(err) || !strings.Contains(err.Error(), "check the account's host") {
					t.Errorf("err = %v, want a permanent TLSError about the host name", err)
				}
			}},
		{"TLS to a plain port", pop3test.Options{}, Options{TLSConfig: &tls.Config{RootCAs: ca.roots}},
			func(t *testing.T, err error) {
				var te *TLSError
				if !errors.As(err, &te) || IsTemporary(err) || !strings.Contains(err.Error(), "does not speak TLS") {
					t.Errorf("err = %v, want a permanent TLSError saying the port has no TLS", err)
				}
			}},
		{"no STLS offered", pop3test.Options{}, Options{Security: SecurityStartTLS, TLSConfig: &tls.Config{RootCAs: ca.roots}},
			func(t *testing.T, err error) {
				if !errors.Is(err, ErrNoSTLS) || IsTemporary(err) {
					t.Errorf("err = %v, want ErrNoSTLS, permanent", err)
				}
			}},
		{"no STLS and no CAPA", pop3test.Options{NoCAPA: true}, Options{Security: SecurityStartTLS, TLSConfig: &tls.Config{RootCAs: ca.roots}},
			func(t *testing.T, err error) {
				var se *ServerError
				if !errors.As(err, &se) || se.Cmd != "STLS" || IsTemporary(err) {
					t.Errorf("err = %v, want a permanent ServerError for STLS", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startServer(t, tc.server)
			c, err := Dial(context.Background(), s.Addr(), tc.opts)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			tc.check(t, err)
		})
	}
}

// untrusted checks the error for a certificate from an unknown CA: it names
// the host and says what to do.
func untrusted(t *testing.T, err error) {
	t.Helper()
	var te *TLSError
	if !errors.As(err, &te) || IsTemporary(err) {
		t.Fatalf("err = %v, want a permanent TLSError", err)
	}
	for _, want := range []string{"127.0.0.1", "tls_ca_file", "certificate"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
