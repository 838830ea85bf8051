package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/mailkeep/mailkeep/config"
	"github.com/mailkeep/mailkeep/fetch"
)

// sourceFactories builds a fetch.Source per protocol; each protocol's file
// registers itself.
var sourceFactories = map[config.Protocol]func(fetch.Account) fetch.Source{}

// sources turns the configured accounts (all, or the one named) into
// fetch sources.
func (a *app) sources(cfg *config.Config, only string) ([]fetch.Source, error) {
	var out []fetch.Source
	for _, acct := range cfg.Accounts {
		if only != "" && acct.Name != only {
			continue
		}
		fa, err := fetchAccount(acct)
		if err != nil {
			return nil, err
		}
		mk, ok := sourceFactories[acct.Protocol]
		if !ok {
			return nil, fmt.Errorf("%w: account %q: protocol %q is not supported by this build", config.ErrConfig, acct.Name, acct.Protocol)
		}
		out = append(out, mk(fa))
	}
	if only != "" && len(out) == 0 {
		return nil, usageError{fmt.Errorf("no account named %q in %s", only, cfg.Path)}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no accounts in %s: add an [[account]] table (see config.example.toml)", config.ErrConfig, cfg.Path)
	}
	return out, nil
}

// fetchAccount converts one configured account into what sources use.
func fetchAccount(acct config.Account) (fetch.Account, error) {
	tc := &tls.Config{ServerName: acct.Host, MinVersion: tls.VersionTLS12}
	if acct.TLSCAFile != "" {
		pem, err := os.ReadFile(acct.TLSCAFile)
		if err != nil {
			return fetch.Account{}, fmt.Errorf("%w: account %q: tls_ca_file: %v", config.ErrConfig, acct.Name, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fetch.Account{}, fmt.Errorf("%w: account %q: tls_ca_file %s holds no PEM certificate", config.ErrConfig, acct.Name, acct.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	fa := fetch.Account{
		Name:           acct.Name,
		Host:           acct.Host,
		Port:           acct.Port,
		Security:       fetch.Security(acct.Security),
		AllowPlaintext: acct.AllowPlaintext,
		Username:       acct.Username,
		Password:       acct.Password,
		TLSConfig:      tc,
		Include:        acct.Include,
		Exclude:        acct.Exclude,
		APOP:           acct.Auth == config.AuthAPOP,
		MaxMessageSize: acct.MaxMessageSize,
		Connections:    acct.Connections,
	}
	switch acct.Delete.Mode {
	case config.DeleteAfterArchive:
		fa.Delete = fetch.DeleteAfterArchive
	case config.DeleteOlderThan:
		fa.Delete, fa.DeleteOlderThan = fetch.DeleteOlderThan, acct.Delete.OlderThan
	default:
		fa.Delete = fetch.DeleteNever
	}
	return fa, nil
}
