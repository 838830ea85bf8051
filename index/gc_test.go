package index

import (
	"os"
	"runtime/debug"
	"testing"
)

// gcPercent returns the current GOGC.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestLowerGCPercent(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: lowerGCPercent leaves it")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	r1 := lowerGCPercent()
	r2 := lowerGCPercent()
	if p := gcPercent(); p != bulkGCPercent {
		t.Fatalf("GOGC = %d during a bulk update, want %d", p, bulkGCPercent)
	}
	r1()
	r1() // twice: counts once
	if p := gcPercent(); p != bulkGCPercent {
		t.Fatalf("GOGC = %d while a second bulk update runs, want %d", p, bulkGCPercent)
	}
	r2()
	if p := gcPercent(); p != 100 {
		t.Fatalf("GOGC = %d after, want 100 again", p)
	}
	debug.SetGCPercent(40)
	lowerGCPercent()()
	if p := gcPercent(); p != 40 {
		t.Fatalf("GOGC = %d after a bulk update that found 40, want 40", p)
	}
}

// TestBulkUpdateGCPercent: a bulk build runs with the lower GOGC and
// restores the default after.
func TestBulkUpdateGCPercent(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: lowerGCPercent leaves it")
	}
	if testing.Short() {
		t.Skip("generates 1,000 messages")
	}
	a, _ := genArchive(t, t.TempDir(), bulkMin, "")
	defer a.Close()
	seen := map[int]bool{}
	openTestIndex(t, a, Options{Progress: func(done, total int) {
		if done > 0 {
			seen[gcPercent()] = true
		}
	}})
	if !seen[bulkGCPercent] || seen[100] {
		t.Errorf("GOGC during the build: %v, want only %d", seen, bulkGCPercent)
	}
	if p := gcPercent(); p != 100 {
		t.Errorf("GOGC = %d after the build, want 100", p)
	}
}
