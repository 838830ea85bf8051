package testbin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/mailkeep/mailkeep/archive"
	"github.com/mailkeep/mailkeep/fetch"
)

// fetchEnv makes Main run fetchMain; its settings are in fetchEnv_*.
const fetchEnv = "MAILKEEP_TESTBIN_FETCH"

// Fetcher is the test binary run as a process that only fetches: one
// fetch.Run with the source of the package under test (see Main) into an
// archive, no index, no config. Benchmarks measure it beside the
// mailkeep binary, which indexes too.
type Fetcher struct {
	Addr           string // host:port of the server, no TLS
	User, Password string
	Archive        string // created when missing
	CPUProfile     string // a file for a CPU profile of the run, if not empty
	Debug          bool   // log at level debug to standard error
}

// Command returns the unstarted fetch process, for Measure.
func (f Fetcher) Command() *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fetchEnv+"=1",
		fetchEnv+"_ADDR="+f.Addr, fetchEnv+"_USER="+f.User, fetchEnv+"_PASSWORD="+f.Password,
		fetchEnv+"_ARCHIVE="+f.Archive, fetchEnv+"_CPUPROFILE="+f.CPUProfile, fetchEnv+"_DEBUG="+strconv.FormatBool(f.Debug))
	return cmd
}

// fetchMain is the process a Fetcher describes: it archives and prints
// the run's totals as JSON; it returns the exit code.
func fetchMain(newSource func(fetch.Account) fetch.Source) int {
	if err := fetchRun(newSource); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func fetchRun(newSource func(fetch.Account) fetch.Source) (err error) {
	env := func(k string) string { return os.Getenv(fetchEnv + "_" + k) }
	if newSource == nil {
		return errors.New("testbin: this test binary has no fetch source (testbin.Main with newSource nil)")
	}
	if p := env("CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	arc, err := archive.Open(ctx, env("ARCHIVE"), archive.Options{Create: true})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, arc.Close()) }()
	host, port, err := net.SplitHostPort(env("ADDR"))
	if err != nil {
		return err
	}
	acct := fetch.Account{Name: "bench", Host: host, Security: fetch.None, Username: env("USER"),
		Password: func(context.Context) (string, error) { return env("PASSWORD"), nil }}
	if acct.Port, err = strconv.Atoi(port); err != nil {
		return err
	}
	var opts fetch.Options
	if env("DEBUG") == "true" {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	rep, err := fetch.Run(ctx, arc, []fetch.Source{newSource(acct)}, opts)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep.Totals()); err != nil {
		return err
	}
	if !rep.OK() {
		return errors.New(strings.Join(rep.Details(), "\n"))
	}
	return nil
}
