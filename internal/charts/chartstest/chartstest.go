// Package chartstest builds small Helm charts, for the tests of charts and
// of the packages that render charts, which serve them from the chart
// repositories and OCI registries of testserver.
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
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/testserver"
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

// Package is a packaged chart.
type Package = testserver.Chart

// ReadChart reads the files of the chart at root of fsys (an embedded
// folder, os.DirFS of a chart folder), by slash path within the chart.
func ReadChart(fsys fs.FS, root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel := p
		if root != "." {
			rel = strings.TrimPrefix(p, root+"/")
		}
		out[rel] = b
		return nil
	})
	return out, err
}

// files are fixture chart name's files by path within the chart, with
// Placeholder replaced by repository.
func files(t testing.TB, name, repository string) map[string][]byte {
	t.Helper()
	out, err := ReadChart(fixtures, path.Join("testdata/charts", name))
	if err != nil || len(out) == 0 {
		t.Fatalf("chartstest: no fixture chart %q: %v", name, err)
	}
	for p, b := range out {
		out[p] = bytes.ReplaceAll(b, []byte(Placeholder), []byte(repository))
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
func ServeUmbrella(t testing.TB) (dir string, repo *testserver.ChartRepo) {
	t.Helper()
	repo = testserver.NewChartRepo(t, Subcharts(t)...)
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
var Epoch = testserver.Epoch

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
