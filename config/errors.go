package config

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConfig is wrapped by every error that means the configuration is wrong
// (unreadable or invalid file, bad override, unset password_env): callers
// test errors.Is(err, config.ErrConfig) to exit with status 2.
var ErrConfig = errors.New("invalid configuration")

// Error is an invalid configuration: the file could not be read (Err), or it
// has Problems, all of them.
type Error struct {
	// File is the configuration file, or "" when there was none.
	File     string
	Problems []Problem
	// Err is why the file could not be read or parsed, when it could not.
	Err error
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Key is the key's path, like "web.listen" or "account[1].security"
	// (accounts count from 0); "" for problems of the whole file.
	Key string
	// Env is the environment variable the value came from, if it did.
	Env string
	// Line and Column locate a syntax error in the file; 0 otherwise.
	Line, Column int
	// Msg says what is wrong and what is expected.
	Msg string
}

// format formats p as "file:line:col: key (from $ENV): msg", leaving out the
// parts that are empty.
func (p Problem) format(file string) string {
	var b strings.Builder
	if file == "" {
		file = "config"
	}
	b.WriteString(file)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Column)
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		if p.Env != "" {
			fmt.Fprintf(&b, " (from $%s)", p.Env)
		}
		b.WriteString(": ")
	} else if p.Env != "" {
		fmt.Fprintf(&b, "$%s: ", p.Env)
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem, one a line, each naming the file and the key.
func (e *Error) Error() string {
	if e.Err != nil {
		if e.File == "" {
			return "config: " + e.Err.Error()
		}
		return fmt.Sprintf("config %s: %v", e.File, e.Err)
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.format(e.File)
	}
	return strings.Join(lines, "\n")
}

// Is reports that e is an ErrConfig.
func (e *Error) Is(target error) bool { return target == ErrConfig }

// Unwrap returns the error reading the file, so that, for example,
// errors.Is(err, fs.ErrNotExist) tells a missing file.
func (e *Error) Unwrap() error { return e.Err }

// problems collects Problems while decoding or validating one configuration.
type problems struct {
	list []Problem
	from map[string]string // key → environment variable
}

func (ps *problems) add(key, format string, args ...any) {
	ps.list = append(ps.list, Problem{Key: key, Env: ps.from[key], Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems as an *Error, or nil when there are none.
func (ps *problems) err(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	return &Error{File: file, Problems: ps.list}
}
