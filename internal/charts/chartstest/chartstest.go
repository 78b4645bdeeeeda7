// Package chartstest builds small Helm charts and serves them from chart
// repositories and OCI registries running in the test process on loopback,
// for the tests of charts and of the packages that render charts.
//
// The fixture charts are an umbrella chart "hubchart" 0.1.0 depending on
// "jupyterhub" 4.4.0 and "dask-gateway" ~2026.3.0 from one repository, and
// those two: a values.schema.json, a Deployment, Service, ConfigMap, Secret,
// ServiceAccount and Role, and a CRD in dask-gateway's crds/.
package chartstest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"sigs.k8s.io/yaml"
)

//go:embed all:testdata/charts
var fixtures embed.FS

// The fixture charts and their versions.
const (
	Umbrella           = "hubchart"
	UmbrellaVersion    = "0.1.0"
	JupyterHub         = "jupyterhub"
	JupyterHubVersion  = "4.4.0"
	DaskGateway        = "dask-gateway"
	DaskGatewayVersion = "2026.3.0"
	// DaskGatewayRange is the umbrella's version range of dask-gateway.
	DaskGatewayRange = "~2026.3.0"
)

// Placeholder stands for the repository in the umbrella's Chart.yaml.
const Placeholder = "@REPOSITORY@"

// Media types of a Helm chart in an OCI registry.
const (
	HelmConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	HelmChartMediaType  = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
)

// Package is a packaged chart.
type Package struct {
	Name    string
	Version string
	// Data is the .tgz.
	Data []byte
	// Digest is "sha256:<hex>" of Data.
	Digest string
}

// File is the package's file name, <name>-<version>.tgz.
func (p Package) File() string { return p.Name + "-" + p.Version + ".tgz" }

// files are fixture chart name's files by path within the chart, with
// Placeholder replaced by repository.
func files(t testing.TB, name, repository string) map[string][]byte {
	t.Helper()
	root := path.Join("testdata/charts", name)
	out := map[string][]byte{}
	err := fs.WalkDir(fixtures, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fixtures.ReadFile(p)
		if err != nil {
			return err
		}
		out[strings.TrimPrefix(p, root+"/")] = bytes.ReplaceAll(b, []byte(Placeholder), []byte(repository))
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("chartstest: no fixture chart %q: %v", name, err)
	}
	return out
}

// WriteChart writes fixture chart name (Umbrella, JupyterHub or
// DaskGateway) into a new folder of t.TempDir(), its dependencies'
// repository being repository, and returns the chart's folder.
func WriteChart(t testing.TB, name, repository string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for p, b := range files(t, name, repository) {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// UmbrellaDir writes the umbrella chart, whose dependencies jupyterhub and
// dask-gateway are to be fetched from repository (they are not in its
// charts/), and returns its folder.
func UmbrellaDir(t testing.TB, repository string) string {
	t.Helper()
	return WriteChart(t, Umbrella, repository)
}

// ServeUmbrella serves jupyterhub 4.4.0, dask-gateway 2026.3.0 and the
// umbrella package from a new chart repository, and writes the umbrella's
// folder (without charts/; its dependencies come from the repository).
func ServeUmbrella(t testing.TB) (dir string, repo *Repo) {
	t.Helper()
	repo = NewRepo(t, Subcharts(t)...)
	repo.Add(Build(t, Umbrella, "", repo.URL))
	return UmbrellaDir(t, repo.URL), repo
}

// Build packages fixture chart name with chartutil.Save, as `helm package`
// does, at version (the fixture's own when empty); repository is as for
// WriteChart. The package is reproducible: its files' times are Epoch, so
// the same chart builds to the same bytes and digest.
func Build(t testing.TB, name, version, repository string) Package {
	t.Helper()
	var bfs []*loader.BufferedFile
	for p, b := range files(t, name, repository) {
		bfs = append(bfs, &loader.BufferedFile{Name: p, Data: b})
	}
	sort.Slice(bfs, func(i, j int) bool { return bfs[i].Name < bfs[j].Name })
	ch, err := loader.LoadFiles(bfs)
	if err != nil {
		t.Fatalf("chartstest: load %s: %v", name, err)
	}
	if version != "" {
		ch.Metadata.Version = version
	}
	out, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatalf("chartstest: package %s: %v", name, err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	data, err = reproducible(data)
	if err != nil {
		t.Fatalf("chartstest: package %s: %v", name, err)
	}
	return Package{Name: ch.Metadata.Name, Version: ch.Metadata.Version, Data: data, Digest: Digest(data)}
}

// Epoch is the time of the files of packages that Build makes.
var Epoch = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// reproducible rewrites a package made by chartutil.Save with its files'
// times set to Epoch.
func reproducible(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Extra, zw.Comment = zr.Extra, zr.Comment
	tr, tw := tar.NewReader(zr), tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		h.ModTime, h.AccessTime, h.ChangeTime = Epoch, time.Time{}, time.Time{}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Subcharts packages jupyterhub 4.4.0 and dask-gateway 2026.3.0.
func Subcharts(t testing.TB) []Package {
	t.Helper()
	return []Package{Build(t, JupyterHub, "", ""), Build(t, DaskGateway, "", "")}
}

// Digest is "sha256:<hex>" of data.
func Digest(data []byte) string {
	h := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(h[:])
}

// Repo is an https-like Helm chart repository served over plain http on
// loopback: <URL>/index.yaml lists its packages, served at
// <URL>/charts/<name>-<version>.tgz (relative URLs in the index, unless
// AbsoluteURLs).
type Repo struct {
	// URL is the repository URL, without trailing slash, for example
	// http://127.0.0.1:40000/helm-chart.
	URL string

	srv      *httptest.Server
	mu       sync.Mutex
	pkgs     map[string]Package // by file name
	fail     []int
	requests []string
	absolute bool
}

// NewRepo serves pkgs from a new chart repository, stopped when the test
// ends.
func NewRepo(t testing.TB, pkgs ...Package) *Repo {
	t.Helper()
	r := &Repo{pkgs: map[string]Package{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.URL = r.srv.URL + "/helm-chart"
	r.Add(pkgs...)
	return r
}

// Add serves more packages.
func (r *Repo) Add(pkgs ...Package) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range pkgs {
		r.pkgs[p.File()] = p
	}
}

// Fail makes the next len(codes) requests answer these HTTP statuses, a 0
// letting a request through.
func (r *Repo) Fail(codes ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = append(r.fail, codes...)
}

// AbsoluteURLs makes the index list absolute package URLs.
func (r *Repo) AbsoluteURLs(abs bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.absolute = abs
}

// Requests are the paths requested so far, failed ones included.
func (r *Repo) Requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// Close stops the server; later requests are refused.
func (r *Repo) Close() { r.srv.Close() }

// Index is the repository's index.yaml.
func (r *Repo) Index() []byte {
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
func (r *Repo) index() []byte {
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

func (r *Repo) serve(w http.ResponseWriter, req *http.Request) {
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

// Registry is an OCI registry (go-containerregistry's) on loopback holding
// Helm chart artifacts as oci://<Host>/charts/<name>:<version>.
type Registry struct {
	// Host is 127.0.0.1:<port>.
	Host string
	// Repository is the chart repository, oci://<Host>/charts, as a
	// Chart.yaml dependency or charts.Ref names it.
	Repository string

	srv *httptest.Server
}

// NewOCI starts a registry, stopped when the test ends, and pushes pkgs.
func NewOCI(t testing.TB, pkgs ...Package) *Registry {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	r := &Registry{Host: host, Repository: "oci://" + host + "/charts", srv: srv}
	r.Push(t, pkgs...)
	return r
}

// Close stops the registry; later requests are refused.
func (r *Registry) Close() { r.srv.Close() }

// Ref is the full reference of a package, oci://<Host>/charts/<name>:<version>.
func (r *Registry) Ref(p Package) string {
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
func (r *Registry) Push(t testing.TB, pkgs ...Package) {
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
				t.Fatalf("chartstest: push %s: %v", p.File(), err)
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
			t.Fatalf("chartstest: push %s: %v", p.File(), err)
		}
	}
}
