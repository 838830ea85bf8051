package pop3

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/mailkeep/mailkeep/fetch/pop3/pop3test"
)

const (
	testUser = "alice"
	testPass = "correct horse battery"
)

// startServer starts a pop3test server with user alice holding msgs.
func startServer(tb testing.TB, opts pop3test.Options, msgs ...pop3test.Message) *pop3test.Server {
	tb.Helper()
	s, err := pop3test.NewServer(opts)
	if err != nil {
		tb.Fatalf("NewServer: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	s.AddUser(testUser, testPass)
	s.Add(testUser, msgs...)
	return s
}

// dial connects to s without TLS unless opts say otherwise.
func dial(tb testing.TB, s *pop3test.Server, opts Options) *Client {
	tb.Helper()
	if opts.Security == SecurityTLS && opts.TLSConfig == nil {
		opts.Security = SecurityNone
	}
	c, err := Dial(context.Background(), s.Addr(), opts)
	if err != nil {
		tb.Fatalf("Dial(%s): %v", s.Addr(), err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// login dials s and logs in as alice with USER and PASS.
func login(tb testing.TB, s *pop3test.Server, opts Options) *Client {
	tb.Helper()
	c := dial(tb, s, opts)
	ctx := context.Background()
	if err := c.User(ctx, testUser); err != nil {
		tb.Fatalf("User: %v", err)
	}
	if err := c.Pass(ctx, testPass); err != nil {
		tb.Fatalf("Pass: %v", err)
	}
	return c
}

// testCA is a self-signed CA and a server certificate it signed for
// 127.0.0.1 and localhost.
type testCA struct {
	roots  *x509.CertPool
	server *tls.Config
}

func newTestCA(tb testing.TB) *testCA {
	tb.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailkeep test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(caCert)
	return &testCA{
		roots: roots,
		server: &tls.Config{Certificates: []tls.Certificate{{
			Certificate: [][]byte{der},
			PrivateKey:  key,
		}}},
	}
}
