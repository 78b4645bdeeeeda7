package retry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

var errFlaky = errors.New("flaky")

func TestDo(t *testing.T) {
	transient := func(err error) bool { return errors.Is(err, errFlaky) }
	delays := []time.Duration{time.Millisecond, time.Millisecond}
	for _, tc := range []struct {
		name      string
		failures  int   // transient failures before success
		final     error // error after the failures, nil for success
		wantCalls int
		wantErr   string
	}{
		{"first try", 0, nil, 1, ""},
		{"recovers", 2, nil, 3, ""},
		{"gives up", 5, nil, 3, "flaky (tried 3 times)"},
		{"permanent error is not retried", 0, errors.New("no such chart"), 1, "no such chart"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := Do(context.Background(), delays, transient, func() error {
				calls++
				if calls <= tc.failures {
					return errFlaky
				}
				return tc.final
			})
			if calls != tc.wantCalls {
				t.Errorf("%d calls, want %d", calls, tc.wantCalls)
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Run("cancelled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(10*time.Millisecond, cancel)
		err := Do(ctx, []time.Duration{time.Hour}, transient, func() error { return errFlaky })
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("error %v", err)
		}
	})
}
