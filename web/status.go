package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/mailkeep/mailkeep/archive"
)

// runsShown is how many runs the status page lists and reads reports of.
const runsShown = 50

// The fetch package's run report (archive.Run.Report), mirrored: web does
// not import fetch.
type runReport struct {
	Kind     string          `json:"kind"`
	Started  time.Time       `json:"started"`
	Finished time.Time       `json:"finished"`
	Accounts []accountReport `json:"accounts"`
}

type accountReport struct {
	Account   string          `json:"account"`
	Error     string          `json:"error"`
	Permanent bool            `json:"permanent"`
	Warnings  []string        `json:"warnings"`
	Mailboxes []mailboxReport `json:"mailboxes"`
	Started   time.Time       `json:"started"`
	Finished  time.Time       `json:"finished"`
}

type mailboxReport struct {
	Mailbox            string    `json:"mailbox"`
	OnServer           int       `json:"on_server"`
	Archived           int       `json:"archived"`
	New                int       `json:"new"`
	Seen               int       `json:"seen"`
	Bytes              int64     `json:"bytes"`
	Gone               int       `json:"gone"`
	FlagsChanged       int       `json:"flags_changed"`
	Deleted            int       `json:"deleted"`
	UIDValidityChanged bool      `json:"uidvalidity_changed"`
	Skipped            []failure `json:"skipped"`
	Failed             []failure `json:"failed"`
}

type failure struct {
	UID    uint32 `json:"uid,omitempty"`
	UIDL   string `json:"uidl,omitempty"`
	Reason string `json:"reason"`
}

// status is the JSON of /api/status and the data of the status page.
type status struct {
	Archive  archiveStatus   `json:"archive"`
	Accounts []accountStatus `json:"accounts"`
	LastRun  *runStatus      `json:"last_run"`
	Runs     []runStatus     `json:"runs"`
	Schedule string          `json:"schedule,omitempty"`
	NextRun  *time.Time      `json:"next_run"`
	Running  bool            `json:"running"`
	Current  string          `json:"current,omitempty"`
	CanFetch bool            `json:"can_fetch"`
	// Stale: an account's last successful fetch is older than StaleAfter
	// (or there is none).
	Stale      bool  `json:"stale"`
	StaleAfter int64 `json:"stale_after_seconds"`
}

type archiveStatus struct {
	archive.Stats
	Indexed int `json:"indexed"`
}

type accountStatus struct {
	Name        string          `json:"name"`
	Protocol    string          `json:"protocol,omitempty"`
	Host        string          `json:"host,omitempty"`
	Configured  bool            `json:"configured"`
	LastRun     *time.Time      `json:"last_run"`
	LastRunOK   bool            `json:"last_run_ok"`
	LastSuccess *time.Time      `json:"last_success"`
	Error       string          `json:"error,omitempty"`
	Permanent   bool            `json:"permanent,omitempty"`
	Warnings    []string        `json:"warnings,omitempty"`
	Stale       bool            `json:"stale"`
	Mailboxes   []mailboxStatus `json:"mailboxes"`
}

type mailboxStatus struct {
	Mailbox string `json:"mailbox"`
	// Messages are archived and still on the server, Gone archived and
	// since deleted there (from the catalog).
	Messages int64 `json:"messages"`
	Gone     int64 `json:"gone"`
	// From the account's last run report (nil: no report names it).
	OnServer           *int      `json:"on_server"`
	ArchivedOfServer   *int      `json:"archived_of_server"`
	New                int       `json:"new"`
	UIDValidityChanged bool      `json:"uidvalidity_changed,omitempty"`
	Failed             []failure `json:"failed,omitempty"`
	Skipped            []failure `json:"skipped,omitempty"`
}

type runStatus struct {
	ID       int64      `json:"id"`
	Kind     string     `json:"kind"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished"`
	OK       bool       `json:"ok"`
	New      int        `json:"new"`
	Failed   int        `json:"failed"`
	Summary  string     `json:"summary"`
	// State is "ok", "failed", "running" or "interrupted".
	State string `json:"state"`
}

// status gathers the status from the catalog, the run reports and the
// Runner.
func (s *Server) status(ctx context.Context) (*status, error) {
	st := &status{StaleAfter: int64(s.staleAfter / time.Second), Accounts: []accountStatus{}, Runs: []runStatus{}}
	var err error
	if st.Archive.Stats, err = s.arc.Stats(ctx); err != nil {
		return nil, err
	}
	if c, ok := s.idx.(interface{ DocCount() (int, error) }); ok {
		if st.Archive.Indexed, err = c.DocCount(); err != nil {
			return nil, err
		}
	}
	var rs RunnerState
	if s.runner != nil {
		rs = s.runner.State()
		st.CanFetch, st.Running, st.Current, st.Schedule = true, rs.Running, rs.Current, rs.Schedule
		if !rs.Next.IsZero() {
			st.NextRun = &rs.Next
		}
	}
	runs, err := s.arc.Runs(ctx, "", runsShown)
	if err != nil {
		return nil, err
	}
	counts, err := s.arc.MailboxCounts(ctx)
	if err != nil {
		return nil, err
	}

	accts := map[string]*accountStatus{}
	var order []string
	account := func(name string) *accountStatus {
		if a := accts[name]; a != nil {
			return a
		}
		accts[name] = &accountStatus{Name: name, Mailboxes: []mailboxStatus{}}
		order = append(order, name)
		return accts[name]
	}
	for _, a := range s.accounts {
		as := account(a.Name)
		as.Protocol, as.Host, as.Configured = a.Protocol, a.Host, true
	}
	lastReport := map[string]*accountReport{} // the newest report of each account
	lastRun := -1                             // in st.Runs, the newest finished fetch
	for i, run := range runs {
		rv := runStatus{ID: run.ID, Kind: run.Kind, Started: run.Started, OK: run.OK, New: run.New, Failed: run.Failed, Summary: run.Summary}
		switch {
		case !run.Finished.IsZero():
			f := run.Finished
			rv.Finished = &f
			rv.State = map[bool]string{true: "ok", false: "failed"}[run.OK]
		case i == 0 && rs.Running:
			rv.State = "running"
		default:
			rv.State = "interrupted"
		}
		st.Runs = append(st.Runs, rv)
		if run.Kind != "fetch" || run.Report == "" || run.Finished.IsZero() {
			continue
		}
		if lastRun < 0 {
			lastRun = len(st.Runs) - 1
		}
		var rep runReport
		if err := json.Unmarshal([]byte(run.Report), &rep); err != nil {
			s.log.Warn("status: read run report", "run", run.ID, "err", err)
			continue
		}
		for i := range rep.Accounts {
			ar := &rep.Accounts[i]
			as := account(ar.Account)
			when := ar.Finished
			if when.IsZero() {
				when = run.Finished
			}
			if lastReport[ar.Account] == nil {
				lastReport[ar.Account] = ar
				as.LastRun, as.LastRunOK = &when, ar.Error == ""
				as.Error, as.Permanent, as.Warnings = ar.Error, ar.Permanent, ar.Warnings
			}
			if ar.Error == "" && as.LastSuccess == nil {
				as.LastSuccess = &when
			}
		}
	}
	if lastRun >= 0 {
		lr := st.Runs[lastRun]
		st.LastRun = &lr
	}
	for _, c := range counts {
		as := account(c.Account)
		as.Mailboxes = append(as.Mailboxes, mailboxStatus{Mailbox: c.Mailbox, Messages: c.Messages, Gone: c.Gone})
	}
	now := s.now()
	for _, name := range order {
		as := accts[name]
		if rep := lastReport[name]; rep != nil {
			mergeReport(as, rep)
		}
		if as.Configured {
			as.Stale = as.LastSuccess == nil || now.Sub(*as.LastSuccess) > s.staleAfter
			st.Stale = st.Stale || as.Stale
		}
		st.Accounts = append(st.Accounts, *as)
	}
	return st, nil
}

// mergeReport adds what the account's last run said of each mailbox.
func mergeReport(as *accountStatus, rep *accountReport) {
	idx := map[string]int{}
	for i, m := range as.Mailboxes {
		idx[m.Mailbox] = i
	}
	for _, mr := range rep.Mailboxes {
		i, ok := idx[mr.Mailbox]
		if !ok {
			as.Mailboxes = append(as.Mailboxes, mailboxStatus{Mailbox: mr.Mailbox})
			i = len(as.Mailboxes) - 1
		}
		m := &as.Mailboxes[i]
		onServer, archived := mr.OnServer, mr.Archived
		m.OnServer, m.ArchivedOfServer = &onServer, &archived
		m.New, m.UIDValidityChanged = mr.New, mr.UIDValidityChanged
		m.Failed, m.Skipped = limitFailures(mr.Failed), limitFailures(mr.Skipped)
	}
	sort.SliceStable(as.Mailboxes, func(i, j int) bool { return as.Mailboxes[i].Mailbox < as.Mailboxes[j].Mailbox })
}

func limitFailures(f []failure) []failure {
	if len(f) > 20 {
		return f[:20]
	}
	return f
}

// statusPage is the status view's data.
type statusPage struct {
	page
	*status
	Notice string
	Error  bool // the notice is bad news
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.status(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	data := &statusPage{page: page{Title: "Status", Nav: "status"}, status: st}
	switch r.URL.Query().Get("fetch") {
	case "started":
		data.Notice = "Fetching now. Reload this page to follow it."
	case "running":
		data.Notice = "A fetch is already running."
	case "failed":
		data.Notice, data.Error = "The fetch could not be started; the log says why.", true
	}
	s.render(w, r, http.StatusOK, "status", data)
}

func (s *Server) handleAPIStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.status(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, st)
}

// handleFetchForm is the status page's "Fetch now" button.
func (s *Server) handleFetchForm(w http.ResponseWriter, r *http.Request) {
	if s.runner == nil {
		s.showError(w, r, http.StatusServiceUnavailable, "Fetching is not available",
			"This server does not fetch mail (it was started without a schedule).")
		return
	}
	result := "started"
	if err := s.runner.FetchNow(); errors.Is(err, ErrRunning) {
		result = "running"
	} else if err != nil {
		s.log.Error("fetch now", "err", err, "request_id", requestID(r))
		result = "failed"
	}
	http.Redirect(w, r, "/status?fetch="+result, http.StatusSeeOther)
}

// handleAPIFetch starts a run: 202, 409 while one runs, 503 without a
// Runner.
func (s *Server) handleAPIFetch(w http.ResponseWriter, r *http.Request) {
	if s.runner == nil {
		s.writeJSON(w, r, http.StatusServiceUnavailable, apiError{Error: "this server does not fetch mail", RequestID: requestID(r)})
		return
	}
	switch err := s.runner.FetchNow(); {
	case errors.Is(err, ErrRunning):
		s.writeJSON(w, r, http.StatusConflict, apiError{Error: ErrRunning.Error(), RequestID: requestID(r)})
	case err != nil:
		s.internalError(w, r, err)
	default:
		s.writeJSON(w, r, http.StatusAccepted, map[string]bool{"started": true})
	}
}

// StaleAfterText is StaleAfter for people: "3 days", "12 hours".
func (p *statusPage) StaleAfterText() string {
	d := time.Duration(p.StaleAfter) * time.Second
	if d >= 48*time.Hour {
		return plural(int(d/(24*time.Hour)), "day", "days")
	}
	return plural(int(d.Round(time.Hour)/time.Hour), "hour", "hours")
}
