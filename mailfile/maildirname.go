package mailfile

import (
	"sort"
	"strconv"
	"strings"
)

// Maildir info letters (https://cr.yp.to/proto/maildir.html), in the ASCII
// order they appear in file names.
var infoFlags = []struct {
	letter byte
	flag   string
}{
	{'D', FlagDraft},
	{'F', FlagFlagged},
	{'P', FlagForwarded},
	{'R', FlagAnswered},
	{'S', FlagSeen},
	{'T', FlagDeleted},
}

// splitMaildirName splits a Maildir file name into its unique part (the
// Key) and the info after ":" (or "!2,"/";2,", used where ":" is not allowed
// in file names). info is "" when there is none.
func splitMaildirName(name string) (key, info string) {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[:i], name[i+1:]
	}
	for _, sep := range []string{"!2,", ";2,"} {
		if i := strings.LastIndex(name, sep); i >= 0 {
			return name[:i], name[i+1:]
		}
	}
	return name, ""
}

// parseMaildirName returns the Key of a Maildir file name and the flags in
// its "2,…" info. Lowercase letters are keywords looked up in keywords
// (from dovecot-keywords; may be nil); unknown letters are ignored.
func parseMaildirName(name string, keywords map[byte]string) (key string, flags []string) {
	key, info := splitMaildirName(name)
	if !strings.HasPrefix(info, "2,") {
		return key, nil
	}
	var set flagSet
	for i := 2; i < len(info); i++ {
		c := info[i]
		if c >= 'a' && c <= 'z' {
			if kw, ok := keywords[c]; ok {
				set.add(kw)
			}
			continue
		}
		for _, f := range infoFlags {
			if f.letter == c {
				set.add(f.flag)
			}
		}
	}
	return key, set
}

// maildirInfo returns the "2,…" info for flags. Flags without a Maildir
// letter (keywords other than $Forwarded) are left out.
func maildirInfo(flags []string) string {
	var letters []byte
	for _, fl := range flags {
		if c := infoLetter(fl); c != 0 && !contains(letters, c) {
			letters = append(letters, c)
		}
	}
	sort.Slice(letters, func(i, j int) bool { return letters[i] < letters[j] })
	return "2," + string(letters)
}

func infoLetter(flag string) byte {
	for _, f := range infoFlags {
		if strings.EqualFold(flag, f.flag) {
			return f.letter
		}
	}
	if strings.EqualFold(flag, `\Passed`) || strings.EqualFold(flag, "Forwarded") {
		return 'P'
	}
	return 0
}

func contains(b []byte, c byte) bool {
	return strings.IndexByte(string(b), c) >= 0
}

// parseDovecotKeywords reads a dovecot-keywords file ("0 $Label1" lines:
// index 0 is letter a).
func parseDovecotKeywords(data string) map[byte]string {
	m := map[byte]string{}
	for _, line := range strings.Split(data, "\n") {
		idx, name, ok := strings.Cut(strings.TrimSpace(line), " ")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil {
			continue
		}
		name = strings.TrimSpace(name)
		if n >= 0 && n < 26 && validKeyword(name) {
			m[byte('a'+n)] = name
		}
	}
	return m
}

// maildirppName turns a Maildir++ folder directory name (".Archive.2019")
// into a mailbox name ("Archive/2019"), decoding modified UTF-7 level by
// level; a level that does not decode is kept as it is.
func maildirppName(dir string) string {
	levels := strings.Split(strings.TrimPrefix(dir, "."), ".")
	for i, l := range levels {
		if d, err := decodeMUTF7(l); err == nil {
			levels[i] = d
		}
	}
	return strings.Join(levels, "/")
}

// maildirppDir is the inverse of maildirppName: "a/b" → ".a.b", with each
// level in modified UTF-7 and "." inside a level encoded.
func maildirppDir(mailbox string) string {
	levels := strings.Split(mailbox, "/")
	for i, l := range levels {
		levels[i] = encodeMUTF7(l, ".")
	}
	return "." + strings.Join(levels, ".")
}
