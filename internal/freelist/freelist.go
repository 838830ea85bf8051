// Package freelist keeps a few values, typically buffers, for reuse by the
// goroutines of a pipeline. Unlike a sync.Pool it keeps them across garbage
// collections: a busy import or fetch would otherwise allocate, and have
// the runtime clear, a new buffer for most messages.
package freelist

// List holds up to its capacity of values. The zero List holds none.
type List[T any] struct{ c chan T }

// New returns a list that keeps up to n values.
func New[T any](n int) List[T] { return List[T]{c: make(chan T, n)} }

// Get takes a kept value, if there is one.
func (l List[T]) Get() (v T, ok bool) {
	select {
	case v = <-l.c:
		return v, true
	default:
		return v, false
	}
}

// Put keeps v, unless the list is full.
func (l List[T]) Put(v T) {
	select {
	case l.c <- v:
	default:
	}
}
