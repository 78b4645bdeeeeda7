package ci

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestHelmCLIsAreTheModules holds the helm CLIs the pipeline deploys with
// to the helm modules pangeo-gen renders with (the repository's go.mod),
// so that CI deploys what render shows and a module bump cannot leave the
// CLI behind.
func TestHelmCLIsAreTheModules(t *testing.T) {
	name := filepath.Join("..", "..", "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := modfile.ParseLax(name, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"helm.sh/helm/v3": DefaultHelmVersion,
		"helm.sh/helm/v4": DefaultHelm4Version,
	}
	for _, req := range mod.Require {
		if pin, ok := want[req.Mod.Path]; ok {
			if req.Mod.Version != pin {
				t.Errorf("the pipeline's helm CLI for %s is %s, go.mod requires %s: bump the pin in config.go", req.Mod.Path, pin, req.Mod.Version)
			}
			delete(want, req.Mod.Path)
		}
	}
	for path := range want {
		t.Errorf("go.mod does not require %s", path)
	}
}
