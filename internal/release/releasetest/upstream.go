package releasetest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
)

// Federation is the federation of the repository the test runs in (found
// from the working directory by load.FindRoot), loaded.
func Federation(t testing.TB) *load.Federation {
	t.Helper()
	root, err := load.FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	fed, err := load.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	return fed
}

// UpstreamUmbrella writes the test umbrella chart of the repository at
// root with the real jupyterhub and dask-gateway charts of
// ../shared/upstream/charts into a temporary folder of t and returns it.
// Without those charts the test skips (fails under CI=true).
func UpstreamUmbrella(t testing.TB, root string) string {
	t.Helper()
	for _, name := range []string{JupyterHub, DaskGateway} {
		shareddata.Path(t, UpstreamDir(name))
	}
	dir := filepath.Join(t.TempDir(), "chart")
	if err := Upstream.WriteUmbrella(dir, root); err != nil {
		t.Fatal(err)
	}
	return dir
}

// UpstreamDaskhub writes the real daskhub umbrella chart (Chart.yaml and
// values.yaml of ../shared/upstream/daskhub) with the real jupyterhub and
// dask-gateway charts in its charts/ into a temporary folder of t and
// returns it. Without them the test skips (fails under CI=true).
func UpstreamDaskhub(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "daskhub")
	for _, f := range []string{"Chart.yaml", "values.yaml"} {
		data, err := os.ReadFile(shareddata.Path(t, "upstream/daskhub/"+f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{JupyterHub, DaskGateway} {
		shareddata.Path(t, UpstreamDir(name))
		if err := Upstream.WriteChart(filepath.Join(dir, "charts", name), name); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
