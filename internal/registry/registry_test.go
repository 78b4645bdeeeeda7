package registry

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// testRegistry is an in-process registry on loopback. fail holds the
// statuses of the next requests, answered instead of the registry; deny,
// when set, answers every request.
type testRegistry struct {
	host     string
	requests atomic.Int32
	mu       sync.Mutex
	fail     []int
	deny     http.HandlerFunc
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		r.mu.Lock()
		deny := r.deny
		if deny == nil && len(r.fail) > 0 {
			code := r.fail[0]
			r.fail = r.fail[1:]
			r.mu.Unlock()
			http.Error(w, http.StatusText(code), code)
			return
		}
		r.mu.Unlock()
		if deny != nil {
			deny(w, req)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// push pushes a random image as host/repoTag and returns its digest.
func (r *testRegistry) push(t *testing.T, repoTag string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func options() Options {
	return Options{Keychain: authn.NewMultiKeychain(), RetryDelays: []time.Duration{time.Millisecond, time.Millisecond}}
}

// closedHost is the host of a server that was closed: connection refused.
func closedHost() string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestExists(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, r *testRegistry) string // the image to ask about
		want  bool
		kind  Kind     // when an error is wanted
		err   []string // what the error says; nil: no error
		tries int32    // requests the registry saw, when not 0
	}{
		{name: "present by tag", want: true, setup: func(t *testing.T, r *testRegistry) string {
			r.push(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
			return r.host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
		}},
		{name: "present by digest", want: true, setup: func(t *testing.T, r *testRegistry) string {
			d := r.push(t, "pangeo/notebook:2025.11.13")
			return r.host + "/pangeo/notebook@" + d
		}},
		{name: "absent tag", setup: func(t *testing.T, r *testRegistry) string {
			r.push(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
			return r.host + "/hubs/alpha-notebook:ffffffffffff"
		}},
		{name: "absent repository", setup: func(t *testing.T, r *testRegistry) string {
			return r.host + "/hubs/nothing:0a1b2c3d4e5f"
		}},
		{name: "unauthorized", kind: Auth, err: []string{"refused access", "401", "docker login 127.0.0.1:", "cannot tell"},
			setup: func(t *testing.T, r *testRegistry) string {
				r.push(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
				r.deny = func(w http.ResponseWriter, req *http.Request) {
					w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
					http.Error(w, "unauthorized", http.StatusUnauthorized)
				}
				return r.host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
			}},
		{name: "forbidden", kind: Auth, err: []string{"refused access", "403"}, tries: 1,
			setup: func(t *testing.T, r *testRegistry) string {
				r.deny = func(w http.ResponseWriter, req *http.Request) {
					http.Error(w, "forbidden", http.StatusForbidden)
				}
				return r.host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
			}},
		{name: "registry down", kind: Network, err: []string{"unreachable or failing", "connection refused", "tried 3 times", "cannot tell"},
			setup: func(t *testing.T, r *testRegistry) string {
				return closedHost() + "/hubs/alpha-notebook:0a1b2c3d4e5f"
			}},
		{name: "503 then 200", want: true, setup: func(t *testing.T, r *testRegistry) string {
			r.push(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
			r.fail = []int{http.StatusServiceUnavailable}
			return r.host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
		}},
		{name: "429 then absent", setup: func(t *testing.T, r *testRegistry) string {
			r.fail = []int{http.StatusTooManyRequests, http.StatusBadGateway}
			return r.host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
		}},
		{name: "503 every try", kind: Network, err: []string{"503", "tried 3 times"}, tries: 3,
			setup: func(t *testing.T, r *testRegistry) string {
				r.push(t, "hubs/alpha-notebook:0a1b2c3d4e5f")
				r.fail = []int{503, 503, 503, 503, 503}
				return r.host + "/hubs/alpha-notebook:0a1b2c3d4e5f"
			}},
		{name: "bad reference", kind: Other, err: []string{"image Not A Ref:"}, setup: func(t *testing.T, r *testRegistry) string {
			return "Not A Ref"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRegistry(t)
			image := tc.setup(t, r)
			r.requests.Store(0)
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
			if tc.tries != 0 && r.requests.Load() != tc.tries {
				t.Errorf("registry saw %d requests, want %d", r.requests.Load(), tc.tries)
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
	got, err := Exists(ctx, closedHost()+"/hubs/a:0a1b2c3d4e5f", o)
	var e *Error
	if got || !errors.As(err, &e) || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("Exists = %v, %v; want false and an *Error naming the cancel", got, err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}
