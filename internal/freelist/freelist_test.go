package freelist

import "testing"

func TestList(t *testing.T) {
	l := New[int](2)
	if _, ok := l.Get(); ok {
		t.Fatal("Get from an empty list reported a value")
	}
	l.Put(1)
	l.Put(2)
	l.Put(3) // full: dropped
	var got []int
	for {
		v, ok := l.Get()
		if !ok {
			break
		}
		got = append(got, v)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("got %v, want [1 2]", got)
	}
	var zero List[int]
	zero.Put(1)
	if _, ok := zero.Get(); ok {
		t.Fatal("the zero List kept a value")
	}
}
