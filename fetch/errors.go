package fetch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"
)

// permanentError marks an error that retrying cannot fix: a wrong
// password, a certificate that does not verify, a server without a
// required capability.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// ErrAuth is wrapped by sources' authentication failures (always
// permanent: a wrong password is not retried).
var ErrAuth = errors.New("authentication failed")

// Backoff says how often and how long to retry temporary failures.
type Backoff struct {
	Attempts int           // total tries, at least 1
	Initial  time.Duration // wait before the second try
	Max      time.Duration // longest wait
	// Sleep waits or returns ctx's error; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultBackoff tries 5 times over about a minute.
func DefaultBackoff() Backoff {
	return Backoff{Attempts: 5, Initial: 2 * time.Second, Max: 30 * time.Second}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Retry calls fn until it succeeds, returns a permanent error, ctx ends,
// or the attempts are used up; then it returns fn's last error. onRetry,
// if not nil, hears of each failure that will be retried.
func (b Backoff) Retry(ctx context.Context, fn func(ctx context.Context) error, onRetry func(attempt int, err error, wait time.Duration)) error {
	sleep := b.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	attempts := max(b.Attempts, 1)
	wait := b.Initial
	var err error
	for i := 1; ; i++ {
		if err = fn(ctx); err == nil || IsPermanent(err) || ctx.Err() != nil || i >= attempts {
			return err
		}
		// Full jitter keeps many clients from retrying in step.
		d := wait/2 + rand.N(wait/2+1)
		if onRetry != nil {
			onRetry(i, err, d)
		}
		if serr := sleep(ctx, d); serr != nil {
			return err
		}
		wait = min(wait*2, b.Max)
	}
}

// IsTemporary reports whether err looks like a network problem worth a
// retry (not a permanent error, not a cancellation).
func IsTemporary(err error) bool {
	if err == nil || IsPermanent(err) || errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed) || errors.Is(err, errConnLost)
}

var errConnLost = errors.New("connection lost")

// ConnLost wraps err to say the connection to the server broke.
func ConnLost(err error) error { return fmt.Errorf("%w: %w", errConnLost, err) }

func joinHostPort(host string, port int) string {
	return net.JoinHostPort(host, fmt.Sprint(port))
}
