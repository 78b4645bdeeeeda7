// Package releasetest builds the test umbrella chart of render's tests: the
// generated deployments/chart with jupyterhub 4.4.0 and dask-gateway
// 2026.3.0 bundled, either the real charts (../shared/upstream/charts,
// found through shareddata: the render goldens and vet's check of values
// against the charts' schemas, where the real chart is what matters) or
// stand-ins of them. The stand-ins have the real charts' top-level value
// keys (their values.schema.json files refuse unknown ones, as the real
// ones do), images, CRD and the secrets the real charts generate at random
// when the values lack them, not the real templates; they stay for what
// the real charts cannot give: a chart that refuses a badly formed secret
// with a template error, and renders fast enough to benchmark and to run
// in every error-path test without ../shared.
//
// Everything here returns errors rather than taking a testing.TB, so that
// testscript commands can use it too.
package releasetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/charts/chartstest"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
)

//go:embed all:testdata/charts
var fixtures embed.FS

// The stand-in charts and their versions.
const (
	JupyterHub         = "jupyterhub"
	JupyterHubVersion  = "4.4.0"
	DaskGateway        = "dask-gateway"
	DaskGatewayVersion = "2026.3.0"
)

// Default repositories of the pins (schema #Chart).
const (
	JupyterHubRepository  = "https://jupyterhub.github.io/helm-chart/"
	DaskGatewayRepository = "https://helm.dask.org/"
)

// The real cluster-autoscaler chart of the shared data (Upstream only: it
// has no stand-in), which render --cluster renders for an EKS cluster.
const (
	ClusterAutoscaler        = "cluster-autoscaler"
	ClusterAutoscalerVersion = "9.59.0"
)

// versions of the charts by name.
var versions = map[string]string{JupyterHub: JupyterHubVersion, DaskGateway: DaskGatewayVersion, ClusterAutoscaler: ClusterAutoscalerVersion}

// Charts says which jupyterhub and dask-gateway charts a test umbrella
// bundles.
type Charts int

const (
	// StandIns are the stand-in charts embedded in this package.
	StandIns Charts = iota
	// Upstream are the real charts of the shared data,
	// upstream/charts/<name>-<version> (see shareddata).
	Upstream
)

// UpstreamDir is the shared-data path of the real chart name
// (JupyterHub, DaskGateway or ClusterAutoscaler), for shareddata.Locate and shareddata.Path.
func UpstreamDir(name string) string {
	return "upstream/charts/" + name + "-" + versions[name]
}

// files are chart name's files by slash path within the chart.
func (c Charts) files(name string) (map[string][]byte, error) {
	if c == StandIns {
		return files(name)
	}
	if _, ok := versions[name]; !ok {
		return nil, fmt.Errorf("releasetest: no chart %q", name)
	}
	dir, ok := shareddata.Locate(UpstreamDir(name))
	if !ok {
		return nil, fmt.Errorf("releasetest: %s", shareddata.Message(dir))
	}
	return dirFiles(dir)
}

// files are a stand-in's files by slash path within the chart.
func files(name string) (map[string][]byte, error) {
	if _, ok := versions[name]; !ok {
		return nil, fmt.Errorf("releasetest: no stand-in chart %q", name)
	}
	return chartstest.ReadChart(fixtures, path.Join("testdata/charts", name))
}

// dirFiles are the files of a chart folder by slash path.
func dirFiles(dir string) (map[string][]byte, error) {
	return chartstest.ReadChart(os.DirFS(dir), ".")
}

func writeFiles(dst string, files map[string][]byte) error {
	for p, b := range files {
		target := filepath.Join(dst, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteChart writes stand-in chart name (JupyterHub or DaskGateway) into
// folder dst.
func WriteChart(dst, name string) error { return StandIns.WriteChart(dst, name) }

// WriteChart writes chart name (JupyterHub or DaskGateway; for Upstream
// also ClusterAutoscaler) into folder dst.
func (c Charts) WriteChart(dst, name string) error {
	fs, err := c.files(name)
	if err != nil {
		return err
	}
	return writeFiles(dst, fs)
}

// WriteUmbrella writes the test umbrella chart with the stand-ins bundled
// into folder dst (StandIns.WriteUmbrella).
func WriteUmbrella(dst, root string) error { return StandIns.WriteUmbrella(dst, root) }

// WriteUmbrella writes the test umbrella chart into folder dst: the
// generated umbrella chart of the repository at root
// (deployments/chart: Chart.yaml, values.yaml, templates) with c's charts
// bundled in its charts/ folder, so that it renders offline.
func (c Charts) WriteUmbrella(dst, root string) error {
	umbrella, err := dirFiles(filepath.Join(root, filepath.FromSlash(gen.GeneratedChartDir)))
	if err != nil {
		return fmt.Errorf("releasetest: umbrella: %w", err)
	}
	if err := writeFiles(dst, umbrella); err != nil {
		return err
	}
	for _, name := range []string{JupyterHub, DaskGateway} {
		if err := c.WriteChart(filepath.Join(dst, "charts", name), name); err != nil {
			return err
		}
	}
	return nil
}

// Package packages stand-in chart name as `helm package` would, with every
// file's time fixed (chartstest.Epoch), so that it always has the same
// digest.
func Package(name string) (chartstest.Package, error) { return StandIns.Package(name) }

// Package packages chart name as `helm package` would, with every file's
// time fixed (chartstest.Epoch), so that it always has the same digest.
func (c Charts) Package(name string) (chartstest.Package, error) {
	fs, err := c.files(name)
	if err != nil {
		return chartstest.Package{}, err
	}
	return pack(name, versions[name], fs)
}

// PackageDir packages the chart in folder dir (its name and version are
// given) like Package.
func PackageDir(dir, name, version string) (chartstest.Package, error) {
	fs, err := dirFiles(dir)
	if err != nil {
		return chartstest.Package{}, err
	}
	return pack(name, version, fs)
}

func pack(name, version string, files map[string][]byte) (chartstest.Package, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, p := range paths {
		h := &tar.Header{
			Name: name + "/" + p, Mode: 0o644, Size: int64(len(files[p])),
			ModTime: chartstest.Epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		}
		if err := tw.WriteHeader(h); err != nil {
			return chartstest.Package{}, err
		}
		if _, err := tw.Write(files[p]); err != nil {
			return chartstest.Package{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return chartstest.Package{}, err
	}
	if err := zw.Close(); err != nil {
		return chartstest.Package{}, err
	}
	data := buf.Bytes()
	return chartstest.Package{Name: name, Version: version, Data: data, Digest: chartstest.Digest(data)}, nil
}

// Subcharts packages both stand-ins.
func Subcharts() ([]chartstest.Package, error) { return StandIns.Subcharts() }

// Subcharts packages jupyterhub and dask-gateway.
func (c Charts) Subcharts() ([]chartstest.Package, error) {
	var out []chartstest.Package
	for _, name := range []string{JupyterHub, DaskGateway} {
		p, err := c.Package(name)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// WriteVendor writes a vendored folder of the stand-ins
// (StandIns.WriteVendor).
func WriteVendor(dir, jupyterhubRepo, daskGatewayRepo string) error {
	return StandIns.WriteVendor(dir, jupyterhubRepo, daskGatewayRepo)
}

// WriteVendor writes a vendored chart folder (as `pangeo-gen charts vendor`
// does: packages and charts.lock) holding c's charts as jupyterhub from
// jupyterhubRepo and dask-gateway from daskGatewayRepo (the default pins'
// repositories when empty), so that render finds the generated umbrella's
// dependencies offline.
func (c Charts) WriteVendor(dir, jupyterhubRepo, daskGatewayRepo string) error {
	if jupyterhubRepo == "" {
		jupyterhubRepo = JupyterHubRepository
	}
	if daskGatewayRepo == "" {
		daskGatewayRepo = DaskGatewayRepository
	}
	pkgs, err := c.Subcharts()
	if err != nil {
		return err
	}
	repos := map[string]string{JupyterHub: jupyterhubRepo, DaskGateway: daskGatewayRepo}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var lock charts.Lock
	for _, p := range pkgs {
		if err := os.WriteFile(filepath.Join(dir, p.File()), p.Data, 0o644); err != nil {
			return err
		}
		lock.Charts = append(lock.Charts, charts.LockEntry{
			Name: p.Name, Version: p.Version, Repository: strings.TrimRight(repos[p.Name], "/"), Digest: p.Digest,
		})
	}
	sort.Slice(lock.Charts, func(i, j int) bool { return lock.Charts[i].Name < lock.Charts[j].Name })
	b, err := lock.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, charts.LockFile), b, 0o644)
}
