package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/config"
	"github.com/mailkeep/mailkeep/fetch"
	"github.com/mailkeep/mailkeep/index"
	"github.com/mailkeep/mailkeep/schedule"
	"github.com/mailkeep/mailkeep/web"
)

func (a *app) serveCommand() *cobra.Command {
	var o serveOptions
	c := &cobra.Command{
		Use:   "serve [--listen ADDR] [--no-schedule]",
		Short: "Serve the web UI and fetch every account on a schedule",
		Long: `serve runs until it is stopped: it serves the web UI (search, messages, status)
on web.listen (default 127.0.0.1:8025) and fetches every account on schedule.cron
(default "0 3 * * *", nightly at 03:00 local time; "@every 6h" works too), one run at
a time, after a random delay of up to schedule.jitter. New mail is searchable as soon
as each batch is archived. The status page's "Fetch now" button (POST /api/fetch)
starts a run at once; so does "mailkeep fetch" while serve runs.

serve holds the archive and its index: other commands that write (fetch, import,
reindex) say so while it runs. Listening on an address other than loopback needs a
web password (password_command, password_env or password in [web]).

SIGTERM or Ctrl-C stops it gracefully: no new requests, the fetch in progress
commits what is complete, the index is closed. A second signal exits at once;
nothing archived is lost either way.

` + exitHelp,
		Example: `  mailkeep serve
  mailkeep serve --listen 127.0.0.1:9000
  mailkeep serve --no-schedule     # web UI only; fetch with the "Fetch now" button`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), o)
		},
	}
	c.Flags().StringVar(&o.listen, "listen", "", "address to serve the web UI on (default web.listen of the config, else "+config.DefaultListen+")")
	c.Flags().BoolVar(&o.noSchedule, "no-schedule", false, "do not fetch on a schedule (only when asked)")
	return c
}

// serveOptions are what serve and demo change of the serving.
type serveOptions struct {
	listen     string // "" means the config's web.listen
	noSchedule bool
	// fetchFirst runs one fetch before the web UI starts (demo).
	fetchFirst bool
	// fallback: when the address is in use, listen on any free port of
	// loopback instead (demo with its default address).
	fallback bool
	// ready is called once the web UI is listening, with its URL.
	ready func(url string, idx *index.Index)
}

// shutdownTimeout is how long requests in flight get to finish on stop.
const shutdownTimeout = 5 * time.Second

// addrFile names the file in the archive directory where a running serve
// writes its address, so that other commands can ask it (see askServer).
const addrFile = "serve.addr"

// serve is "mailkeep serve", and "mailkeep demo" once its servers run:
// one process that holds the archive, the index, the web UI and the
// schedule, all under one errgroup.
func (a *app) serve(ctx context.Context, o serveOptions) error {
	cfg, err := a.config(true)
	if err != nil {
		return err
	}
	listen := cmp.Or(o.listen, cfg.Web.Listen, config.DefaultListen)
	if err := cfg.Web.CheckListen(listen); err != nil {
		return err
	}
	password, err := cfg.Web.Password(ctx)
	if err != nil {
		return err
	}
	spec := cfg.Schedule.Cron
	if o.noSchedule {
		spec = ""
	}
	if len(cfg.Accounts) == 0 {
		a.log.Warn("no accounts in the config: serving the archive without fetching", "config", cfg.Path)
		spec = ""
	}

	stopSignals := a.exitOnSecondSignal()
	defer stopSignals()

	arc, err := a.openArchive(ctx, true, true)
	if err != nil {
		return err
	}
	defer arc.Close()
	// The index catches up with the archive in the background (the
	// indexer's first update), so the UI is there at once, even when the
	// whole index must be built.
	idx, err := index.Open(ctx, arc, index.Options{Logger: a.log, Defer: true})
	if err != nil {
		return err
	}
	defer func() {
		if err := idx.Close(); err != nil {
			a.log.Error("close index", "err", err)
		}
	}()

	f := &fetcher{a: a, cfg: cfg, arc: arc, kick: make(chan struct{}, 1)}
	f.index()
	sched, err := schedule.New(f.run, schedule.Options{Spec: spec, Jitter: cfg.Schedule.Jitter, Logger: a.log})
	if err != nil {
		return fmt.Errorf("%w: schedule.cron: %w", config.ErrConfig, err)
	}
	if o.fetchFirst {
		if summary, err := f.run(ctx); err == nil {
			a.log.Info("first fetch", "summary", summary)
		} else if ctx.Err() == nil {
			a.log.Error("first fetch", "err", err)
		}
		if _, err := idx.Update(ctx, a.progressLine("indexing")); err != nil && ctx.Err() == nil {
			return err
		}
		if ctx.Err() != nil {
			return nil // stopped before serving
		}
	}

	ln, err := a.listen(listen, o.fallback)
	if err != nil {
		return err
	}
	defer ln.Close()
	url := "http://" + dialAddr(ln.Addr().String()) + "/"
	hosts, err := allowedHosts(ln.requested, ln.Addr().String())
	if err != nil {
		return err
	}
	h, err := web.New(web.Options{
		Archive: arc, Index: idx, Logger: a.log, Password: password, AllowedHosts: hosts,
		Runner: &runner{s: sched, f: f}, Accounts: accountInfos(cfg), StaleAfter: cfg.Schedule.StaleAfter,
	})
	if err != nil {
		return err
	}
	removeAddr, err := writeAddrFile(arc.Dir(), dialAddr(ln.Addr().String()))
	if err != nil {
		return err
	}
	defer removeAddr()

	srv := h.HTTPServer(ln.Addr().String())
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("web UI: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			a.log.Warn("web UI: requests still running at shutdown were cut", "err", err)
			srv.Close()
		}
		return nil
	})
	g.Go(func() error { return sched.Run(gctx) })
	g.Go(func() error { return f.indexer(gctx, idx) })

	st := sched.State()
	a.log.Info("serving", "url", url, "archive", arc.Dir(), "schedule", cmp.Or(st.Schedule, "off"), "next", st.Next)
	fmt.Fprintf(a.stdout, "mailkeep: serving %s\n", url)
	if o.ready != nil {
		o.ready(url, idx)
	}
	err = g.Wait()
	a.log.Info("stopped")
	return err // nil when stopped by a signal: that is how serve ends
}

// listener is a net.Listener and the address it was asked for.
type listener struct {
	net.Listener
	requested string
}

// listen listens on addr; with fallback, on any free loopback port when
// addr is in use.
func (a *app) listen(addr string, fallback bool) (*listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil && fallback && addrInUse(err) {
		a.log.Info("address in use: listening on another port", "listen", addr)
		addr = "127.0.0.1:0"
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	return &listener{ln, addr}, nil
}

// fetcher is serve's scheduled job: one fetch of every account, and the
// indexer that follows its commits.
type fetcher struct {
	a    *app
	cfg  *config.Config
	arc  *archive.Archive
	kick chan struct{} // capacity 1: the index has something to catch up on

	mu      sync.Mutex
	current fetch.ProgressEvent // the latest progress of the run, if any
	started time.Time
}

// errRunFailed marks a run whose report is not OK; the summary says why.
var errRunFailed = errors.New("some messages or accounts failed (retried next run)")

// run fetches every account once. Cancelling ctx stops it after the
// batches in flight are committed.
func (f *fetcher) run(ctx context.Context) (string, error) {
	srcs, err := f.a.sources(f.cfg, "")
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.started, f.current = time.Now(), fetch.ProgressEvent{}
	f.mu.Unlock()
	rep, err := fetch.Run(ctx, f.arc, srcs, fetch.Options{
		Kind: "fetch", Logger: f.a.log, Progress: f,
		OnCommit: func(fetch.Committed) { f.index() },
	})
	f.index() // flags and gone marks change outside batches too
	if err != nil {
		return "", err
	}
	if ctx.Err() != nil {
		return rep.Summary(), fmt.Errorf("stopped: what was complete is archived: %w", ctx.Err())
	}
	if !rep.OK() {
		for _, d := range rep.Details() {
			f.a.log.Error("fetch problem", "detail", d)
		}
		return rep.Summary(), fmt.Errorf("%s: %w", rep.Summary(), errRunFailed)
	}
	return rep.Summary(), nil
}

// index asks the indexer to catch up; it never blocks.
func (f *fetcher) index() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// indexer brings the index up to date whenever a batch was committed,
// until ctx is cancelled. An update in progress then gets indexGrace to
// finish and write out what it did (else the next start does it again).
// Index errors are logged, not fatal: the index is derived, and the next
// update (or start) catches up.
func (f *fetcher) indexer(ctx context.Context, idx *index.Index) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.kick:
		}
		uctx, cancel := afterGrace(ctx, indexGrace)
		n, err := idx.Update(uctx, nil)
		cancel()
		switch {
		case err != nil && ctx.Err() != nil:
			f.a.log.Warn("index update cut short by the stop; the next start finishes it", "err", err)
			return nil
		case err != nil:
			f.a.log.Error("index update failed; the mail is archived and the next update retries", "err", err)
		case n > 0:
			f.a.log.Debug("indexed", "n", n)
		}
	}
}

// indexGrace is how long an index update may go on after serve was asked
// to stop.
const indexGrace = 10 * time.Second

// afterGrace returns a context that is cancelled grace after ctx is.
func afterGrace(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-gctx.Done():
		}
	})
	return gctx, func() {
		stop()
		cancel()
	}
}

// Update and Done implement fetch.Progress for the status page.
func (f *fetcher) Update(p fetch.ProgressEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.current = p
}

func (f *fetcher) Done() {}

// progress describes the run in progress in one line.
func (f *fetcher) progress() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current.Account == "" {
		return "starting"
	}
	return fetch.FormatProgress(f.current, time.Since(f.started))
}

// runner is what the web UI sees of the schedule: a web.Runner.
type runner struct {
	s *schedule.Scheduler
	f *fetcher
}

func (r *runner) FetchNow() error {
	err := r.s.Trigger()
	if errors.Is(err, schedule.ErrRunning) {
		return web.ErrRunning
	}
	return err
}

func (r *runner) State() web.RunnerState {
	st := r.s.State()
	out := web.RunnerState{Running: st.Running, Schedule: st.Schedule, Next: st.Next}
	if st.Running {
		out.Current = r.f.progress()
	}
	return out
}

// accountInfos lists the accounts for the status page.
func accountInfos(cfg *config.Config) []web.AccountInfo {
	var out []web.AccountInfo
	for _, acct := range cfg.Accounts {
		out = append(out, web.AccountInfo{Name: acct.Name, Protocol: string(acct.Protocol), Host: acct.Host})
	}
	return out
}

// allowedHosts are the Host headers the web UI answers to: those of the
// address it listens on (web.HostsFor), and the name it was asked to
// listen on, when that is a name.
func allowedHosts(listen, bound string) ([]string, error) {
	hosts, err := web.HostsFor(bound)
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(listen)
	if _, port, err := net.SplitHostPort(bound); err == nil && host != "" && net.ParseIP(strings.Trim(host, "[]")) == nil {
		hosts = append(hosts, net.JoinHostPort(host, port))
	}
	return hosts, nil
}

// dialAddr turns a listening address into one to connect to: an
// unspecified host (0.0.0.0, ::) becomes loopback.
func dialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if ip != nil && ip.To4() == nil {
			host = "::1"
		} else {
			host = "127.0.0.1"
		}
	}
	return net.JoinHostPort(host, port)
}

// writeAddrFile records the server's address in the archive directory
// (written to a temporary file and renamed, so a reader never sees half of
// it) and returns a func that removes it again.
func writeAddrFile(dir, addr string) (func(), error) {
	path := filepath.Join(dir, addrFile)
	tmp, err := os.CreateTemp(dir, addrFile+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.WriteString(addr + "\n")
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return func() { os.Remove(path) }, nil
}

// readAddrFile returns the address a running serve wrote, or "".
func readAddrFile(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, addrFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// exitNow ends the process; a seam for tests.
var exitNow = os.Exit

// sameSignal is how soon after the first a signal counts as a repeat of
// it: some senders signal the process and then its group (GNU timeout).
var sameSignal = 300 * time.Millisecond

// signals counts the stop signals a process received.
type signals struct{ first time.Time }

// second reports whether a signal received at now is a second one.
func (s *signals) second(now time.Time) bool {
	if s.first.IsZero() {
		s.first = now
		return false
	}
	return now.Sub(s.first) >= sameSignal
}

// exitOnSecondSignal makes a second SIGINT or SIGTERM end the process at
// once (the first cancels the command's context: a graceful stop).
// Nothing durable is lost by exiting: every write is ordered so that a
// crash at any instant is safe. The returned func stops listening.
func (a *app) exitOnSecondSignal() (stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var count signals
		for {
			select {
			case <-done:
				return
			case <-sigs:
				if count.second(time.Now()) {
					fmt.Fprintln(a.stderr, "mailkeep: second signal: exiting now (everything archived so far is safe)")
					exitNow(1)
				}
			}
		}
	})
	return func() {
		signal.Stop(sigs)
		close(done)
		wg.Wait()
	}
}

// askServer sends a request to the "mailkeep serve" running on the archive
// in dir, at the address it recorded in serve.addr. It returns an error
// when none is recorded or none answers.
func (a *app) askServer(ctx context.Context, dir, method, path string) (*http.Response, error) {
	addr := readAddrFile(dir)
	if addr == "" {
		return nil, errors.New("no running server recorded its address")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	if cfg, err := a.config(true); err == nil && cfg.Web.Secret.IsSet() {
		p, err := cfg.Web.Password(ctx)
		if err != nil {
			cancel()
			return nil, err
		}
		req.SetBasicAuth("mailkeep", p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("ask mailkeep serve at %s: %w", addr, err)
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

type cancelOnClose struct {
	body interface {
		Read([]byte) (int, error)
		Close() error
	}
	cancel context.CancelFunc
}

func (c cancelOnClose) Read(p []byte) (int, error) { return c.body.Read(p) }
func (c cancelOnClose) Close() error               { err := c.body.Close(); c.cancel(); return err }

// fetchViaServer is what "mailkeep fetch" does when the archive is locked
// by a running serve: it asks the server to fetch now and says so. It
// returns locked (the exit-code table explains it) when no server answers.
func (a *app) fetchViaServer(ctx context.Context, locked error) error {
	var le *archive.LockedError
	if !errors.As(locked, &le) {
		return locked
	}
	resp, err := a.askServer(ctx, le.Dir, http.MethodPost, "/api/fetch")
	if err != nil {
		a.log.Debug("no server to ask", "err", err)
		return locked
	}
	defer resp.Body.Close()
	status := "http://" + readAddrFile(le.Dir) + "/status"
	switch {
	case resp.StatusCode == http.StatusConflict:
		fmt.Fprintf(a.stdout, "mailkeep serve (pid %d) is fetching already; follow it at %s\n", le.PID, status)
		return nil
	case resp.StatusCode/100 == 2:
		fmt.Fprintf(a.stdout, "mailkeep serve (pid %d) holds the archive: asked it to fetch now; follow it at %s\n", le.PID, status)
		return nil
	}
	return fmt.Errorf("%w; asking it to fetch instead got %s", locked, resp.Status)
}
