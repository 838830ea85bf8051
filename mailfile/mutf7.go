package mailfile

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Modified UTF-7 (RFC 3501, section 5.1.3) is how IMAP servers, Courier and
// Dovecot write non-ASCII mailbox names, also as Maildir++ folder names.

var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

var errMUTF7 = errors.New("invalid modified UTF-7")

// decodeMUTF7 decodes a modified UTF-7 name. Bytes outside "&…-" sections
// are copied as they are, so a name already in UTF-8 without "&" passes.
func decodeMUTF7(s string) (string, error) {
	if !strings.Contains(s, "&") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		j := strings.IndexByte(s[i+1:], '-')
		if j < 0 {
			return "", errMUTF7
		}
		enc := s[i+1 : i+1+j]
		i += j + 1
		if enc == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := mutf7.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 || len(raw) == 0 {
			return "", errMUTF7
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		for _, r := range utf16.Decode(units) {
			if r == utf8.RuneError {
				return "", errMUTF7
			}
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}

// encodeMUTF7 encodes s in modified UTF-7. Besides non-ASCII and control
// characters it encodes the bytes in extra (such as "." for Maildir++).
func encodeMUTF7(s string, extra string) string {
	var (
		b   strings.Builder
		run []rune
	)
	flush := func() {
		if len(run) == 0 {
			return
		}
		units := utf16.Encode(run)
		raw := make([]byte, 2*len(units))
		for k, u := range units {
			raw[2*k], raw[2*k+1] = byte(u>>8), byte(u)
		}
		b.WriteByte('&')
		b.WriteString(mutf7.EncodeToString(raw))
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		switch {
		case r == '&':
			flush()
			b.WriteString("&-")
		case r >= 0x20 && r < 0x7f && !strings.ContainsRune(extra, r):
			flush()
			b.WriteRune(r)
		default:
			run = append(run, r)
		}
	}
	flush()
	return b.String()
}
