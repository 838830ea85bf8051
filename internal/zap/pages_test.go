package zap

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// residentKB returns the resident kB of the mappings of path (Linux).
func residentKB(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps")
	}
	kb, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			in = len(f) >= 6 && f[5] == path
		case in && len(f) >= 2 && f[0] == "Rss:":
			n, _ := strconv.Atoi(f[1])
			kb += n
		}
	}
	return kb
}

// TestReleasePages reads a whole segment through its mapping, releases
// its pages and reads it again: nothing stays resident, the bytes are the
// same, and the segment still answers.
func TestReleasePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("resident pages are read from /proc/self/smaps")
	}
	c := newLocCorpus("r", 400, 9, false)
	path := filepath.Join(t.TempDir(), "r.zap")
	s := writeSegment(t, path, c)
	mm := s.(*Segment).mm
	want := bytes.Clone(mm) // touches every page
	if kb := residentKB(t, path); kb < len(mm)/2048 {
		t.Fatalf("%d kB resident after reading %d kB", kb, len(mm)/1024)
	}
	ReleasePages(s)
	if kb := residentKB(t, path); kb != 0 {
		t.Errorf("%d kB still resident after ReleasePages", kb)
	}
	if !bytes.Equal(mm, want) {
		t.Fatal("the segment's bytes changed when its pages were released")
	}
	checkLocs(t, s, c)
}
