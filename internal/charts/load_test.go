package charts_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/charts/chartstest"
	"github.com/pangeo-data/pangeo-gen/internal/testserver"
)

// deps lists a chart's attached dependencies as name@version, sorted.
func deps(ch *chart.Chart) []string {
	var out []string
	for _, d := range ch.Dependencies() {
		out = append(out, d.Metadata.Name+"@"+d.Metadata.Version)
	}
	sort.Strings(out)
	return out
}

// checkUmbrella checks that helm sees the umbrella whole: its dependencies
// attached, with their templates, schema and CRDs, and enabled by values.
func checkUmbrella(t *testing.T, ch *chart.Chart, want ...string) {
	t.Helper()
	if got := strings.Join(deps(ch), " "); got != strings.Join(want, " ") {
		t.Fatalf("dependencies %s, want %s", got, strings.Join(want, " "))
	}
	if ch.Schema == nil {
		t.Error("umbrella without values.schema.json")
	}
	var crds, templates int
	for _, d := range ch.Dependencies() {
		crds += len(d.CRDObjects())
		templates += len(d.Templates)
		if d.Parent() != ch {
			t.Errorf("%s not attached to the umbrella", d.Name())
		}
	}
	if crds != 1 || templates != 9 {
		t.Errorf("%d CRDs and %d templates in the dependencies, want 1 and 9", crds, templates)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, ch.Values); err != nil {
		t.Errorf("helm does not process the dependencies: %v", err)
	}
	// Packaged again, the dependencies are in charts/.
	out, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	again, err := loader.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := deps(again); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("saved and loaded again: dependencies %s", got)
	}
}

func TestLoadUmbrellaHTTP(t *testing.T) {
	sub := chartstest.Subcharts(t)
	repo := testserver.NewChartRepo(t, sub...)
	repo.Add(
		chartstest.Build(t, "dask-gateway", "2026.3.1", ""), // the highest of ~2026.3.0
		chartstest.Build(t, "dask-gateway", "2026.4.0", ""), // outside ~2026.3.0
		chartstest.Build(t, "dask-gateway", "2026.3.2-rc.1", ""),
		chartstest.Build(t, chartstest.Umbrella, "", repo.URL),
	)
	want := []string{"dask-gateway@2026.3.1", "jupyterhub@4.4.0"}
	dir := chartstest.UmbrellaDir(t, repo.URL)
	c := newCache(t)

	t.Run("folder", func(t *testing.T) {
		ch, err := c.Load(ctx(t), dir, charts.Ref{})
		if err != nil {
			t.Fatal(err)
		}
		checkUmbrella(t, ch, want...)
		if _, err := os.Stat(filepath.Join(dir, "charts")); !os.IsNotExist(err) {
			t.Errorf("Load wrote into the chart folder: %v", err)
		}
	})
	t.Run("package from the repository", func(t *testing.T) {
		ch, err := c.Load(ctx(t), repo.URL, charts.Ref{Name: chartstest.Umbrella, Version: chartstest.UmbrellaVersion})
		if err != nil {
			t.Fatal(err)
		}
		checkUmbrella(t, ch, want...)
	})
	t.Run("offline from the cache", func(t *testing.T) {
		repo.Close()
		off := &charts.Cache{Dir: c.Dir, Offline: true}
		for _, src := range []string{dir, ""} {
			ch, err := off.Load(ctx(t), src, charts.Ref{Name: chartstest.Umbrella, Version: chartstest.UmbrellaVersion, Repository: repo.URL})
			if err != nil {
				t.Fatal(err)
			}
			checkUmbrella(t, ch, want...)
		}
	})
	t.Run("offline empty cache", func(t *testing.T) {
		off := &charts.Cache{Dir: t.TempDir(), Offline: true}
		_, err := off.Load(ctx(t), dir, charts.Ref{})
		if !errors.Is(err, charts.ErrOffline) || !strings.Contains(err.Error(), "chart hubchart 0.1.0: dependency") {
			t.Fatalf("Load: %v", err)
		}
		t.Log(err)
	})
}

// editChart rewrites the Chart.yaml of a chart folder.
func editChart(t *testing.T, dir string, edit func(string) string) {
	t.Helper()
	p := filepath.Join(dir, "Chart.yaml")
	if err := os.WriteFile(p, []byte(edit(string(readFile(t, p)))), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDependencies(t *testing.T) {
	sub := chartstest.Subcharts(t)
	repo := testserver.NewChartRepo(t, sub...)
	repo.Add(chartstest.Build(t, "jupyterhub", "4.3.0", ""), chartstest.Build(t, "jupyterhub", "4.5.0", ""))
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  []string // dependencies; nil: an error saying err
		err   string
		// notFetched is a chart that must not be downloaded.
		notFetched string
	}{
		{name: "fetched", want: []string{"dask-gateway@2026.3.0", "jupyterhub@4.4.0"}},
		{name: "range", setup: func(t *testing.T, dir string) {
			editChart(t, dir, func(s string) string { return strings.Replace(s, "version: 4.4.0", "version: \">=4.3.0 <4.5.0\"", 1) })
		}, want: []string{"dask-gateway@2026.3.0", "jupyterhub@4.4.0"}},
		{name: "Chart.lock", setup: func(t *testing.T, dir string) {
			editChart(t, dir, func(s string) string { return strings.Replace(s, "version: 4.4.0", "version: ^4.0.0", 1) })
			lock := "dependencies:\n- name: jupyterhub\n  repository: " + repo.URL + "/\n  version: 4.3.0\ndigest: sha256:x\ngenerated: \"2026-03-01T00:00:00Z\"\n"
			if err := os.WriteFile(filepath.Join(dir, "Chart.lock"), []byte(lock), 0o644); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"dask-gateway@2026.3.0", "jupyterhub@4.3.0"}},
		{name: "present in charts/", setup: func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "charts"), 0o755)
			os.WriteFile(filepath.Join(dir, "charts", "jupyterhub-4.4.0.tgz"), sub[0].Data, 0o644)
		}, notFetched: "jupyterhub", want: []string{"dask-gateway@2026.3.0", "jupyterhub@4.4.0"}},
		{name: "present as a folder with file:// deps", setup: func(t *testing.T, dir string) {
			jh := chartstest.WriteChart(t, "jupyterhub", "")
			if err := os.Rename(jh, filepath.Join(dir, "jupyterhub")); err != nil {
				t.Fatal(err)
			}
			editChart(t, dir, func(s string) string {
				return strings.Replace(s, "version: 4.4.0\n    repository: \""+repo.URL+"\"", "version: 4.4.0\n    repository: file://jupyterhub", 1)
			})
		}, notFetched: "jupyterhub", want: []string{"dask-gateway@2026.3.0", "jupyterhub@4.4.0"}},
		{name: "wrong version in charts/", setup: func(t *testing.T, dir string) {
			os.MkdirAll(filepath.Join(dir, "charts"), 0o755)
			os.WriteFile(filepath.Join(dir, "charts", "dask-gateway.tgz"), chartstest.Build(t, "dask-gateway", "2026.4.0", "").Data, 0o644)
		}, err: "dependency dask-gateway ~2026.3.0: charts/dask-gateway: version 2026.4.0 does not satisfy ~2026.3.0"},
		{name: "no repository", setup: func(t *testing.T, dir string) {
			editChart(t, dir, func(s string) string {
				return strings.Replace(s, "repository: \""+repo.URL+"\"", "repository: \"\"", 1)
			})
		}, err: "dependency jupyterhub 4.4.0: missing from charts/, and no repository"},
		{name: "repository alias", setup: func(t *testing.T, dir string) {
			editChart(t, dir, func(s string) string {
				return strings.Replace(s, "repository: \""+repo.URL+"\"", "repository: \"@jupyterhub\"", 1)
			})
		}, err: "aliases are not supported"},
		{name: "no version in range", setup: func(t *testing.T, dir string) {
			editChart(t, dir, func(s string) string { return strings.Replace(s, "version: 4.4.0", "version: ^5.0.0", 1) })
		}, err: `no version of chart jupyterhub in ` + repo.URL + ` satisfies "^5.0.0" (not found); it has 4.5.0, 4.4.0, 4.3.0`},
		{name: "not in repository", setup: func(t *testing.T, dir string) {
			editChart(t, dir, func(s string) string { return strings.Replace(s, "version: 4.4.0", "version: 4.4.1", 1) })
		}, err: "chart jupyterhub 4.4.1 from " + repo.URL + ": version 4.4.1 not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := chartstest.UmbrellaDir(t, repo.URL)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before := len(repo.Requests())
			ch, err := newCache(t).Load(ctx(t), dir, charts.Ref{})
			if tt.notFetched != "" {
				for _, r := range repo.Requests()[before:] {
					if strings.Contains(r, "/"+tt.notFetched+"-") {
						t.Errorf("fetched %s", r)
					}
				}
			}
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Load: %v, want an error saying %q", err, tt.err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := deps(ch); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("dependencies %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLoadSources(t *testing.T) {
	sub := chartstest.Subcharts(t)
	repo := testserver.NewChartRepo(t, sub...)
	c := newCache(t)
	tgz := filepath.Join(t.TempDir(), "jupyterhub-4.4.0.tgz")
	if err := os.WriteFile(tgz, sub[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		source string
		ref    charts.Ref
		want   string // name@version, or an error's text
	}{
		{"folder", chartstest.WriteChart(t, "dask-gateway", ""), charts.Ref{}, "dask-gateway@2026.3.0"},
		{"package", tgz, charts.Ref{}, "jupyterhub@4.4.0"},
		{"repository", repo.URL, charts.Ref{Name: "jupyterhub", Version: "4.4.0"}, "jupyterhub@4.4.0"},
		{"ref", "", charts.Ref{Name: "jupyterhub", Version: "4.4.0", Repository: repo.URL, Digest: sub[0].Digest}, "jupyterhub@4.4.0"},
		{"missing file", filepath.Join(t.TempDir(), "none.tgz"), charts.Ref{}, "no such file"},
		{"not a chart", t.TempDir(), charts.Ref{}, "Chart.yaml file is missing"},
		{"oci name differs", "oci://127.0.0.1:1/charts/hub:1.0.0", charts.Ref{Name: "other"}, "names chart hub, not other"},
		{"oci version differs", "oci://127.0.0.1:1/charts/hub:1.0.0", charts.Ref{Version: "2.0.0"}, "has version 1.0.0, not 2.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := c.Load(ctx(t), tt.source, tt.ref)
			got := ""
			if err != nil {
				got = err.Error()
			} else {
				got = ch.Metadata.Name + "@" + ch.Metadata.Version
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("Load(%q, %+v) = %s, want %s", tt.source, tt.ref, got, tt.want)
			}
		})
	}
}
