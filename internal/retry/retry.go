// Package retry retries an operation that may fail for a while: a registry
// or chart repository that is down, overloaded or slow.
package retry

import (
	"context"
	"fmt"
	"time"
)

// Do calls f until it succeeds, fails for good (an error transient does
// not accept), the context ends, or it has been tried len(delays)+1 times,
// waiting delays between tries. The last error says how many tries were
// made, or that the context ended.
func Do(ctx context.Context, delays []time.Duration, transient func(error) bool, f func() error) error {
	for try := 0; ; try++ {
		err := f()
		if err == nil || ctx.Err() != nil || !transient(err) {
			return err
		}
		if try == len(delays) {
			return fmt.Errorf("%w (tried %d times)", err, try+1)
		}
		t := time.NewTimer(delays[try])
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (then %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}
