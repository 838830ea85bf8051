package config

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/viper"
)

// Options changes how LoadWith loads a configuration.
type Options struct {
	// LookupEnv looks up environment variables: overrides, password_env and
	// $HOME for "~". Nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Optional makes a missing file not an error: LoadWith then returns the
	// defaults with environment overrides applied, and Path "". For commands
	// that need no accounts, such as search with --archive.
	Optional bool
	// CommandStderr receives the standard error of password commands; nil
	// discards it. (Their standard output is the password and never shown.)
	CommandStderr io.Writer
}

// Load reads, overrides from the process environment and validates the
// configuration file at path. See LoadWith.
func Load(path string) (*Config, error) {
	return LoadWith(path, Options{})
}

// LoadWith reads the TOML file at path, applies environment overrides (see
// the package documentation), fills in defaults and validates the result.
// Every problem is reported at once in an *Error, which wraps ErrConfig; a
// missing file also matches fs.ErrNotExist, unless o.Optional, in which case
// it is no error and the result has Path "".
func LoadWith(path string, o Options) (*Config, error) {
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && o.Optional {
		path, data, err = "", nil, nil
	}
	if err != nil {
		return nil, &Error{File: path, Err: err}
	}
	raw, p, ok := parse(data)
	if !ok {
		return nil, &Error{File: path, Problems: []Problem{p}}
	}

	c := Default()
	c.Path = path
	d := newDecoder(o.LookupEnv)
	d.config(c, raw)
	d.resolvePaths(c, path)
	for _, s := range c.secrets() {
		s.lookupEnv, s.stderr = o.LookupEnv, o.CommandStderr
	}
	c.from = d.from

	// Report the decoding problems, then those validation finds in keys
	// that decoded cleanly (a host of the wrong type is not also missing).
	ps := d.problems
	seen := map[string]bool{}
	for _, p := range ps.list {
		seen[p.Key] = true
	}
	for _, p := range c.validate() {
		if !seen[p.Key] {
			ps.list = append(ps.list, p)
		}
	}
	slices.SortStableFunc(ps.list, func(a, b Problem) int { return cmp.Compare(keyRank(a.Key), keyRank(b.Key)) })
	if err := ps.err(path); err != nil {
		return nil, err
	}
	return c, nil
}

// parse reads TOML data into a map with viper, which lower-cases the keys.
// A syntax error is returned as a Problem with its position.
func parse(data []byte) (map[string]any, Problem, bool) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // viper's "While parsing config: "
		}
		p := Problem{Msg: "syntax error: " + strings.TrimPrefix(err.Error(), "toml: ")}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			p.Line, p.Column = de.Position()
		}
		return nil, p, false
	}
	return v.AllSettings(), Problem{}, true
}

// resolvePaths expands "~" in archive_dir and tls_ca_file and makes them
// absolute: relative to the file's directory when they came from the file,
// to the working directory when they came from the environment.
func (d *decoder) resolvePaths(c *Config, file string) {
	home := homeDir(d.getenv)
	dir := filepath.Dir(file)
	resolve := func(key string, p *string) {
		if *p == "" {
			return
		}
		if len(*p) > 0 && (*p)[0] == '~' && home == "" {
			d.problems.add(key, "cannot expand ~: $HOME is not set")
			return
		}
		*p = expandHome(*p, home)
		if !filepath.IsAbs(*p) {
			if _, env := d.from[key]; !env && file != "" {
				*p = filepath.Join(dir, *p)
			}
			if abs, err := filepath.Abs(*p); err == nil {
				*p = abs
			}
		}
	}
	resolve("archive_dir", &c.ArchiveDir)
	for i := range c.Accounts {
		resolve(accountKey(i, "tls_ca_file"), &c.Accounts[i].TLSCAFile)
	}
}

// secrets returns pointers to every Secret in c.
func (c *Config) secrets() []*Secret {
	s := []*Secret{&c.Web.Secret}
	for i := range c.Accounts {
		s = append(s, &c.Accounts[i].Secret)
	}
	return s
}

// keyRank orders problems as the file is laid out: the whole file, the
// top-level keys, [web], [schedule], then each account in turn.
func keyRank(key string) int {
	section, _, _ := strings.Cut(key, ".")
	switch {
	case key == "":
		return 0
	case section == "web":
		return 2
	case section == "schedule":
		return 3
	case strings.HasPrefix(section, "account["):
		i, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(section, "account["), "]"))
		return 4 + i
	}
	return 1
}
