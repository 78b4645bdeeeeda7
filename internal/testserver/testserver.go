// Package testserver holds the servers tests start in their own process,
// on loopback, stopped when the test ends: an OCI registry
// (go-containerregistry's pkg/registry) for images, the same registry
// holding Helm charts as OCI artifacts, and a Helm chart repository
// (index.yaml and packages over http). Every test that needs a registry or
// a chart repository takes it from here.
package testserver

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"sigs.k8s.io/yaml"
)

// Registry is an OCI registry on loopback. Fail and Deny make it answer
// errors instead, for the tests of retries and refusals.
type Registry struct {
	// Host is 127.0.0.1:<port>.
	Host string

	srv      *httptest.Server
	requests atomic.Int32
	mu       sync.Mutex
	fail     []int
	deny     http.HandlerFunc
}

// NewRegistry starts a registry, stopped when the test ends.
func NewRegistry(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
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
	t.Cleanup(r.srv.Close)
	r.Host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

// Fail makes the next len(codes) requests answer these HTTP statuses.
func (r *Registry) Fail(codes ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = append(r.fail, codes...)
}

// Deny makes h answer every request instead of the registry (nil: the
// registry answers again).
func (r *Registry) Deny(h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deny = h
}

// Unauthorized answers 401 with a Basic challenge, as a registry that
// refuses anonymous access does (for Deny).
func Unauthorized(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

// Requests is how many requests the registry saw, failed ones included.
func (r *Registry) Requests() int32 { return r.requests.Load() }

// Close stops the registry; later requests are refused.
func (r *Registry) Close() { r.srv.Close() }

// PushRandom pushes a random image as <Host>/<repoTag> (such as
// hubs/alpha-notebook:0a1b2c3d4e5f) and returns its digest.
func (r *Registry) PushRandom(t testing.TB, repoTag string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.Host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatalf("testserver: push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// ClosedHost is the host of a server that was closed: connecting to it is
// refused, as to a registry that is down.
func ClosedHost() string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return strings.TrimPrefix(srv.URL, "http://")
}

// Media types of a Helm chart in an OCI registry.
const (
	HelmConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	HelmChartMediaType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// Chart is a packaged chart.
type Chart struct {
	Name    string
	Version string
	// Data is the .tgz.
	Data []byte
	// Digest is "sha256:<hex>" of Data.
	Digest string
}

// File is the package's file name, <name>-<version>.tgz.
func (p Chart) File() string { return p.Name + "-" + p.Version + ".tgz" }

// Epoch is the time a chart repository's index gives its packages (and
// chartstest the files of the packages it builds), so that the same charts
// are always served the same bytes.
var Epoch = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// ChartRepo is an https-like Helm chart repository served over plain http on
// loopback: <URL>/index.yaml lists its packages, served at
// <URL>/charts/<name>-<version>.tgz (relative URLs in the index, unless
// AbsoluteURLs).
type ChartRepo struct {
	// URL is the repository URL, without trailing slash, for example
	// http://127.0.0.1:40000/helm-chart.
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	pkgs     map[string]Chart // by file name
	fail     []int
	requests []string
	absolute bool
}

// NewChartRepo serves pkgs from a new chart repository, stopped when the
// test ends.
func NewChartRepo(t testing.TB, pkgs ...Chart) *ChartRepo {
	t.Helper()
	r := &ChartRepo{pkgs: map[string]Chart{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.URL = r.srv.URL + "/helm-chart"
	r.Add(pkgs...)
	return r
}

// Add serves more packages.
func (r *ChartRepo) Add(pkgs ...Chart) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range pkgs {
		r.pkgs[p.File()] = p
	}
}

// Fail makes the next len(codes) requests answer these HTTP statuses, a 0
// letting a request through.
func (r *ChartRepo) Fail(codes ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = append(r.fail, codes...)
}

// AbsoluteURLs makes the index list absolute package URLs.
func (r *ChartRepo) AbsoluteURLs(abs bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.absolute = abs
}

// Requests are the paths requested so far, failed ones included.
func (r *ChartRepo) Requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// Close stops the server; later requests are refused.
func (r *ChartRepo) Close() { r.srv.Close() }

// Index is the repository's index.yaml.
func (r *ChartRepo) Index() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.index()
}

type indexVersion struct {
	APIVersion string    `json:"apiVersion"`
	Name       string    `json:"name"`
	Version    string    `json:"version"`
	Created    time.Time `json:"created"`
	Digest     string    `json:"digest"`
	URLs       []string  `json:"urls"`
}

// index is index.yaml as `helm repo index` writes it; r.mu is held.
func (r *ChartRepo) index() []byte {
	entries := map[string][]indexVersion{}
	created := Epoch
	files := make([]string, 0, len(r.pkgs))
	for f := range r.pkgs {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		p := r.pkgs[f]
		u := "charts/" + f
		if r.absolute {
			u = r.URL + "/" + u
		}
		entries[p.Name] = append(entries[p.Name], indexVersion{
			APIVersion: "v2", Name: p.Name, Version: p.Version, Created: created,
			Digest: strings.TrimPrefix(p.Digest, "sha256:"), URLs: []string{u},
		})
	}
	b, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "entries": entries, "generated": created})
	if err != nil {
		panic(err)
	}
	return b
}

func (r *ChartRepo) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, req.URL.Path)
	if len(r.fail) > 0 {
		code := r.fail[0]
		r.fail = r.fail[1:]
		if code != 0 {
			http.Error(w, http.StatusText(code), code)
			return
		}
	}
	switch p := strings.TrimPrefix(req.URL.Path, "/helm-chart/"); {
	case p == "index.yaml":
		w.Header().Set("Content-Type", "application/x-yaml")
		w.Write(r.index())
	case strings.HasPrefix(p, "charts/"):
		pkg, ok := r.pkgs[strings.TrimPrefix(p, "charts/")]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(pkg.Data)
	default:
		http.NotFound(w, req)
	}
}

// ChartRegistry is an OCI registry (a Registry) holding Helm chart
// artifacts as oci://<Host>/charts/<name>:<version>.
type ChartRegistry struct {
	*Registry
	// Repository is the chart repository, oci://<Host>/charts, as a
	// Chart.yaml dependency or charts.Ref names it.
	Repository string
}

// NewChartRegistry starts a registry, stopped when the test ends, and
// pushes pkgs.
func NewChartRegistry(t testing.TB, pkgs ...Chart) *ChartRegistry {
	t.Helper()
	reg := NewRegistry(t)
	r := &ChartRegistry{Registry: reg, Repository: "oci://" + reg.Host + "/charts"}
	r.Push(t, pkgs...)
	return r
}

// Ref is the full reference of a package, oci://<Host>/charts/<name>:<version>.
func (r *ChartRegistry) Ref(p Chart) string {
	return r.Repository + "/" + p.Name + ":" + strings.ReplaceAll(p.Version, "+", "_")
}

// rawManifest is a manifest pushed as it is.
type rawManifest []byte

// RawManifest is the manifest.
func (m rawManifest) RawManifest() ([]byte, error) { return m, nil }

// MediaType is an OCI manifest's.
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// Push pushes pkgs as Helm chart artifacts, as `helm push` does: an OCI
// manifest whose config (HelmConfigMediaType) is the chart's metadata and
// whose one layer (HelmChartMediaType) is the .tgz.
func (r *Registry) Push(t testing.TB, pkgs ...Chart) {
	t.Helper()
	opts := []remote.Option{remote.WithContext(context.Background()), remote.WithAuth(authn.Anonymous)}
	for _, p := range pkgs {
		repo, err := name.NewRepository(r.Host + "/charts/" + p.Name)
		if err != nil {
			t.Fatal(err)
		}
		meta, err := json.Marshal(map[string]string{"apiVersion": "v2", "name": p.Name, "version": p.Version})
		if err != nil {
			t.Fatal(err)
		}
		config := static.NewLayer(meta, HelmConfigMediaType)
		layer := static.NewLayer(p.Data, HelmChartMediaType)
		var descs []v1.Descriptor
		for _, l := range []v1.Layer{config, layer} {
			if err := remote.WriteLayer(repo, l, opts...); err != nil {
				t.Fatalf("testserver: push %s: %v", p.File(), err)
			}
			d, err := l.Digest()
			if err != nil {
				t.Fatal(err)
			}
			sz, err := l.Size()
			if err != nil {
				t.Fatal(err)
			}
			mt, err := l.MediaType()
			if err != nil {
				t.Fatal(err)
			}
			descs = append(descs, v1.Descriptor{MediaType: mt, Size: sz, Digest: d})
		}
		m := v1.Manifest{
			SchemaVersion: 2,
			MediaType:     types.OCIManifestSchema1,
			Config:        descs[0],
			Layers:        descs[1:],
			Annotations: map[string]string{
				"org.opencontainers.image.title":   p.Name,
				"org.opencontainers.image.version": p.Version,
			},
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		tag := repo.Tag(strings.ReplaceAll(p.Version, "+", "_"))
		if err := remote.Put(tag, rawManifest(b), opts...); err != nil {
			t.Fatalf("testserver: push %s: %v", p.File(), err)
		}
	}
}
