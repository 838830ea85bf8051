package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"time"
)

// pageCSP is the policy of every response but the mail HTML route
// (htmlCSP) and downloads (downloadCSP): scripts, styles and images only
// from this origin, no inline script, no plugins, frames only of this
// origin (the sandboxed mail frame), never framed itself.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

type ctxKey int

const requestIDKey ctxKey = 0

// requestID returns the ID the middleware gave the request.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(requestIDKey).(string)
	return id
}

// middleware wraps the routes, outermost first: request ID and logging,
// security headers, panic recovery, the Host check, the password, and
// cross-origin protection of unsafe methods.
func (s *Server) middleware(h http.Handler, hosts []string, password string) http.Handler {
	h = http.NewCrossOriginProtection().Handler(h)
	if password != "" {
		h = basicAuth(h, password)
	}
	h = hostCheck(h, hosts)
	h = s.recoverer(h)
	h = securityHeaders(h)
	return s.logRequests(h)
}

func (s *Server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
		s.log.Debug("http request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"dur", time.Since(start), "request_id", id)
	})
}

// statusWriter remembers the status code for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// securityHeaders sets the headers every response carries. Handlers that
// serve something else than the UI (mail HTML, downloads) replace the CSP.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", pageCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		h.ServeHTTP(w, r)
	})
}

// recoverer turns a panic in a handler into "Internal error" with the
// request ID; the panic itself goes to the log.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("http handler panic", "method", r.Method, "path", r.URL.Path, "panic", v, "request_id", requestID(r))
				s.internalError(w, r, nil)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// hostCheck refuses a Host header that is not allowed: a page on another
// name that resolves to this address (DNS rebinding) gets 421. Without an
// allowlist, the loopback names on any port pass.
func hostCheck(h http.Handler, hosts []string) http.Handler {
	allowed := map[string]bool{}
	for _, a := range hosts {
		allowed[normalizeHost(a)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := normalizeHost(r.Host)
		ok := allowed[host]
		if len(allowed) == 0 {
			name, _, err := net.SplitHostPort(host)
			ok = err == nil && isLoopbackName(name)
		}
		if !ok {
			http.Error(w, "Misdirected request: this server does not answer to that host name.", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// normalizeHost lower-cases a Host value and adds the default port 80.
func normalizeHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if _, _, err := net.SplitHostPort(h); err != nil {
		if strings.HasPrefix(h, "[") || !strings.Contains(h, ":") {
			h = net.JoinHostPort(strings.Trim(h, "[]"), "80")
		}
	}
	return h
}

func isLoopbackName(name string) bool {
	if name == "localhost" {
		return true
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// basicAuth requires the password with HTTP Basic auth. The user name is
// ignored; the comparison is of SHA-256 digests in constant time, so
// neither the password's bytes nor its length leak through timing.
func basicAuth(h http.Handler, password string) http.Handler {
	want := sha256.Sum256([]byte(password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pw, ok := r.BasicAuth()
		got := sha256.Sum256([]byte(pw))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="mailkeep", charset="UTF-8"`)
			http.Error(w, "Unauthorized: this mailkeep needs its password.", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
