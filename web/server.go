package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/index"
)

// Options configure New.
type Options struct {
	Archive *archive.Archive
	Index   *index.Index
	Logger  *slog.Logger
	// Password, when set, is required with every request (HTTP Basic
	// auth; the user name is ignored).
	Password string
	// AllowedHosts are the Host header values accepted ("host:port"); any
	// other gets 421. Default: HostsFor(Listen), or, without Listen, the
	// loopback names (127.0.0.1, localhost, [::1]) on any port.
	AllowedHosts []string
	// Listen is the address the server listens on, for AllowedHosts'
	// default.
	Listen string
	// Runner starts fetch runs and reports on them; nil hides "Fetch now".
	Runner Runner
	// Accounts are shown on the status page, in this order.
	Accounts []AccountInfo
	// StaleAfter: an account whose last successful fetch is older is
	// flagged stale on the status page. Default 72h.
	StaleAfter time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Location is the time zone dates are shown in. Default time.Local.
	Location *time.Location
}

// AccountInfo is what the status page shows of a configured account (no
// secrets).
type AccountInfo struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Host     string `json:"host"`
}

// Runner starts fetch runs ("Fetch now") and tells whether one is running.
type Runner interface {
	// FetchNow starts a run in the background and returns at once:
	// ErrRunning when one is already running.
	FetchNow() error
	State() RunnerState
}

// RunnerState is what a Runner reports.
type RunnerState struct {
	Running  bool
	Schedule string    // like "0 3 * * *", "" when there is none
	Next     time.Time // next scheduled run, zero when none
	Current  string    // progress of the running run, optional
}

// ErrRunning is returned by Runner.FetchNow while a run is in progress.
var ErrRunning = errors.New("a fetch is already running")

// searcher is what the web UI needs of the index.
type searcher interface {
	Search(ctx context.Context, req index.Request) (*index.Result, error)
	Conversation(ctx context.Context, mids []string, limit int) ([]index.Hit, error)
}

// Server is the web UI's http.Handler.
type Server struct {
	arc        *archive.Archive
	idx        searcher
	log        *slog.Logger
	runner     Runner
	accounts   []AccountInfo
	staleAfter time.Duration
	now        func() time.Time
	loc        *time.Location

	views   map[string]*view
	assets  *assets
	handler http.Handler
}

// New checks opts, parses the templates and builds the routes.
func New(opts Options) (*Server, error) {
	if opts.Archive == nil || opts.Index == nil {
		return nil, errors.New("web: Archive and Index are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 72 * time.Hour
	}
	s := &Server{
		arc: opts.Archive, idx: opts.Index, log: opts.Logger, runner: opts.Runner,
		accounts: opts.Accounts, staleAfter: opts.StaleAfter, now: opts.Now, loc: opts.Location,
	}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if s.views, err = parseViews(s.funcs()); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	hosts := opts.AllowedHosts
	if len(hosts) == 0 && opts.Listen != "" {
		if hosts, err = HostsFor(opts.Listen); err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
	}
	s.handler = s.middleware(s.routes(), hosts, opts.Password)
	return s, nil
}

// ServeHTTP serves the web UI.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleSearch)
	mux.HandleFunc("GET /message/{id}", s.handleMessage)
	mux.HandleFunc("GET /message/{id}/html", s.handleHTML)
	mux.HandleFunc("GET /message/{id}/raw", s.handleRaw)
	mux.HandleFunc("GET /message/{id}/part/{path}", s.handlePart)
	mux.HandleFunc("GET /status", s.handleStatus)
	mux.HandleFunc("POST /fetch", s.handleFetchForm)
	mux.HandleFunc("GET /api/search", s.handleAPISearch)
	mux.HandleFunc("GET /api/message/{id}", s.handleAPIMessage)
	mux.HandleFunc("GET /api/status", s.handleAPIStatus)
	mux.HandleFunc("POST /api/fetch", s.handleAPIFetch)
	mux.HandleFunc("GET /static/{name}", s.handleStatic)
	mux.HandleFunc("GET /favicon.ico", s.handleFavicon)
	mux.HandleFunc("GET /", s.handleNotFound)
	return mux
}
