package index

import (
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion is the version of the document layout and analysis below.
// It is stored in the index (internal key "mailkeep.mapping"); an index with
// another version is rebuilt from the archive at Open. Bump it whenever a
// field, its options or the analyzer changes.
const MappingVersion = 4 // 2: refs; 3: segments in internal/zap's format; 4: its doc values in smaller chunks

// Internal keys, stored with SetInternal.
var (
	keyMapping = []byte("mailkeep.mapping")
	keyHWM     = []byte("mailkeep.hwm") // highest catalog change sequence indexed
)

// Fields of a document (one per message, doc id = hex SHA-256).
//
// Documents are built by hand (document.go) and added with IndexAdvanced,
// so the Bleve mapping is not used to index: it only exists because Bleve
// wants one. Each field's options are chosen for what queries need:
//
//	field      kind     indexed  positions  stored  doc values   holds
//	subject    text     yes      yes        yes     -            Subject
//	from       text     yes      yes        -       -            name and address of each From
//	to, cc     text     yes      yes        -       -            same for To, Cc
//	body       text     yes      yes        -       -            message.Text (all text parts, HTML as text)
//	filename   text     yes      yes        -       -            attachment file names
//	sender     keyword  -        -          yes     -            first From, for display
//	preview    keyword  -        -          yes     -            the first 300 characters of body, on one line (snippets)
//	from_addr  keyword  yes      -          -       yes          From addresses, lower case (senders facet)
//	mailbox    keyword  yes      -          -       -            folded "account/mailbox" and bare mailbox
//	loc        keyword  yes      -          yes     yes          "account/mailbox" as is (display, facet)
//	account    keyword  yes      -          -       -            folded account names
//	flag       keyword  yes      -          -       -            seen|unread, flagged, answered, draft, …
//	att        bool     yes      -          yes     -            has an attachment
//	date       datetime yes      -          yes     -            Date header (else arrival): after:, before:
//	ts         keyword  yes      -          -       yes          the same as 10 hex digits of Unix seconds: the sort key
//	year       keyword  yes      -          -       yes          year of date (years facet)
//	month      keyword  yes      -          -       -            "2006-01" of date (date histogram, see sortwindow.go)
//	size       number   yes      -          -       -            raw size in bytes
//	msgid      keyword  yes      -          -       -            Message-ID without <>
//	refs       keyword  yes      -          -       -            Message-IDs of References and In-Reply-To (threads)
//
// Text positions (term vectors) are kept because phrase queries need them,
// but without byte offsets (see textAnalyzer). Only the first 300
// characters of the body are stored (preview), for snippets: a snippet
// around a match further in comes from the archived message (snippet.go).
const (
	fSubject  = "subject"
	fFrom     = "from"
	fTo       = "to"
	fCc       = "cc"
	fBody     = "body"
	fFilename = "filename"
	fSender   = "sender"
	fPreview  = "preview"
	fFromAddr = "from_addr"
	fMailbox  = "mailbox"
	fLoc      = "loc"
	fAccount  = "account"
	fFlag     = "flag"
	fAtt      = "att"
	fDate     = "date"
	fTS       = "ts"
	fYear     = "year"
	fMonth    = "month"
	fSize     = "size"
	fMsgID    = "msgid"
	fRefs     = "refs"
	fID       = "_id"
)

// defaultFields are searched by a word without a field.
var defaultFields = []string{fSubject, fFrom, fTo, fCc, fBody, fFilename}

// storedFields are loaded for each hit.
var storedFields = []string{fDate, fSender, fSubject, fLoc, fAtt, fPreview}

// newMapping returns the mapping Bleve stores with the index. Dynamic
// mapping is off: documents arrive complete through IndexAdvanced.
func newMapping() mapping.IndexMapping {
	m := mapping.NewIndexMapping()
	m.DefaultMapping.Dynamic = false
	m.DefaultMapping.Enabled = false
	m.IndexDynamic = false
	m.StoreDynamic = false
	m.DocValuesDynamic = false
	return m
}
