package headerscan

import (
	"reflect"
	"testing"
)

func TestFields(t *testing.T) {
	names := []string{"subject", "from", "date"}
	for _, tt := range []struct {
		name, head string
		want       []string // name=value pairs, in order
		any        bool
	}{
		{"plain", "From: a@b\r\nTo: c@d\r\nSubject: hi\r\n", []string{"from=a@b", "subject=hi"}, true},
		{"folded", "Subject: one\r\n  two\r\n\tthree \r\nFrom: a@b", []string{"subject=one two three", "from=a@b"}, true},
		{"first line kept to its end", "Subject: a \r\n b", []string{"subject=a  b"}, true},
		{"value on the next line", "Date:\r\n <HR>", []string{"date=<HR>"}, true},
		{"every occurrence", "subject: 1\nSUBJECT: 2", []string{"subject=1", "subject=2"}, true},
		{"past a malformed line", "X-Bad line\r\nSubject : hi\r\nDATE: x", []string{"subject=hi", "date=x"}, true},
		{"mbox From_ line", "From a@b Mon Jan  2 15:04:05 2006\nSubject: kept", []string{"subject=kept"}, true},
		{"stops at the blank line", "Subject: a\r\n\r\nFrom: body", []string{"subject=a"}, true},
		{"continuation of nothing", " lost\r\nFrom: a", []string{"from=a"}, true},
		{"no field", "just text\r\nmore", nil, false},
		{"empty", "", nil, false},
	} {
		var got []string
		any := Fields([]byte(tt.head), names, func(name string, value []byte) {
			got = append(got, name+"="+string(value))
		})
		if !reflect.DeepEqual(got, tt.want) || any != tt.any {
			t.Errorf("%s: Fields = %q, %v; want %q, %v", tt.name, got, any, tt.want, tt.any)
		}
	}
}
