package charts_test

import (
	"path/filepath"
	"testing"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/charts/chartstest"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

// Has tells, without reading a package, whether an offline Get can serve a
// ref: cached or vendored, not before.
func TestHas(t *testing.T) {
	pkgs := chartstest.Subcharts(t)
	jh, dg := pkgs[0], pkgs[1]
	repo := testserver.NewChartRepo(t, pkgs...)
	c := newCache(t)
	jhRef := charts.Ref{Name: jh.Name, Version: jh.Version, Repository: repo.URL}
	dgRef := charts.Ref{Name: dg.Name, Version: dg.Version, Repository: repo.URL + "/"}
	offline := &charts.Cache{Dir: c.Dir, Offline: true}
	if offline.Has(jhRef) || offline.Has(dgRef) {
		t.Fatal("Has before anything was cached")
	}
	if _, _, err := c.Get(ctx(t), jhRef); err != nil {
		t.Fatal(err)
	}
	if !offline.Has(jhRef) || offline.Has(dgRef) {
		t.Errorf("cached jupyterhub: Has = %v, %v; want true, false", offline.Has(jhRef), offline.Has(dgRef))
	}
	for _, r := range []charts.Ref{
		{Name: jh.Name, Version: "4.3.0", Repository: repo.URL},
		{Name: jh.Name, Version: jh.Version, Repository: "https://elsewhere.example.org/charts"},
		{Name: jh.Name, Version: "^4", Repository: repo.URL},
	} {
		if offline.Has(r) {
			t.Errorf("Has(%+v)", r)
		}
	}

	vendor := filepath.Join(t.TempDir(), "vendor")
	if _, err := c.Vendor(ctx(t), vendor, []charts.Ref{dgRef}, charts.VendorOptions{}); err != nil {
		t.Fatal(err)
	}
	v := &charts.Cache{Dir: t.TempDir(), Offline: true, VendorDir: vendor}
	if !v.Has(dgRef) || v.Has(jhRef) {
		t.Errorf("vendored dask-gateway: Has = %v, %v; want true, false", v.Has(dgRef), v.Has(jhRef))
	}
}
