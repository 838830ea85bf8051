package config

import (
	"encoding"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// decoder fills a Config from the map viper read, strictly: unknown keys and
// values of the wrong type are problems. Environment overrides are applied
// key by key as the struct is walked, so they get the same checks.
type decoder struct {
	lookupEnv func(string) (string, bool)
	problems  problems
	from      map[string]string // key → environment variable that set it
	set       map[string]bool   // keys the file or the environment gave
}

func newDecoder(lookupEnv func(string) (string, bool)) *decoder {
	from := map[string]string{}
	return &decoder{lookupEnv: lookupEnv, problems: problems{from: from}, from: from, set: map[string]bool{}}
}

func (d *decoder) getenv(name string) string {
	v, _ := d.lookupEnv(name)
	return v
}

// envPrefix is the start of every override variable.
const envPrefix = "MAILKEEP_"

func (d *decoder) config(c *Config, raw map[string]any) {
	d.table(reflect.ValueOf(c).Elem(), raw, "", envPrefix)
}

// table decodes m into the struct v. prefix is the table's key path ("" at
// the top, "web", "account[1]"); env is the prefix of its override
// variables, or "" for none.
func (d *decoder) table(v reflect.Value, m map[string]any, prefix, env string) {
	fields := fieldsOf(v.Type())
	d.unknownKeys(m, fields, prefix)
	for _, f := range fields {
		key := joinKey(prefix, f.key)
		fv := v.FieldByIndex(f.index)
		val, inFile := m[f.key]
		envName := env + strings.ToUpper(f.key)
		switch {
		case isTable(f.typ):
			sub, ok := val.(map[string]any)
			if inFile && !ok {
				d.problems.add(key, "expected a table ([%s]), got %s", f.key, describe(val))
			}
			d.table(fv, sub, key, envName+"_")
		case f.typ.Kind() == reflect.Slice && isTable(f.typ.Elem()):
			if inFile {
				d.tables(fv, val, key)
			}
		default:
			if s, ok := d.lookupEnv(envName); ok && s != "" && env != "" && !f.noEnv {
				d.from[key] = envName
				d.set[key] = true
				if val, err := envValue(f, s); err != nil {
					d.problems.add(key, "%v", err)
				} else {
					d.leaf(fv, f, val, key)
				}
				continue
			}
			if inFile {
				d.set[key] = true
				d.leaf(fv, f, val, key)
			}
		}
	}
	for i := range v.NumField() {
		if v.Type().Field(i).Type == secretType {
			d.overrideSecret(v.Field(i).Addr().Interface().(*Secret), prefix)
		}
	}
}

// tables decodes an array of tables ([[account]]) into the slice fv.
func (d *decoder) tables(fv reflect.Value, val any, key string) {
	list, ok := val.([]any)
	if !ok {
		d.problems.add(key, "expected [[%s]] tables, got %s", key, describe(val))
		return
	}
	s := reflect.MakeSlice(fv.Type(), len(list), len(list))
	for i, item := range list {
		k := fmt.Sprintf("%s[%d]", key, i)
		m, ok := item.(map[string]any)
		if !ok {
			d.problems.add(k, "expected a table, got %s", describe(item))
			continue
		}
		env := ""
		if name, ok := m["name"].(string); ok && name != "" {
			env = envPrefix + strings.ToUpper(key) + "_" + EnvName(name) + "_"
		}
		d.table(s.Index(i), m, k, env)
		if a, ok := s.Index(i).Addr().Interface().(*Account); ok {
			a.setDefaults(func(name string) bool { return d.set[joinKey(k, name)] })
		}
	}
	fv.Set(s)
}

// overrideSecret makes the environment's password source replace the
// file's: the three keys are one setting.
func (d *decoder) overrideSecret(s *Secret, prefix string) {
	env := func(k string) bool { _, ok := d.from[joinKey(prefix, k)]; return ok }
	if !env("password") && !env("password_env") && !env("password_command") {
		return
	}
	if !env("password") {
		s.Password = ""
	}
	if !env("password_env") {
		s.Env = ""
	}
	if !env("password_command") {
		s.Command = ""
	}
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	secretType          = reflect.TypeFor[Secret]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// leaf stores the TOML value val in fv.
func (d *decoder) leaf(fv reflect.Value, f field, val any, key string) {
	wrong := func(want string) { d.problems.add(key, "expected %s, got %s", want, describe(val)) }
	switch {
	case reflect.PointerTo(f.typ).Implements(textUnmarshalerType):
		s, ok := val.(string)
		if !ok {
			wrong("a string")
			return
		}
		if err := fv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.problems.add(key, "%v", err)
		}
	case f.typ == durationType:
		s, ok := val.(string)
		if !ok {
			wrong(`a duration string like "72h"`)
			return
		}
		dur, err := parseDuration(s)
		if err != nil {
			d.problems.add(key, "%v", err)
			return
		}
		fv.SetInt(int64(dur))
	case f.size:
		switch x := val.(type) {
		case int64:
			fv.SetInt(x)
		case string:
			n, err := parseSize(x)
			if err != nil {
				d.problems.add(key, "%v", err)
				return
			}
			fv.SetInt(n)
		default:
			wrong(`a size like "100MB"`)
		}
	case f.typ.Kind() == reflect.String:
		s, ok := val.(string)
		if !ok {
			wrong("a string")
			return
		}
		fv.SetString(s)
	case f.typ.Kind() == reflect.Int:
		n, ok := val.(int64)
		if !ok || fv.OverflowInt(n) {
			wrong("an integer")
			return
		}
		fv.SetInt(n)
	case f.typ.Kind() == reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			wrong("true or false")
			return
		}
		fv.SetBool(b)
	case f.typ == reflect.TypeFor[[]string]():
		list, ok := val.([]any)
		if !ok {
			wrong(`an array of strings like ["INBOX"]`)
			return
		}
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, ok := item.(string)
			if !ok {
				wrong("an array of strings")
				return
			}
			out = append(out, s)
		}
		fv.Set(reflect.ValueOf(out))
	default:
		panic(fmt.Sprintf("config: field %s has unsupported type %v", key, f.typ)) // a programming error
	}
}

// envValue turns an override variable's text into the value the file would
// hold: integers and booleans parsed, lists split at commas, the rest
// strings (which leaf parses further).
func envValue(f field, s string) (any, error) {
	switch {
	case reflect.PointerTo(f.typ).Implements(textUnmarshalerType), f.typ == durationType, f.size:
		return s, nil
	case f.typ.Kind() == reflect.Int:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("expected an integer, got %q", s)
		}
		return n, nil
	case f.typ.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("expected true or false, got %q", s)
		}
		return b, nil
	case f.typ.Kind() == reflect.Slice:
		var list []any
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		return list, nil
	}
	return s, nil
}

// unknownKeys reports the keys of m that are not fields, suggesting the key
// probably meant.
func (d *decoder) unknownKeys(m map[string]any, fields []field, prefix string) {
	var known []string
	for _, f := range fields {
		known = append(known, f.key)
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	here := tableName(prefix)
	for _, k := range unknown {
		msg := "unknown key"
		if t, ok := keyTables()[k]; ok && t != here {
			msg += fmt.Sprintf(" in %s: %s is a key of %s", here, k, t)
			if t == "the top level" {
				msg += " (write top-level keys before the first [table])"
			}
		} else if s := closest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		}
		d.problems.add(joinKey(prefix, k), "%s", msg)
	}
}

// field is one key of a table struct.
type field struct {
	key   string
	index []int // for reflect.Value.FieldByIndex
	typ   reflect.Type
	noEnv bool // no environment override (an account's name)
	size  bool // an int64 written as a size, "100MB"
}

// fieldsOf lists the keys of the table struct t from its key tags. An
// untagged struct field (Secret) contributes its keys to t's table.
func fieldsOf(t reflect.Type) []field {
	var fields []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("key")
		if !ok {
			if sf.IsExported() && isTable(sf.Type) {
				for _, f := range fieldsOf(sf.Type) {
					f.index = append([]int{i}, f.index...)
					fields = append(fields, f)
				}
			}
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fields = append(fields, field{
			key:   name,
			index: []int{i},
			typ:   sf.Type,
			noEnv: slices.Contains(strings.Split(opts, ","), "noenv"),
			size:  slices.Contains(strings.Split(opts, ","), "size"),
		})
	}
	return fields
}

// isTable reports whether t is a struct with key-tagged fields.
func isTable(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	for i := range t.NumField() {
		if _, ok := t.Field(i).Tag.Lookup("key"); ok || isTable(t.Field(i).Type) && t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

// keyTables maps every key to the table it belongs in, as a reader would
// call the table: "the top level", "[web]", "[[account]]".
func keyTables() map[string]string {
	m := map[string]string{}
	var walk func(t reflect.Type, name string)
	walk = func(t reflect.Type, name string) {
		for _, f := range fieldsOf(t) {
			switch {
			case isTable(f.typ):
				walk(f.typ, "["+f.key+"]")
			case f.typ.Kind() == reflect.Slice && isTable(f.typ.Elem()):
				walk(f.typ.Elem(), "[["+f.key+"]]")
			}
			if _, dup := m[f.key]; !dup {
				m[f.key] = name
			}
		}
	}
	walk(reflect.TypeFor[Config](), "the top level")
	return m
}

// tableName is how a reader calls the table at key path prefix.
func tableName(prefix string) string {
	switch {
	case prefix == "":
		return "the top level"
	case strings.HasSuffix(prefix, "]"):
		return "[[" + prefix[:strings.IndexByte(prefix, '[')] + "]]"
	}
	return "[" + prefix + "]"
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func accountKey(i int, key string) string { return fmt.Sprintf("account[%d].%s", i, key) }

// EnvName is how an account's name appears in its override variables,
// MAILKEEP_ACCOUNT_<EnvName(name)>_<KEY>: upper case, with every character
// other than A-Z and 0-9 replaced by "_".
func EnvName(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
}

// describe names the TOML type of v, with the value when it is short.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 40 {
			return "a string"
		}
		return fmt.Sprintf("string %q", x)
	case int64:
		return fmt.Sprintf("integer %d", x)
	case float64:
		return fmt.Sprintf("float %v", x)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return "a date-time"
}

// closest returns the candidate nearest to s, if it is a likely typo.
func closest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if len(s) <= bestDist {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
