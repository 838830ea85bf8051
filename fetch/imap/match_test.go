package imap

import "testing"

func TestMatchMailbox(t *testing.T) {
	tests := []struct {
		pattern, name string
		delim         rune
		want          bool
	}{
		{"*", "INBOX", '/', true},
		{"*", "Archive/2019/Q1", '/', true},
		{"INBOX", "INBOX", '/', true},
		{"inbox", "INBOX", '/', true},
		{"Inbox/Sub", "INBOX/Sub", '/', true},
		{"inbox/sub", "INBOX/Sub", '/', false}, // only INBOX is case-insensitive
		{"Archive", "Archive", '/', true},
		{"Archive", "Archive/2019", '/', false}, // a plain name is exact
		{"archive", "Archive", '/', false},
		{"Archive/*", "Archive/2019", '/', true},
		{"Archive/*", "Archive/2019/Q1", '/', true},
		{"Archive/*", "Archive", '/', false},
		{"Archive*", "Archive", '/', true},
		{"Archive*", "Archive/2019", '/', true},
		{"Archive/%", "Archive/2019", '/', true},
		{"Archive/%", "Archive/2019/Q1", '/', false},
		{"%", "INBOX", '/', true},
		{"%", "Archive/2019", '/', false},
		{"Archive/20??", "Archive/2019", '/', true},
		{"Archive?2019", "Archive/2019", '/', false}, // ? is not the delimiter
		{"INBOX.*", "INBOX.Sent", '.', true},
		{"inbox.%", "INBOX.Sent", '.', true},
		{"INBOX.%", "INBOX.Sent.2019", '.', false},
		{"Входящие", "Входящие", '/', true},
		{"Αρχείο/*", "Αρχείο/2019", '/', true},
		{"Αρχεί?", "Αρχείο", '/', true},
		{"*/Spam", "Lists/Spam", '/', true},
		{"*Spam*", "[Gmail]/Spam", '/', true},
		{"[Gmail]/*", "[Gmail]/All Mail", '/', true}, // brackets are literal
		{"a*b*c*d*e", "aXbXcXdX", 0, false},
		{"*", "", '/', true},
	}
	for _, tt := range tests {
		if got := matchMailbox(tt.pattern, tt.name, tt.delim); got != tt.want {
			t.Errorf("matchMailbox(%q, %q, %q) = %v, want %v", tt.pattern, tt.name, tt.delim, got, tt.want)
		}
	}
}

func TestSelected(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude []string
		want             bool
	}{
		{"INBOX", nil, nil, true},
		{"Trash", nil, []string{"Trash"}, false},
		{"Trash/old", nil, []string{"Trash"}, true},
		{"Trash/old", nil, []string{"Trash", "Trash/*"}, false},
		{"Archive/2019", []string{"Archive/*"}, []string{"Archive/2019"}, false}, // exclude wins
		{"Sent", []string{"INBOX"}, nil, false},
	}
	for _, tt := range tests {
		if got := selected(tt.name, '/', tt.include, tt.exclude); got != tt.want {
			t.Errorf("selected(%q, include %q, exclude %q) = %v, want %v", tt.name, tt.include, tt.exclude, got, tt.want)
		}
	}
}
