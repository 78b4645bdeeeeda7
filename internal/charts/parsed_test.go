package charts

import (
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/pangeo-data/pangeo-gen/internal/charts/chartstest"
)

// TestLoadPackageOnce: a package is parsed once per digest; every load
// gets a chart of its own, which the caller may change without changing
// the next one's.
func TestLoadPackageOnce(t *testing.T) {
	p := chartstest.Build(t, "jupyterhub", "", "")
	path := filepath.Join(t.TempDir(), p.File())
	if err := os.WriteFile(path, p.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	digest := p.Digest + "-TestLoadPackageOnce" // a key of this test alone
	first, err := loadPackage(path, digest)
	if err != nil {
		t.Fatal(err)
	}
	want := Copy(first)
	if _, ok := parsed.Load(digest); !ok {
		t.Fatal("the parsed package is not kept")
	}
	// Change everything a caller may change.
	first.Values["hub"] = "changed"
	first.Metadata.Version = "0.0.0"
	first.Metadata.Dependencies = append(first.Metadata.Dependencies, &chart.Dependency{Name: "x"})
	first.AddDependency(&chart.Chart{Metadata: &chart.Metadata{Name: "x"}})

	// Gone: the second load must not read the file again.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	second, err := loadPackage(path, digest)
	if err != nil {
		t.Fatalf("second load read the package again: %v", err)
	}
	if second == first {
		t.Fatal("the second load returned the first one's chart")
	}
	if !reflect.DeepEqual(second.Values, want.Values) || !reflect.DeepEqual(second.Metadata, want.Metadata) || len(second.Dependencies()) != len(want.Dependencies()) {
		t.Error("the second load sees the first caller's changes")
	}
	if !reflect.DeepEqual(second.Templates, want.Templates) || len(second.Templates) == 0 {
		t.Error("the second load lost the templates")
	}
	// Without a digest (never so from get), nothing is kept.
	if _, err := loadPackage(filepath.Join(t.TempDir(), "missing.tgz"), ""); err == nil {
		t.Error("a missing package without a digest loaded")
	}
}

// TestLoadPackageConcurrent: loads of one package side by side, each
// changing its chart, race with nothing (go test -race).
func TestLoadPackageConcurrent(t *testing.T) {
	p := chartstest.Build(t, "dask-gateway", "", "")
	path := filepath.Join(t.TempDir(), p.File())
	if err := os.WriteFile(path, p.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	digest := p.Digest + "-TestLoadPackageConcurrent"
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, err := loadPackage(path, digest)
			if err != nil {
				t.Error(err)
				return
			}
			ch.Values["changed"] = true
			ch.Metadata.Version = "0.0.0"
			ch.AddDependency(&chart.Chart{Metadata: &chart.Metadata{Name: "x"}})
		}()
	}
	wg.Wait()
	ch, err := loadPackage(path, digest)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Values["changed"] != nil || ch.Metadata.Version == "0.0.0" || len(ch.Dependencies()) != 0 {
		t.Error("a load sees another's changes")
	}
}
