package zap

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
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

// TestSmallWrites: a segment file is written at most pageCacheWrite bytes
// at a time, and then, read through a mapping, each touch makes at most
// that much resident. A file written whole is the control: when the
// kernel maps more than that per touch of it (large folios, Linux 6.x),
// smallWrites is what keeps a merge's mapped inputs small.
func TestSmallWrites(t *testing.T) {
	var rec chunkRecorder
	data := bytes.Repeat([]byte("0123456789abcdef"), (1<<20)/16+1000)
	if n, err := (smallWrites{&rec}).Write(data); n != len(data) || err != nil {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(data))
	}
	if !bytes.Equal(rec.buf.Bytes(), data) || rec.max > pageCacheWrite {
		t.Fatalf("passed on %d bytes in writes of up to %d, want %d in writes of up to %d", rec.buf.Len(), rec.max, len(data), pageCacheWrite)
	}

	if runtime.GOOS != "linux" {
		t.Skip("resident pages are read from /proc/self/smaps")
	}
	const size, touches = 16 << 20, 16
	perTouch := func(name string, w func(*os.File, []byte) error) int {
		path := filepath.Join(t.TempDir(), name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := w(f, bytes.Repeat([]byte{7}, size)); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if f, err = os.Open(path); err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		mm, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Munmap(mm)
		sum := 0
		for i := range touches {
			sum += int(mm[i*(size/touches)+12345])
		}
		if sum != 7*touches {
			t.Fatal("read the wrong bytes")
		}
		return residentKB(t, path) / touches
	}
	whole := perTouch("whole", func(f *os.File, b []byte) error { _, err := f.Write(b); return err })
	small := perTouch("small", func(f *os.File, b []byte) error { _, err := (smallWrites{f}).Write(b); return err })
	t.Logf("resident per touch: %d kB written whole, %d kB written in %d kB pieces", whole, small, pageCacheWrite>>10)
	if small > pageCacheWrite>>10 {
		t.Errorf("%d kB resident per touch of a file written in %d kB pieces", small, pageCacheWrite>>10)
	}
}

// chunkRecorder keeps what is written to it and the largest write.
type chunkRecorder struct {
	buf bytes.Buffer
	max int
}

func (c *chunkRecorder) Write(p []byte) (int, error) {
	c.max = max(c.max, len(p))
	return c.buf.Write(p)
}
