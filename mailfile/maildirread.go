package mailfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaildirOptions tune a MaildirReader.
type MaildirOptions struct {
	// Raw returns the files' bytes as they are instead of applying CRLF.
	Raw bool
}

// MaildirReader reads the messages of a Maildir tree one by one. See the
// package documentation for the layout it understands. An error from Next
// other than io.EOF concerns one message or folder; Next may be called
// again to go on with the next one.
type MaildirReader struct {
	root      string
	opts      MaildirOptions
	mailboxes []maildirBox
	box       int // index of the mailbox being read; -1 before the first
	files     []maildirFile
	kw        map[byte]string
	cur       *msgFile
	crlf      crlfReader
}

type maildirBox struct {
	name string // mailbox name
	dir  string // directory holding cur/ and new/
}

type maildirFile struct {
	sub  string // "cur" or "new"
	name string
}

// OpenMaildir finds the mailboxes of the Maildir tree at root. It fails
// when root holds no maildir at all. Close the reader when done.
func OpenMaildir(root string, opts ...MaildirOptions) (*MaildirReader, error) {
	r := &MaildirReader{root: root, box: -1}
	if len(opts) > 0 {
		r.opts = opts[0]
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("open maildir: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("open maildir %s: not a directory", root)
	}
	if err := r.scan(root, ""); err != nil {
		return nil, fmt.Errorf("open maildir: %w", err)
	}
	if len(r.mailboxes) == 0 {
		return nil, fmt.Errorf("open maildir %s: no cur/ or new/ directory found", root)
	}
	sort.Slice(r.mailboxes, func(i, j int) bool {
		a, b := r.mailboxes[i].name, r.mailboxes[j].name
		if (a == "INBOX") != (b == "INBOX") {
			return a == "INBOX"
		}
		return a < b
	})
	return r, nil
}

// isMaildir reports whether dir has a cur/ or new/ subdirectory.
func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if st, err := os.Stat(filepath.Join(dir, sub)); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}

// scan adds dir's mailbox (named prefix, or INBOX at the root) and walks
// its subdirectories: Maildir++ folders of a maildir, and nested maildirs.
func (r *MaildirReader) scan(dir, prefix string) error {
	md := isMaildir(dir)
	if md {
		name := strings.TrimSuffix(prefix, "/")
		if name == "" {
			name = "INBOX"
		}
		r.mailboxes = append(r.mailboxes, maildirBox{name: name, dir: dir})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == "cur" || name == "new" || name == "tmp" {
			continue
		}
		sub := filepath.Join(dir, name)
		if strings.HasPrefix(name, ".") {
			if name != ".." && len(name) > 1 && isMaildir(sub) {
				r.mailboxes = append(r.mailboxes, maildirBox{name: prefix + maildirppName(name), dir: sub})
			}
			continue
		}
		if err := r.scan(sub, prefix+name+"/"); err != nil {
			return err
		}
	}
	return nil
}

// Mailboxes returns the names of the mailboxes found, in reading order.
func (r *MaildirReader) Mailboxes() []string {
	names := make([]string, len(r.mailboxes))
	for i, b := range r.mailboxes {
		names[i] = b.name
	}
	return names
}

// Close closes the file of the last message returned.
func (r *MaildirReader) Close() error {
	if r.cur == nil {
		return nil
	}
	err := r.cur.Close()
	r.cur = nil
	return err
}

// Next returns the next message, or io.EOF after the last one. The previous
// message's Body is invalid from then on.
func (r *MaildirReader) Next() (*Message, error) {
	if err := r.Close(); err != nil {
		return nil, fmt.Errorf("close message: %w", err)
	}
	for {
		for len(r.files) == 0 {
			if r.box+1 >= len(r.mailboxes) {
				return nil, io.EOF
			}
			r.box++
			if err := r.list(); err != nil {
				return nil, err
			}
		}
		f := r.files[0]
		r.files = r.files[1:]
		box := r.mailboxes[r.box]
		file, err := openMsgFile(filepath.Join(box.dir, f.sub, f.name))
		if errors.Is(err, fs.ErrNotExist) {
			// A mail client renamed it (flags changed, or moved from new/
			// to cur/) after the listing: look for it by its key.
			f, file, err = r.reopen(box, f)
			if file == nil && err == nil {
				continue // deleted meanwhile
			}
		}
		if err != nil {
			return nil, fmt.Errorf("read maildir message: %w", err)
		}
		if !file.regular {
			file.Close()
			continue
		}
		key, flags := parseMaildirName(f.name, r.kw)
		if f.sub == "new" {
			flags = without(flags, FlagSeen)
		}
		r.cur = file
		msg := &Message{Mailbox: box.name, Key: key, Flags: flags, Date: file.mtime, Size: file.size}
		if r.opts.Raw {
			msg.Body = file
		} else {
			r.crlf.reset(file)
			msg.Body = &r.crlf
		}
		return msg, nil
	}
}

// list reads the file names of the current mailbox and its keywords.
func (r *MaildirReader) list() error {
	box := r.mailboxes[r.box]
	r.files = r.files[:0]
	r.kw = nil
	if data, err := os.ReadFile(filepath.Join(box.dir, "dovecot-keywords")); err == nil {
		r.kw = parseDovecotKeywords(string(data))
	}
	for _, sub := range []string{"cur", "new"} {
		names, err := readNames(filepath.Join(box.dir, sub))
		if err != nil {
			return fmt.Errorf("list maildir %s: %w", box.name, err)
		}
		for _, n := range names {
			r.files = append(r.files, maildirFile{sub: sub, name: n})
		}
	}
	sort.SliceStable(r.files, func(i, j int) bool { return r.files[i].name < r.files[j].name })
	return nil
}

// readNames lists the message file names in dir (none if dir is missing).
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	return out, nil
}

// reopen finds a message that was renamed after listing by its key.
func (r *MaildirReader) reopen(box maildirBox, f maildirFile) (maildirFile, *msgFile, error) {
	key, _ := splitMaildirName(f.name)
	for _, sub := range []string{"cur", "new"} {
		names, err := readNames(filepath.Join(box.dir, sub))
		if err != nil {
			return f, nil, err
		}
		for _, n := range names {
			if k, _ := splitMaildirName(n); k == key {
				file, err := openMsgFile(filepath.Join(box.dir, sub, n))
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				return maildirFile{sub: sub, name: n}, file, err
			}
		}
	}
	return f, nil, nil
}

func without(flags []string, flag string) []string {
	out := flags[:0]
	for _, f := range flags {
		if f != flag {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
