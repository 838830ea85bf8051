package imap

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/internal/fetchtest"
)

// testCA returns a server configuration with a certificate for 127.0.0.1
// signed by a fresh CA, and a pool trusting that CA.
func testCA(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// TestTLS: implicit TLS and STARTTLS with the right CA archive; with an
// untrusted certificate the error is permanent, names the host and says
// to set tls_ca_file.
func TestTLS(t *testing.T) {
	serverTLS, roots := testCA(t)
	_, otherRoots := testCA(t)
	s := newMemServerOpts(t, memOptions{tls: serverTLS})
	msgs := testMessages(0, 3)
	uids := s.deliver("INBOX", msgs...)

	// An implicit-TLS listener on the same mail.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverTLS)
	if err != nil {
		t.Fatal(err)
	}
	srv := newPlainServer(s)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	tlsPort := ln.Addr().(*net.TCPAddr).Port

	for _, tt := range []struct {
		name     string
		security fetch.Security
		port     int
	}{
		{"implicit", fetch.TLS, tlsPort},
		{"starttls", fetch.STARTTLS, s.port()},
	} {
		acct := s.account()
		acct.Security, acct.Port = tt.security, tt.port
		t.Run(tt.name, func(t *testing.T) {
			acct.TLSConfig = &tls.Config{RootCAs: roots}
			arc := fetchtest.OpenArchive(t, nil)
			fetchtest.RunOK(t, arc, New(acct, Options{}))
			checkArchived(t, arc, "acct", "INBOX", mapOf(uids, msgs))
		})
		t.Run(tt.name+" untrusted", func(t *testing.T) {
			acct.TLSConfig = &tls.Config{RootCAs: otherRoots}
			_, err := dial(context.Background(), acct)
			if err == nil || !fetch.IsPermanent(err) || !strings.Contains(err.Error(), "127.0.0.1") || !strings.Contains(err.Error(), "tls_ca_file") {
				t.Errorf("dial = %v, want a permanent error naming the host and tls_ca_file", err)
			}
			t.Logf("%v", err)
			arc := fetchtest.OpenArchive(t, nil)
			rep := fetchtest.RunSources(t, context.Background(), arc, fetch.Options{Backoff: fetchtest.InstantBackoff(5)}, New(acct, Options{}))
			if a := rep.Accounts[0]; !a.Permanent {
				t.Errorf("account report = %+v, want permanent", a)
			}
		})
	}

	t.Run("starttls not offered", func(t *testing.T) {
		plain := newMemServer(t)
		acct := plain.account()
		acct.Security, acct.TLSConfig = fetch.STARTTLS, &tls.Config{RootCAs: roots}
		_, err := dial(context.Background(), acct)
		if !fetch.IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("dial = %v, want a permanent error about STARTTLS", err)
		}
	})
	t.Run("no TLS on the port", func(t *testing.T) {
		acct := s.account()
		acct.Security, acct.TLSConfig = fetch.TLS, &tls.Config{RootCAs: roots}
		_, err := dial(context.Background(), acct)
		if err == nil {
			t.Fatal("TLS to a plaintext port worked")
		}
		t.Logf("%v (permanent %v)", err, fetch.IsPermanent(err))
	})
}

// scripted runs a fake IMAP server that answers each client line with the
// next response of script (a greeting first), and returns its address.
// A script entry may hold several lines.
func scripted(t *testing.T, greeting string, script map[string]string) (addr string, got chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got = make(chan string, 100)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte(greeting + "\r\n"))
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			got <- line
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			resp, ok := script[strings.ToUpper(f[1])]
			if !ok {
				resp = "TAG BAD unexpected"
			}
			c.Write([]byte(strings.ReplaceAll(resp, "TAG", f[0]) + "\r\n"))
		}
	}()
	return ln.Addr().String(), got
}

// TestLogin checks the authentication choices against scripted servers.
func TestLogin(t *testing.T) {
	acct := fetch.Account{Name: "a", Username: "alice", Password: func(context.Context) (string, error) { return "pw ü", nil }}
	login1 := func(t *testing.T, greeting string, script map[string]string) (error, []string) {
		addr, got := scripted(t, greeting, script)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c := imapclient.New(conn, nil)
		defer c.Close()
		if err := c.WaitGreeting(); err != nil {
			t.Fatal(err)
		}
		err = login(context.Background(), c, acct, addr)
		c.Close()
		var lines []string
		for {
			select {
			case l := <-got:
				lines = append(lines, l)
				continue
			case <-time.After(50 * time.Millisecond):
			}
			break
		}
		return err, lines
	}

	t.Run("LOGINDISABLED uses AUTHENTICATE PLAIN", func(t *testing.T) {
		err, lines := login1(t, "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGINDISABLED AUTH=PLAIN] ready",
			map[string]string{"AUTHENTICATE": "TAG OK [CAPABILITY IMAP4rev1] logged in", "CAPABILITY": "* CAPABILITY IMAP4rev1\r\nTAG OK done"})
		if err != nil {
			t.Fatalf("login = %v (sent %q)", err, lines)
		}
		want := "AUTHENTICATE PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00alice\x00pw ü"))
		if len(lines) == 0 || !strings.HasSuffix(lines[0], want) {
			t.Errorf("sent %q, want %q", lines, want)
		}
	})
	t.Run("LOGIN", func(t *testing.T) {
		err, lines := login1(t, "* OK [CAPABILITY IMAP4rev1] ready", map[string]string{"LOGIN": "TAG OK logged in"})
		if err != nil || len(lines) == 0 || !strings.Contains(lines[0], "LOGIN") {
			t.Errorf("login = %v, sent %q", err, lines)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		err, _ := login1(t, "* OK [CAPABILITY IMAP4rev1] ready", map[string]string{"LOGIN": "TAG NO [AUTHENTICATIONFAILED] Authentication failed."})
		if !errors.Is(err, fetch.ErrAuth) || !fetch.IsPermanent(err) || strings.Contains(err.Error(), "pw ü") {
			t.Errorf("login = %v, want permanent ErrAuth without the password", err)
		}
	})
	t.Run("busy is temporary", func(t *testing.T) {
		err, _ := login1(t, "* OK [CAPABILITY IMAP4rev1] ready", map[string]string{"LOGIN": "TAG NO [UNAVAILABLE] try later"})
		if err == nil || fetch.IsPermanent(err) || errors.Is(err, fetch.ErrAuth) {
			t.Errorf("login = %v, want a temporary error", err)
		}
	})
	t.Run("neither LOGIN nor PLAIN", func(t *testing.T) {
		err, lines := login1(t, "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=GSSAPI] ready", nil)
		if !fetch.IsPermanent(err) || len(lines) != 0 {
			t.Errorf("login = %v after sending %q, want a permanent error and nothing sent", err, lines)
		}
	})
}
