package config

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// tableKey is a key and the table it belongs to: "" (the top level),
// "[web]", "[[account]]".
type tableKey struct{ table, name string }

// allKeys lists every key of the Config struct, from its key tags.
func allKeys() []tableKey {
	var keys []tableKey
	var walk func(t reflect.Type, table string)
	walk = func(t reflect.Type, table string) {
		for _, f := range fieldsOf(t) {
			switch {
			case isTable(f.typ):
				walk(f.typ, "["+f.key+"]")
			case f.typ.Kind() == reflect.Slice && isTable(f.typ.Elem()):
				walk(f.typ.Elem(), "[["+f.key+"]]")
			default:
				keys = append(keys, tableKey{table, f.key})
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return keys
}

var (
	headerRE = regexp.MustCompile(`^#?\s*(\[\[?[a-z_]+\]\]?)\s*(#.*)?$`)
	keyRE    = regexp.MustCompile(`^(?:#\s*)*([a-z_]+)\s*=`)
)

// documentedKeys returns the keys of a TOML file, set or commented out
// ("# key = ..."), with their tables.
func documentedKeys(text []byte) map[tableKey]bool {
	keys := map[tableKey]bool{}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := headerRE.FindStringSubmatch(line); m != nil {
			table = m[1]
		} else if m := keyRE.FindStringSubmatch(line); m != nil {
			keys[tableKey{table, m[1]}] = true
		}
	}
	return keys
}

func TestAllKeysFound(t *testing.T) {
	t.Parallel()
	if n := len(allKeys()); n != 25 {
		t.Errorf("allKeys() has %d keys, want 25 (a new key? document it and update this test)", n)
	}
}

func TestExampleDocumentsEveryKey(t *testing.T) {
	t.Parallel()
	for name, text := range map[string][]byte{"config.example.toml": readExample(t), "StarterConfig": StarterConfig()} {
		documented := documentedKeys(text)
		for _, k := range allKeys() {
			if !documented[k] {
				t.Errorf("%s does not document key %q of %s", name, k.name, cmpTable(k.table))
			}
			delete(documented, k)
		}
		for k := range documented {
			t.Errorf("%s documents %q in %s, which is not a key", name, k.name, cmpTable(k.table))
		}
	}
}

func cmpTable(t string) string {
	if t == "" {
		return "the top level"
	}
	return t
}

func readExample(tb testing.TB) []byte {
	tb.Helper()
	text, err := os.ReadFile(filepath.Join("..", "config.example.toml"))
	if err != nil {
		tb.Fatal(err)
	}
	return text
}

func TestExampleValidates(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "config.example.toml")
	c, err := LoadWith(path, Options{LookupEnv: envMap(map[string]string{"HOME": testHome})})
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if len(c.Accounts) != 2 || c.Accounts[1].Delete.Mode != DeleteOlderThan || c.Accounts[0].Exclude == nil {
		t.Errorf("config.example.toml loaded as %v", c)
	}
	// Every key the example sets is used, none is defaulted.
	for _, p := range c.validate() {
		t.Errorf("config.example.toml: %v", p)
	}
}

func TestStarterValidates(t *testing.T) {
	t.Parallel()
	c := mustLoad(t, string(StarterConfig()), nil)
	if len(c.Accounts) != 0 || c.ArchiveDir != "" {
		t.Errorf("StarterConfig loaded as %v, want no accounts and the default archive", c)
	}
	d := Default()
	if c.Web.Listen != d.Web.Listen || c.Schedule != d.Schedule {
		t.Errorf("StarterConfig web %v schedule %+v, want the defaults %v %+v", c.Web, c.Schedule, d.Web, d.Schedule)
	}

	// With its example accounts uncommented it is valid too.
	uncomment := regexp.MustCompile(`(?m)^# (\[\[account\]\]|[a-z_]+ = )`)
	starter := string(StarterConfig())
	i := strings.Index(starter, "# [[account]]")
	text := starter[:i] + uncomment.ReplaceAllString(starter[i:], "$1")
	c = mustLoad(t, text, nil)
	if len(c.Accounts) != 2 {
		t.Fatalf("uncommented StarterConfig has %d accounts, want 2:\n%s", len(c.Accounts), text)
	}

	for _, dir := range []string{"/srv/mail archive", `/odd "quoted" \dir`, "/tab\there"} {
		c := mustLoad(t, string(StarterConfigWith(dir)), nil)
		if c.ArchiveDir != dir {
			t.Errorf("StarterConfigWith(%q) loads archive_dir %q", dir, c.ArchiveDir)
		}
	}
}
