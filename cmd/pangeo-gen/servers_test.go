package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

// scriptTB lets testserver, which takes a testing.TB, run inside a
// testscript command: failures fail the script, clean-ups run when the
// script ends, temporary folders are made under the script's $WORK.
type scriptTB struct {
	testing.TB // the test running the scripts, for what is not overridden
	ts         *testscript.TestScript
}

func (s scriptTB) Helper()                           {}
func (s scriptTB) Cleanup(f func())                  { s.ts.Defer(f) }
func (s scriptTB) Fatal(args ...any)                 { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s scriptTB) Fatalf(format string, args ...any) { s.ts.Fatalf(format, args...) }
func (s scriptTB) Error(args ...any)                 { s.ts.Fatalf("%s", fmt.Sprint(args...)) }
func (s scriptTB) Errorf(format string, args ...any) { s.ts.Fatalf(format, args...) }
func (s scriptTB) FailNow()                          { s.ts.Fatalf("failed") }
func (s scriptTB) Log(args ...any)                   { s.ts.Logf("%s", fmt.Sprint(args...)) }
func (s scriptTB) Logf(format string, args ...any)   { s.ts.Logf(format, args...) }
func (s scriptTB) TempDir() string {
	dir, err := os.MkdirTemp(s.ts.MkAbs("."), ".tmp-")
	s.ts.Check(err)
	return dir
}

// chartServer serves the stand-ins of jupyterhub and dask-gateway, and the
// test umbrella chart (its dependencies bundled) both as the generated
// chart's package (pangeo-deploy 0.1.0) and as a chart of another name
// (pangeo-daskhub 0.1.0), from a chart repository on loopback ($CHARTS_URL,
// http://127.0.0.1:PORT/helm-chart) and an OCI registry ($CHARTS_OCI,
// oci://127.0.0.1:PORT/charts), until the script ends. chartserver.
func chartServer(t *testing.T, root string, ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: chartserver")
	}
	tb := scriptTB{t, ts}
	pkgs, err := releasetest.Subcharts()
	ts.Check(err)
	dir := filepath.Join(tb.TempDir(), "pangeo-deploy")
	ts.Check(releasetest.WriteUmbrella(dir, root))
	umbrella, err := releasetest.PackageDir(dir, "pangeo-deploy", gen.UmbrellaVersion)
	ts.Check(err)
	pkgs = append(pkgs, umbrella)
	chartYAML := filepath.Join(dir, "Chart.yaml")
	b, err := os.ReadFile(chartYAML)
	ts.Check(err)
	ts.Check(os.WriteFile(chartYAML, []byte(strings.Replace(string(b), "\nname: pangeo-deploy\n", "\nname: pangeo-daskhub\n", 1)), 0o644))
	other, err := releasetest.PackageDir(dir, "pangeo-daskhub", gen.UmbrellaVersion)
	ts.Check(err)
	pkgs = append(pkgs, other)
	repo := testserver.NewChartRepo(tb, pkgs...)
	oci := testserver.NewChartRegistry(tb, pkgs...)
	ts.Setenv("CHARTS_URL", repo.URL)
	ts.Setenv("CHARTS_OCI", oci.Repository)
}

// imageRegistry starts an image registry on loopback, until the script
// ends, pushes a random image under each NAME:TAG and sets $REGISTRY to its
// host (127.0.0.1:PORT). imageregistry NAME:TAG...
func imageRegistry(t *testing.T, ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! imageregistry")
	}
	tb := scriptTB{t, ts}
	reg := testserver.NewRegistry(tb)
	for _, a := range args {
		reg.PushRandom(tb, a)
	}
	ts.Setenv("REGISTRY", reg.Host)
}

// subst replaces $VAR and ${VAR} in files by the script's environment
// variables: subst FILE...
func subst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: subst FILE...")
	}
	for _, f := range args {
		data := os.Expand(ts.ReadFile(f), ts.Getenv)
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(data), 0o644))
	}
}
