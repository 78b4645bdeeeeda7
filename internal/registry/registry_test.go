package registry

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

func options() Options {
	return Options{Keychain: authn.NewMultiKeychain(), RetryDelays: []time.Duration{time.Millisecond, time.Millisecond}}
}

func TestExists(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, r *testserver.Registry) string // the image to ask about
		want  bool
		kind  Kind     // when an error is wanted
		err   []string // what the error says; nil: no error
		tries int32    // requests the registry saw, when not 0
	}{
		{name: "present by tag", want: true, setup: func(t *testing.T, r *testserver.Registry) string {
			r.PushRandom(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
			return r.Host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
		}},
		{name: "present by digest", want: true, setup: func(t *testing.T, r *testserver.Registry) string {
			d := r.PushRandom(t, "pangeo/notebook:2025.11.13")
			return r.Host + "/pangeo/notebook@" + d
		}},
		{name: "absent tag", setup: func(t *testing.T, r *testserver.Registry) string {
			r.PushRandom(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
			return r.Host + "/hubs/alpha-notebook:ffffffffffff"
		}},
		{name: "absent repository", setup: func(t *testing.T, r *testserver.Registry) string {
			return r.Host + "/hubs/nothing:0a1b2c3d4e5f"
		}},
		{name: "unauthorized", kind: Auth, err: []string{"refused access", "401", "docker login 127.0.0.1:", "cannot tell"},
			setup: func(t *testing.T, r *testserver.Registry) string {
				r.PushRandom(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
				r.Deny(testserver.Unauthorized)
				return r.Host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
			}},
		{name: "forbidden", kind: Auth, err: []string{"refused access", "403"}, tries: 1,
			setup: func(t *testing.T, r *testserver.Registry) string {
				r.Deny(func(w http.ResponseWriter, req *http.Request) {
					http.Error(w, "forbidden", http.StatusForbidden)
				})
				return r.Host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
			}},
		{name: "registry down", kind: Network, err: []string{"unreachable or failing", "connection refused", "tried 3 times", "cannot tell"},
			setup: func(t *testing.T, r *testserver.Registry) string {
				return testserver.ClosedHost() + "/hubs/alpha-notebook:0a1b2c3d4e5f"
			}},
		{name: "503 then 200", want: true, setup: func(t *testing.T, r *testserver.Registry) string {
			r.PushRandom(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
			r.Fail(http.StatusServiceUnavailable)
			return r.Host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
		}},
		{name: "429 then absent", setup: func(t *testing.T, r *testserver.Registry) string {
			r.Fail(http.StatusTooManyRequests, http.StatusBadGateway)
			return r.Host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
		}},
		{name: "503 every try", kind: Network, err: []string{"503", "tried 3 times"}, tries: 3,
			setup: func(t *testing.T, r *testserver.Registry) string {
				r.PushRandom(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
				r.Fail(503, 503, 503, 503, 503)
				return r.Host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
			}},
		{name: "bad reference", kind: Other, err: []string{"image Not A Ref:"}, setup: func(t *testing.T, r *testserver.Registry) string {
			return "Not A Ref"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testserver.NewRegistry(t)
			image := tc.setup(t, r)
			before := r.Requests()
			got, err := Exists(context.Background(), image, options())
			if got != tc.want {
				t.Errorf("Exists(%s) = %v, want %v (err %v)", image, got, tc.want, err)
			}
			if tc.err == nil {
				if err != nil {
					t.Fatalf("Exists(%s): %v", image, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Exists(%s) error = %v (%T), want *Error", image, err, err)
			}
			if e.Kind != tc.kind {
				t.Errorf("kind = %v, want %v: %v", e.Kind, tc.kind, err)
			}
			for _, s := range tc.err {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error lacks %q: %v", s, err)
				}
			}
			if n := r.Requests() - before; tc.tries != 0 && n != tc.tries {
				t.Errorf("registry saw %d requests, want %d", n, tc.tries)
			}
		})
	}
}

// TestExistsCanceled: a canceled context stops the retries and is an
// error, never "absent".
func TestExistsCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	o := options()
	o.RetryDelays = []time.Duration{time.Hour}
	start := time.Now()
	got, err := Exists(ctx, testserver.ClosedHost()+"/hubs/a:0a1b2c3d4e5f", o)
	var e *Error
	if got || !errors.As(err, &e) || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("Exists = %v, %v; want false and an *Error naming the cancel", got, err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}
