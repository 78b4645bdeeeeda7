package vet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/pangeo-data/pangeo-gen/internal/helmengine"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"

	"github.com/pangeo-data/pangeo-gen/gen"
	"github.com/pangeo-data/pangeo-gen/internal/charts"
	"github.com/pangeo-data/pangeo-gen/internal/hub"
	"github.com/pangeo-data/pangeo-gen/internal/load"
	"github.com/pangeo-data/pangeo-gen/internal/placement"
	"github.com/pangeo-data/pangeo-gen/internal/release"
	"github.com/pangeo-data/pangeo-gen/internal/release/releasetest"
	"github.com/pangeo-data/pangeo-gen/internal/resultcache"
)

// TestWorkloadsChart: the workloads-only copy of the real charts renders
// the same chart pods as the whole chart (through kustomize, as render
// does), for every hub-env of the repository, and leaves the chart alone.
func TestWorkloadsChart(t *testing.T) {
	fed, ch := upstreamFederation(t)
	templates := len(ch.Templates)
	w := workloads(ch)
	if len(ch.Templates) != templates || !bytes.Equal(ch.Schema, w.Schema) {
		t.Fatal("workloads changed the chart")
	}
	// The jupyterhub chart's hub Secret is only hashed by the hub's pod
	// template: it is kept, empty.
	hashed := false
	for _, d := range w.Dependencies() {
		for _, f := range d.Templates {
			hashed = hashed || d.Name() == "jupyterhub" && f.Name == "templates/hub/secret.yaml" && len(f.Data) == 0
		}
	}
	if !hashed {
		t.Error("workloads kept the jupyterhub chart's hub Secret whole")
	}
	kept := len(w.Dependencies()[0].Templates) + len(w.Dependencies()[1].Templates)
	all := len(ch.Dependencies()[0].Templates) + len(ch.Dependencies()[1].Templates)
	if kept >= all {
		t.Errorf("workloads kept %d of %d templates", kept, all)
	}
	always := func(hub.Patch) bool { return true }
	never := func(hub.Patch) bool { return false }
	// vet's engine: one memoized engine for every hub-env.
	memoized := helmengine.Memoized(helmengine.NewV3())
	for _, h := range fed.Hubs {
		out, err := gen.GenerateHub(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range hub.EnvNames {
			rel := release.Release(h.Name, env)
			full, err := release.RenderStub(context.Background(), helmengine.NewV3(), out, env, ch, always)
			if err != nil {
				t.Fatal(err)
			}
			// What vet renders: the values checked and rendered at once,
			// the dependencies processed once for the hub-envs that agree
			// on them.
			c := release.CheckStub(context.Background(), memoized, out, env, w, never, placement.DecodeObject)
			if c.CheckErr != nil || len(c.Problems) > 0 || c.RenderErr != nil || !c.Decoded {
				t.Fatalf("%s: %+v", rel, c)
			}
			want, err := placement.ChartPods(full, rel)
			if err != nil {
				t.Fatal(err)
			}
			got, err := placement.ObjectPods(c.Documents, rel)
			if err != nil {
				t.Fatal(err)
			}
			// And what the manifest of the same render gives, exactly
			// (without the memo).
			manifest, err := release.RenderStub(context.Background(), helmengine.NewV3(), out, env, w, never)
			if err != nil {
				t.Fatal(err)
			}
			if fromManifest, err := placement.ChartPods(manifest, rel); err != nil || !reflect.DeepEqual(got, fromManifest) {
				t.Errorf("%s: the documents' chart pods are not the manifest's (%v):\n got %+v\nwant %+v", rel, err, got, fromManifest)
			}
			// hub, proxy, autohttps, user-scheduler, the image puller, and
			// the gateway's api, controller and traefik.
			if n := map[string]int{hub.BackendGateway: 8, hub.BackendKubernetes: 5}[h.Dask.Backend]; len(want) != n {
				t.Errorf("%s: %d chart pods, want %d", rel, len(want), n)
			}
			if g, w := placementOf(got), placementOf(want); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: workloads chart pods differ:\n got %v\nwant %v", rel, g, w)
			}
		}
	}
}

// placementOf is what decides where pods run, by pod name.
func placementOf(pods []placement.Pod) map[string]string {
	out := map[string]string{}
	for _, p := range pods {
		s := p.Spec
		var req []string
		for _, c := range s.Containers {
			req = append(req, fmt.Sprint(c.Resources.Requests))
		}
		out[p.Name] = fmt.Sprintf("%s sel=%v aff=%v tol=%v req=%v src=%v %v %v", p.Role, s.NodeSelector, s.Affinity, s.Tolerations, req, p.Selector, p.Affinity, p.Tolerations)
	}
	return out
}

// TestWorkloadsHashed: a template the workloads include by path only to
// hash it is kept empty; one included otherwise too is kept whole, and so
// is what it includes; one not included goes.
func TestWorkloadsHashed(t *testing.T) {
	tpl := func(name, data string) *chart.File { return &chart.File{Name: "templates/" + name, Data: []byte(data)} }
	ch := &chart.Chart{Metadata: &chart.Metadata{Name: "c", Version: "1.0.0"}, Templates: []*chart.File{
		tpl("deploy.yaml", "kind: Deployment\nmetadata:\n  annotations:\n"+
			`    a: {{ include (print .Template.BasePath "/hashed.yaml") . | sha256sum }}`+"\n"+
			`    b: {{ include (print $.Template.BasePath "/both.yaml") . | sha256sum | quote }}`+"\n"+
			`    c: {{ include (print .Template.BasePath "/read.yaml") . | fromYaml | toJson }}`+"\n"),
		tpl("sts.yaml", "kind: StatefulSet\n"+`x: {{ include (print .Template.BasePath "/both.yaml") . | trim }}`+"\n"),
		tpl("hashed.yaml", "kind: Secret\n"),
		tpl("both.yaml", "kind: ConfigMap\n"),
		tpl("read.yaml", "kind: ConfigMap\n"+`y: {{ include (print .Template.BasePath "/deep.yaml") . | sha256sum }}`+"\n"),
		tpl("deep.yaml", "kind: Secret\n"),
		tpl("other.yaml", "kind: Service\n"),
	}}
	got := map[string]string{}
	for _, f := range workloads(ch).Templates {
		got[strings.TrimPrefix(f.Name, "templates/")] = "whole"
		if len(f.Data) == 0 {
			got[strings.TrimPrefix(f.Name, "templates/")] = "empty"
		}
	}
	want := map[string]string{"deploy.yaml": "whole", "sts.yaml": "whole", "hashed.yaml": "empty", "both.yaml": "whole", "read.yaml": "whole", "deep.yaml": "empty"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("workloads kept %v, want %v", got, want)
	}
}

// upstreamFederation is the repository's federation and its test umbrella
// chart with the real jupyterhub and dask-gateway charts (skipped without
// them).
func upstreamFederation(t testing.TB) (*load.Federation, *chart.Chart) {
	t.Helper()
	fed := releasetest.Federation(t)
	ch, err := loader.Load(releasetest.UpstreamUmbrella(t, fed.Root))
	if err != nil {
		t.Fatal(err)
	}
	return fed, ch
}

// TestChartValuesJobs: chartValues makes a job for each selected hub that
// generated, in output order, with the charts loadCharts loaded for it:
// a hub whose charts are not cached, or whose umbrella's dependencies are
// not (charts.ErrOffline), is named in the note of uncached hubs; one
// whose charts do not load is noted; charts loaded for another hub of the
// same pins (as when the first hub in fed.Hubs did not generate) are
// loaded again for the first hub in output order, so that what is said
// of its charts is what loading them for it says. The jobs of hubs whose
// charts hashed keep their checks in the result cache.
func TestChartValuesJobs(t *testing.T) {
	root := t.TempDir()
	cache, err := release.NewCache(root, true)
	if err != nil {
		t.Fatal(err)
	}
	ch := &chart.Chart{Metadata: &chart.Metadata{Name: hub.GeneratedChart, Version: "1.0.0"}}
	loaded := func(by string, err error) *chartLoad {
		if err != nil {
			return &chartLoad{by: by, err: err}
		}
		return &chartLoad{by: by, ch: ch, workloads: ch, digest: []byte("digest")}
	}
	unhashed := &chartLoad{by: "alpha", ch: ch, workloads: ch}
	results := resultcache.New(t.TempDir(), "test build")
	offline := fmt.Errorf("pull: %w", charts.ErrOffline)
	for _, tc := range []struct {
		name  string
		load  *chartLoad // loadCharts' charts of the hubs' pins, nil when none
		loads *chartLoads
		// checked are the hubs whose jobs check their values against ch.
		checked []string
		// kept are the hubs whose jobs keep their checks in the cache.
		kept     []string
		notes    []string
		uncached []string
	}{
		{name: "loaded", load: loaded("alpha", nil), checked: []string{"alpha", "bravo"}, kept: []string{"alpha", "bravo"}},
		{name: "loaded, not hashed", load: unhashed, checked: []string{"alpha", "bravo"}},
		{name: "not loadable", load: loaded("alpha", errors.New("broken")), notes: []string{
			"cannot check the values of alpha against its charts: broken",
			"cannot check the values of bravo against its charts: broken",
		}},
		{name: "offline", load: loaded("alpha", offline), uncached: []string{"alpha", "bravo"}},
		{name: "loaded for another hub", load: loaded("zulu", errors.New("broken")), notes: []string{
			"cannot check the values of alpha against its charts: " + gen.GeneratedChartDir + "/Chart.yaml is missing: run `pangeo-gen gen`",
			"cannot check the values of bravo against its charts: " + gen.GeneratedChartDir + "/Chart.yaml is missing: run `pangeo-gen gen`",
		}},
		{name: "not cached", uncached: []string{"alpha", "bravo"}},
		{name: "no cache", loads: &chartLoads{cacheErr: errors.New("no home")}, notes: []string{"cannot check values against the charts: no home"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var outs []*gen.Output
			var hubs []*hub.Hub
			for _, name := range []string{"alpha", "bravo", "charlie"} {
				h := &hub.Hub{Name: name, Chart: hub.Chart{Name: hub.GeneratedChart}}
				hubs = append(hubs, h)
				outs = append(outs, &gen.Output{Hub: h})
			}
			loads := tc.loads
			if loads == nil {
				loads = &chartLoads{cache: cache, cached: map[string]bool{}, byPins: map[string]*chartLoad{}}
				if tc.load != nil {
					loads.cached = map[string]bool{"alpha": true, "bravo": true, "charlie": true}
					loads.byPins[pinsKey(hubs[0])] = tc.load
				}
			}
			c := &checker{fed: &load.Federation{Root: root, Hubs: hubs}, r: &Result{Outputs: outs}}
			jobs, uncached := c.chartValues(loads, map[string]bool{"alpha": true, "bravo": true}, results)
			var names, checked, kept []string
			for _, j := range jobs {
				names = append(names, j.out.Hub.Name)
				if j.cache != nil {
					if j.cache != results || string(j.chartDigest) != "digest" {
						t.Errorf("%s: job with cache %v, chart digest %q", j.out.Hub.Name, j.cache, j.chartDigest)
					}
					kept = append(kept, j.out.Hub.Name)
				}
				if j.workloads != nil {
					if j.ch != ch || j.engine == nil {
						t.Errorf("%s: job with workloads but chart %v, engine %v", j.out.Hub.Name, j.ch, j.engine)
					}
					checked = append(checked, j.out.Hub.Name)
				}
			}
			if want := []string{"alpha", "bravo"}; !reflect.DeepEqual(names, want) {
				t.Errorf("jobs of %v, want %v", names, want)
			}
			if !reflect.DeepEqual(checked, tc.checked) {
				t.Errorf("charts checked for %v, want %v", checked, tc.checked)
			}
			if !reflect.DeepEqual(kept, tc.kept) {
				t.Errorf("checks kept in the cache for %v, want %v", kept, tc.kept)
			}
			if !reflect.DeepEqual(c.r.Notes, tc.notes) {
				t.Errorf("notes %q, want %q", c.r.Notes, tc.notes)
			}
			if !reflect.DeepEqual(uncached, tc.uncached) {
				t.Errorf("uncached %v, want %v", uncached, tc.uncached)
			}
		})
	}
}
