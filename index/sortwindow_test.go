package index

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestDateSortWindow checks that sorting by date through a window gives
// exactly what sorting every match gives.
func TestDateSortWindow(t *testing.T) {
	a := newTestArchive(t)
	var mails []testMail
	for i := range 300 {
		// Dates over 25 months, denser in some; "even" in half of them.
		d := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i*i%760) * 24 * time.Hour).Add(time.Duration(i) * time.Minute)
		body := fmt.Sprintf("common word%d", i)
		if i%2 == 0 {
			body += " even"
		}
		if i%37 == 0 {
			body += " rare"
		}
		// A phrase in a third, its words the other way round in
		// another third: the words' postings bound it at twice its
		// count, and the window search, sized by that bound, must widen.
		switch i % 3 {
		case 0:
			body += " big cat"
		case 1:
			body += " cat big"
		}
		mails = append(mails, testMail{raw: mail("x@example.com", "y@example.com", fmt.Sprint("m", i), d.Format(time.RFC1123Z), body)})
	}
	addMails(t, a, mails...)
	x := openTestIndex(t, a, Options{})
	ctx := context.Background()
	for _, q := range []string{"", "common", "even", "rare", "-even", "even OR rare", `"big cat"`, `"big cat" even`, `"cat big" OR rare`} {
		for _, sortBy := range []string{"-date", "date"} {
			for _, page := range [][2]int{{20, 0}, {5, 0}, {20, 40}, {50, 100}, {20, 290}} {
				req := Request{Query: q, Sort: sortBy, Limit: page[0], Offset: page[1]}
				directSortMax = 1 << 30
				want, err := x.Search(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				directSortMax = 10
				got, err := x.Search(ctx, req)
				directSortMax = 2000
				if err != nil {
					t.Fatal(err)
				}
				if got.Total != want.Total || len(got.Hits) != len(want.Hits) {
					t.Fatalf("%+v: windowed %d hits of %d, direct %d of %d", req, len(got.Hits), got.Total, len(want.Hits), want.Total)
				}
				for i := range got.Hits {
					if !got.Hits[i].Date.Equal(want.Hits[i].Date) {
						t.Fatalf("%+v: hit %d windowed %v %s, direct %v %s", req, i, got.Hits[i].Date, got.Hits[i].Subject, want.Hits[i].Date, want.Hits[i].Subject)
					}
				}
			}
		}
	}
}
