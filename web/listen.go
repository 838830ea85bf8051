package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// CheckListen refuses to serve on an address other hosts can reach
// without a password: the archive is the user's whole mail.
func CheckListen(addr string, hasPassword bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w (want host:port, like 127.0.0.1:8025)", addr, err)
	}
	if isLoopbackName(strings.ToLower(host)) || hasPassword {
		return nil
	}
	if host == "" {
		host = "every interface"
	}
	return fmt.Errorf("listen address %q is reachable from %s, not only this computer: set a web password, or listen on 127.0.0.1", addr, host)
}

// HostsFor returns the Host header values a server listening on addr
// answers to: the loopback names with its port, and for another address
// that address (and, on a wildcard address, this machine's name and
// interface addresses).
func HostsFor(addr string) ([]string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	out := []string{net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("localhost", port), net.JoinHostPort("::1", port)}
	add := func(h string) { out = append(out, net.JoinHostPort(strings.Trim(h, "[]"), port)) }
	ip := net.ParseIP(host)
	switch {
	case isLoopbackName(strings.ToLower(host)):
	case host == "" || (ip != nil && ip.IsUnspecified()):
		if name, err := os.Hostname(); err == nil && name != "" {
			add(name)
		}
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
					add(n.IP.String())
				}
			}
		}
	default:
		add(host)
	}
	return out, nil
}

// HTTPServer returns an http.Server for s on addr with limits suited to a
// local UI: bounded header size and read times, and a write timeout long
// enough for a 50 MB .eml download on a slow link.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}
