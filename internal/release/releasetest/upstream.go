package releasetest

import (
	"path/filepath"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/shareddata"
)

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
