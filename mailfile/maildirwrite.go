package mailfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Test seams for the durability steps.
var (
	syncFile = (*os.File).Sync
	syncDir  = fsyncDir
)

// MaildirWriter writes messages into a Maildir++ tree. It is not safe for
// concurrent use.
type MaildirWriter struct {
	root  string
	host  string
	pid   int
	n     uint64
	now   func() time.Time // overridden by tests
	ready map[string]bool  // mailbox directories known to exist
}

// NewMaildirWriter returns a writer for the Maildir++ tree at root, which
// is created when missing.
func NewMaildirWriter(root string) *MaildirWriter {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	host = strings.NewReplacer("/", `\057`, ":", `\072`, "!", `\041`, ";", `\073`).Replace(host)
	return &MaildirWriter{root: root, host: host, pid: os.Getpid(), now: time.Now, ready: map[string]bool{}}
}

// Write stores one message in mailbox ("INBOX" or "" for the root; "a/b"
// goes to root/.a.b) with the flags that Maildir can express, and the
// given date as the file's modification time (unless zero). It returns the
// new file's path. The message is durable when Write returns: written to
// tmp/, fsync'd, renamed into cur/, and cur/ fsync'd.
func (w *MaildirWriter) Write(mailbox string, flags []string, date time.Time, body io.Reader) (path string, err error) {
	dir, err := w.mailboxDir(mailbox)
	if err != nil {
		return "", err
	}
	if err := w.prepare(dir); err != nil {
		return "", err
	}
	name := w.uniqueName()
	tmp := filepath.Join(dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create message file: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if _, err := io.Copy(f, body); err != nil {
		return "", errors.Join(fmt.Errorf("write message file: %w", err), f.Close())
	}
	if err := syncFile(f); err != nil {
		return "", errors.Join(fmt.Errorf("fsync message file: %w", err), f.Close())
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close message file: %w", err)
	}
	if !date.IsZero() {
		if err := os.Chtimes(tmp, date, date); err != nil {
			return "", fmt.Errorf("set message time: %w", err)
		}
	}
	path = filepath.Join(dir, "cur", name+":"+maildirInfo(flags))
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("deliver message: %s exists", path)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("deliver message: %w", err)
	}
	if err := syncDir(filepath.Join(dir, "cur")); err != nil {
		return path, fmt.Errorf("fsync maildir: %w", err)
	}
	return path, nil
}

// mailboxDir returns the directory of a mailbox.
func (w *MaildirWriter) mailboxDir(mailbox string) (string, error) {
	if mailbox == "" || strings.EqualFold(mailbox, "INBOX") {
		return w.root, nil
	}
	for _, l := range strings.Split(mailbox, "/") {
		if l == "" {
			return "", fmt.Errorf("maildir mailbox %q: empty hierarchy level", mailbox)
		}
	}
	return filepath.Join(w.root, maildirppDir(mailbox)), nil
}

// prepare creates dir's cur/, new/ and tmp/ (and, for a Maildir++ folder,
// its maildirfolder marker) the first time, durably.
func (w *MaildirWriter) prepare(dir string) error {
	if w.ready[dir] {
		return nil
	}
	if dir != w.root {
		if err := w.prepare(w.root); err != nil {
			return err
		}
	}
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("create maildir: %w", err)
		}
	}
	if dir != w.root {
		marker := filepath.Join(dir, "maildirfolder")
		f, err := os.OpenFile(marker, os.O_WRONLY|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("create maildir: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("create maildir: %w", err)
		}
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("fsync maildir: %w", err)
		}
	}
	w.ready[dir] = true
	return nil
}

// uniqueName returns a new Maildir file name in Dovecot's style:
// <seconds>.M<microseconds>P<pid>Q<n>.<host>.
func (w *MaildirWriter) uniqueName() string {
	t := w.now()
	w.n++
	return strconv.FormatInt(t.Unix(), 10) + ".M" + strconv.Itoa(t.Nanosecond()/1000) +
		"P" + strconv.Itoa(w.pid) + "Q" + strconv.FormatUint(w.n, 10) + "." + w.host
}

// fsyncDir makes a directory's entries durable.
func fsyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
