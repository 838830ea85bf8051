package archive

import (
	"encoding/hex"
	"fmt"
)

// ID identifies a message: the SHA-256 of its raw bytes.
type ID [32]byte

// ParseID parses 64 lowercase or uppercase hex digits.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("invalid message id %q: want 64 hex digits", truncate(s, 80))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("invalid message id %q: want 64 hex digits", truncate(s, 80))
	}
	return id, nil
}

// String returns the lowercase hex form.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 12 hex digits, for logs and tables.
func (id ID) Short() string { return id.String()[:12] }

// IsZero reports whether id is the zero value.
func (id ID) IsZero() bool { return id == ID{} }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
