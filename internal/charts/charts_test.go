package charts_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/charts/chartstest"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

// fast are the retry delays of the tests.
var fast = []time.Duration{time.Millisecond, 2 * time.Millisecond}

func newCache(t *testing.T) *charts.Cache {
	t.Helper()
	return &charts.Cache{Dir: t.TempDir(), RetryDelays: fast}
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// variant is p with other bytes and digest but the same chart: as if it
// were republished under the same version.
func variant(t *testing.T, p chartstest.Package) chartstest.Package {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(p.Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Comment = "republished"
	zw.Write(raw)
	zw.Close()
	p.Data = buf.Bytes()
	p.Digest = chartstest.Digest(p.Data)
	return p
}

// tmpFiles lists the temporary files left under dir.
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestDefaultDir(t *testing.T) {
	base, err := os.UserCacheDir()
	tests := []struct {
		name, env, want string
	}{
		{"env", "/srv/cache", "/srv/cache"},
		{"env relative", "rel", "ABS:rel"},
		{"user cache dir", "", filepath.Join(base, "pangeo-gen", "charts")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(charts.EnvCache, tt.env)
			if tt.env == "" && err != nil {
				t.Skip("no user cache dir:", err)
			}
			want := tt.want
			if rel, ok := strings.CutPrefix(want, "ABS:"); ok {
				want, _ = filepath.Abs(rel)
			}
			got, err := charts.DefaultDir()
			if err != nil || got != want {
				t.Errorf("DefaultDir() = %q, %v; want %q", got, err, want)
			}
		})
	}
	t.Run("XDG_CACHE_HOME", func(t *testing.T) {
		if _, err := os.Stat("/proc"); err != nil {
			t.Skip("not Linux")
		}
		t.Setenv(charts.EnvCache, "")
		t.Setenv("XDG_CACHE_HOME", "/xdg")
		if got, err := charts.DefaultDir(); err != nil || got != "/xdg/pangeo-gen/charts" {
			t.Errorf("DefaultDir() = %q, %v", got, err)
		}
	})
}

func TestParseOCI(t *testing.T) {
	tests := []struct {
		in   string
		want charts.Ref
		err  bool
	}{
		{in: "oci://ghcr.io/org/charts/hub:1.2.3", want: charts.Ref{Name: "hub", Version: "1.2.3", Repository: "oci://ghcr.io/org/charts"}},
		{in: "oci://127.0.0.1:5000/charts/hub", want: charts.Ref{Name: "hub", Repository: "oci://127.0.0.1:5000/charts"}},
		{in: "oci://reg/x/hub:1.0.0_build.1", want: charts.Ref{Name: "hub", Version: "1.0.0+build.1", Repository: "oci://reg/x"}},
		{in: "oci://reg", err: true},
		{in: "oci://reg/", err: true},
		{in: "oci://reg/x/hub@sha256:abc", err: true},
		{in: "https://reg/x/hub", err: true},
	}
	for _, tt := range tests {
		got, err := charts.ParseOCI(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseOCI(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestRefSource(t *testing.T) {
	tests := []struct {
		ref  charts.Ref
		want string
	}{
		{charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: "https://jupyterhub.github.io/helm-chart/"}, "chart jupyterhub 4.4.0 from https://jupyterhub.github.io/helm-chart"},
		{charts.Ref{Name: "hub", Version: "1.0.0+b", Repository: "oci://ghcr.io/org/"}, "chart hub 1.0.0+b from oci://ghcr.io/org/hub:1.0.0_b"},
		{charts.Ref{Name: "x", Version: "1.0.0", Repository: "https://u:secret@charts.example.org"}, "chart x 1.0.0 from https://u:xxxxx@charts.example.org"},
	}
	for _, tt := range tests {
		if got := tt.ref.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.ref, got, tt.want)
		}
	}
}

func TestChartRefs(t *testing.T) {
	pins := hub.Chart{
		Name:        hub.GeneratedChart,
		JupyterHub:  hub.Pin{Version: "4.4.0", Repository: "https://jupyterhub.github.io/helm-chart/"},
		DaskGateway: hub.Pin{Version: "2026.3.0", Repository: "https://helm.dask.org/", Digest: "sha256:" + strings.Repeat("a", 64)},
	}
	want := []charts.Ref{
		{Name: "jupyterhub", Version: "4.4.0", Repository: "https://jupyterhub.github.io/helm-chart/"},
		{Name: "dask-gateway", Version: "2026.3.0", Repository: "https://helm.dask.org/", Digest: "sha256:" + strings.Repeat("a", 64)},
	}
	if got := charts.ChartRefs(pins); !reflect.DeepEqual(got, want) {
		t.Errorf("ChartRefs(generated) = %+v", got)
	}
	pins.Name, pins.Version, pins.Repository = "hub", "1.0.0", "oci://ghcr.io/org/charts"
	got := charts.ChartRefs(pins)
	if len(got) != 3 || got[0] != (charts.Ref{Name: "hub", Version: "1.0.0", Repository: "oci://ghcr.io/org/charts"}) {
		t.Errorf("ChartRefs(pulled) = %+v", got)
	}
}

func TestGetHTTP(t *testing.T) {
	pkgs := chartstest.Subcharts(t)
	jh := pkgs[0]
	repo := testserver.NewChartRepo(t, pkgs...)
	c := newCache(t)
	ref := charts.Ref{Name: jh.Name, Version: jh.Version, Repository: repo.URL}

	path, digest, err := c.Get(ctx(t), ref)
	if err != nil {
		t.Fatal(err)
	}
	if digest != jh.Digest || !bytes.Equal(readFile(t, path), jh.Data) {
		t.Fatalf("Get = %s %s, want the package of digest %s", path, digest, jh.Digest)
	}
	if filepath.Base(path) != "jupyterhub-4.4.0.tgz" || filepath.Dir(filepath.Dir(path)) != c.Dir {
		t.Errorf("cached at %s", path)
	}
	var rec map[string]string
	if err := json.Unmarshal(readFile(t, strings.TrimSuffix(path, ".tgz")+".json"), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["digest"] != jh.Digest || rec["repository"] != repo.URL || rec["version"] != "4.4.0" || rec["url"] != repo.URL+"/charts/jupyterhub-4.4.0.tgz" {
		t.Errorf("cache record %v", rec)
	}
	if got := repo.Requests(); !reflect.DeepEqual(got, []string{"/helm-chart/index.yaml", "/helm-chart/charts/jupyterhub-4.4.0.tgz"}) {
		t.Errorf("requests %q", got)
	}

	// Served from the cache: with the server stopped, offline, with the
	// repository spelt with a trailing slash, with the right pin.
	repo.Close()
	for _, c := range []*charts.Cache{c, {Dir: c.Dir, Offline: true}} {
		for _, r := range []charts.Ref{ref, {Name: ref.Name, Version: ref.Version, Repository: repo.URL + "/", Digest: jh.Digest}} {
			p, d, err := c.Get(ctx(t), r)
			if err != nil || p != path || d != digest {
				t.Errorf("Get(%+v) offline=%v = %s %s %v", r, c.Offline, p, d, err)
			}
		}
	}
	if n := len(repo.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if tmp := tmpFiles(t, c.Dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}

func TestGetHTTPAbsoluteURL(t *testing.T) {
	pkgs := chartstest.Subcharts(t)
	repo := testserver.NewChartRepo(t, pkgs...)
	repo.AbsoluteURLs(true)
	_, digest, err := newCache(t).Get(ctx(t), charts.Ref{Name: "dask-gateway", Version: "2026.3.0", Repository: repo.URL + "/"})
	if err != nil || digest != pkgs[1].Digest {
		t.Fatalf("Get = %s, %v", digest, err)
	}
}

func TestGetErrors(t *testing.T) {
	pkgs := chartstest.Subcharts(t)
	jh, dg := pkgs[0], pkgs[1]
	lying := jh
	lying.Version = "4.5.0" // the 4.4.0 package served as 4.5.0
	badIndex := dg
	badIndex.Version, badIndex.Data = "2026.9.0", variant(t, chartstest.Build(t, "dask-gateway", "2026.9.0", "")).Data
	other := "sha256:" + strings.Repeat("0", 64)
	repo := testserver.NewChartRepo(t, jh, dg, lying, badIndex)
	stopped := testserver.NewChartRepo(t)
	stopped.Close()

	tests := []struct {
		name     string
		offline  bool
		ref      charts.Ref
		is       error    // errors.Is
		contains []string // in the message
	}{
		{name: "offline empty cache", offline: true,
			ref: charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL}, is: charts.ErrOffline,
			contains: []string{"chart jupyterhub 4.4.0 from " + repo.URL + ":", "pangeo-gen charts pull", "--chart"}},
		{name: "offline oci", offline: true,
			ref: charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: "oci://ghcr.io/org/charts"}, is: charts.ErrOffline,
			contains: []string{"oci://ghcr.io/org/charts/jupyterhub:4.4.0"}},
		{name: "pinned digest mismatch",
			ref: charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL, Digest: other}, is: charts.ErrDigest,
			contains: []string{"pinned " + other, "downloaded " + jh.Digest, "nothing cached"}},
		{name: "index digest mismatch",
			ref: charts.Ref{Name: "dask-gateway", Version: "2026.9.0", Repository: repo.URL}, is: charts.ErrDigest,
			contains: []string{"index.yaml says " + badIndex.Digest}},
		{name: "package of another version",
			ref:      charts.Ref{Name: "jupyterhub", Version: "4.5.0", Repository: repo.URL},
			contains: []string{"package holds chart jupyterhub 4.4.0", "nothing cached"}},
		{name: "unknown version",
			ref: charts.Ref{Name: "jupyterhub", Version: "9.9.9", Repository: repo.URL}, is: charts.ErrNotFound,
			contains: []string{"version 9.9.9 not found", "it has 4.5.0, 4.4.0"}},
		{name: "unknown chart",
			ref: charts.Ref{Name: "binderhub", Version: "1.0.0", Repository: repo.URL}, is: charts.ErrNotFound},
		{name: "no repository there",
			ref: charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL + "/nothing"}, is: charts.ErrNotFound,
			contains: []string{"404"}},
		{name: "repository down",
			ref:      charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: stopped.URL},
			contains: []string{"connection refused", "tried 3 times"}},
		{name: "bad name", ref: charts.Ref{Name: "../x", Version: "1.0.0", Repository: repo.URL}, contains: []string{"invalid chart name"}},
		{name: "range", ref: charts.Ref{Name: "x", Version: "~1.0.0", Repository: repo.URL}, contains: []string{"not an exact"}},
		{name: "no version", ref: charts.Ref{Name: "x", Repository: repo.URL}, contains: []string{"no version"}},
		{name: "bad digest", ref: charts.Ref{Name: "x", Version: "1.0.0", Repository: repo.URL, Digest: "md5:00"}, contains: []string{"not sha256"}},
		{name: "bad repository", ref: charts.Ref{Name: "x", Version: "1.0.0", Repository: "ftp://example.org"}, contains: []string{"neither"}},
		{name: "no repository", ref: charts.Ref{Name: "x", Version: "1.0.0"}, contains: []string{"neither"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(t)
			c.Offline = tt.offline
			path, _, err := c.Get(ctx(t), tt.ref)
			if err == nil {
				t.Fatalf("Get = %s, want an error", path)
			}
			t.Log(err)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %q", err, tt.is)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			// Nothing cached, no temporary file left.
			filepath.WalkDir(c.Dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					t.Errorf("left %s in the cache", p)
				}
				return nil
			})
		})
	}
}

func TestGetCorrupted(t *testing.T) {
	pkgs := chartstest.Subcharts(t)
	repo := testserver.NewChartRepo(t, pkgs...)
	ref := charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL}
	tests := []struct {
		name    string
		corrupt func(tgz string) error
	}{
		{"changed", func(tgz string) error { return os.WriteFile(tgz, []byte("not a chart"), 0o644) }},
		{"truncated", func(tgz string) error { return os.Truncate(tgz, 10) }},
		{"removed", os.Remove},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(t)
			path, _, err := c.Get(ctx(t), ref)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.corrupt(path); err != nil {
				t.Fatal(err)
			}
			_, _, err = c.Get(ctx(t), ref)
			if !errors.Is(err, charts.ErrCorrupt) || !strings.Contains(err.Error(), "remove "+filepath.Dir(path)) {
				t.Errorf("Get of a %s cache entry: %v", tt.name, err)
			}
		})
	}
}

func TestGetPinChanged(t *testing.T) {
	jh := chartstest.Build(t, "jupyterhub", "", "")
	re := variant(t, jh)
	repo := testserver.NewChartRepo(t, jh)
	ref := charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL}
	c := newCache(t)
	path, _, err := c.Get(ctx(t), ref)
	if err != nil {
		t.Fatal(err)
	}

	// Pinned to a digest the repository does not serve: refused, cache kept.
	pinned := ref
	pinned.Digest = re.Digest
	if _, _, err := c.Get(ctx(t), pinned); !errors.Is(err, charts.ErrDigest) {
		t.Fatalf("Get with another pin: %v", err)
	}
	off := &charts.Cache{Dir: c.Dir, Offline: true}
	if _, _, err := off.Get(ctx(t), pinned); !errors.Is(err, charts.ErrDigest) {
		t.Fatalf("offline Get with another pin: %v", err)
	}
	if _, d, err := off.Get(ctx(t), ref); err != nil || d != jh.Digest {
		t.Fatalf("cache entry lost: %s %v", d, err)
	}

	// Republished with the pinned digest: fetched again, cache replaced.
	repo.Add(re)
	p, d, err := c.Get(ctx(t), pinned)
	if err != nil || p != path || d != re.Digest || !bytes.Equal(readFile(t, p), re.Data) {
		t.Fatalf("Get after republishing = %s %s %v", p, d, err)
	}
	if _, d, err := off.Get(ctx(t), ref); err != nil || d != re.Digest {
		t.Fatalf("cache after republishing: %s %v", d, err)
	}
}

func TestRetry(t *testing.T) {
	pkgs := chartstest.Subcharts(t)
	tests := []struct {
		name     string
		fail     []int
		ok       bool
		requests int
		contains string
	}{
		{name: "503 then 200", fail: []int{503}, ok: true, requests: 3},
		{name: "429 502 then 200", fail: []int{429, 502}, ok: true, requests: 4},
		{name: "package 500 then 200", fail: []int{0, 500}, ok: true, requests: 3},
		{name: "503 three times", fail: []int{503, 503, 503}, requests: 3, contains: "503 Service Unavailable (tried 3 times)"},
		{name: "403 is not retried", fail: []int{403}, requests: 1, contains: "403 Forbidden"},
		{name: "404 is not retried", fail: []int{404}, requests: 1, contains: "404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := testserver.NewChartRepo(t, pkgs...)
			repo.Fail(tt.fail...)
			_, digest, err := newCache(t).Get(ctx(t), charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL})
			if tt.ok != (err == nil) {
				t.Fatalf("Get: %v", err)
			}
			if err != nil {
				t.Log(err)
			}
			if tt.ok && digest != pkgs[0].Digest {
				t.Errorf("digest %s", digest)
			}
			if err != nil && !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not say %q", err, tt.contains)
			}
			if n := len(repo.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d: %q", n, tt.requests, repo.Requests())
			}
		})
	}
}

func TestRetryCancelled(t *testing.T) {
	repo := testserver.NewChartRepo(t)
	repo.Fail(503, 503, 503)
	c := &charts.Cache{Dir: t.TempDir(), RetryDelays: []time.Duration{time.Hour}}
	cx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := c.Get(cx, charts.Ref{Name: "x", Version: "1.0.0", Repository: repo.URL})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("Get = %v after %v", err, time.Since(start))
	}
}

// untar lists the files of a .tgz.
func untar(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

func TestGetConcurrent(t *testing.T) {
	pkgs := chartstest.Subcharts(t)
	repo := testserver.NewChartRepo(t, pkgs...)
	c := newCache(t)
	ref := charts.Ref{Name: "dask-gateway", Version: "2026.3.0", Repository: repo.URL, Digest: pkgs[1].Digest}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, d, err := c.Get(ctx(t), ref)
			if err == nil && d != ref.Digest {
				err = errors.New("digest " + d)
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if tmp := tmpFiles(t, c.Dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %q", tmp)
	}
}
